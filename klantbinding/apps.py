from __future__ import annotations

from django.apps import AppConfig


class KlantbindingConfig(AppConfig):
    name = "klantbinding"
    verbose_name = "Klantbinding"

    def ready(self) -> None:
        from klantbinding import audit, checks, middleware  # noqa: F401  (checks register)

        audit.connect()
        middleware.connect()
