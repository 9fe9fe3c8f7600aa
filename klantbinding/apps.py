from __future__ import annotations

from django.apps import AppConfig


class KlantbindingConfig(AppConfig):
    name = "klantbinding"
    verbose_name = "Klantbinding"

    def ready(self) -> None:
        from klantbinding import audit, checks, middleware  # noqa: F401  (checks register)
        from scoring.extensions import DemoStep, register_demo_step

        audit.connect()
        middleware.connect()
        register_demo_step(DemoStep(name="change log", run=audit.demo_step, order=900))
