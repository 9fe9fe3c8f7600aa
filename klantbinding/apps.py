from __future__ import annotations

from django.apps import AppConfig


class KlantbindingConfig(AppConfig):
    name = "klantbinding"
    verbose_name = "Klantbinding"
