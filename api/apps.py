from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API and webhooks")

    def ready(self) -> None:
        # schema registers the token's security scheme with drf-spectacular.
        from api import demo, receivers, schema  # noqa: F401
        from scoring import extensions

        receivers.connect()
        extensions.register_demo_step(extensions.DemoStep(name="api", run=demo.seed_api, order=300))
