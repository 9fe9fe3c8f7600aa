from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = _("Improvement actions")

    def ready(self) -> None:
        # The actions app shows itself on scoring's pages through scoring's registries only.
        from actions import panels
        from scoring import extensions

        extensions.register_customer_panel(
            extensions.Panel(
                name="actions",
                template="actions/_customer_actions.html",
                context=panels.customer_actions,
                order=20,
            )
        )
        extensions.register_timeline_source("actions", panels.action_timeline)
        extensions.register_demo_step(
            extensions.DemoStep(name="actions", run=panels.demo_run, order=50)
        )
