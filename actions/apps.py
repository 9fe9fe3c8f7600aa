from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = _("Improvement actions")

    def ready(self) -> None:
        # The actions app shows itself on scoring's pages through scoring's registries only.
        from django.db.models.signals import post_save

        from actions import panels, services
        from actions.models import Action, ActionType
        from scoring import extensions
        from scoring.signals import snapshots_stored

        # New assessments (their snapshots) and written actions change the effect report:
        # queue its rebuild (only when it is built in the background).
        changed = services.effect_report_inputs_changed
        snapshots_stored.connect(changed, dispatch_uid="actions.report.snapshots")
        post_save.connect(changed, sender=Action, dispatch_uid="actions.report.action")
        post_save.connect(changed, sender=ActionType, dispatch_uid="actions.report.type")

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
