from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        from alerts import demo, panels, receivers
        from alerts.selectors import linked, register_state_reader
        from scoring import extensions
        from scoring.signals import snapshots_stored

        snapshots_stored.connect(
            receivers.evaluate_new_snapshots, dispatch_uid="alerts.evaluate_new_snapshots"
        )
        for name, reader in linked.READERS.items():
            register_state_reader(name, reader)
        receivers.connect_linked_apps()
        extensions.register_customer_panel(
            extensions.Panel(
                name="alerts",
                template="alerts/_customer_alerts.html",
                context=panels.customer_alerts,
                order=5,
            )
        )
        extensions.register_timeline_source("alerts", panels.alert_timeline)
        extensions.register_demo_step(
            extensions.DemoStep(name="alerts", run=demo.seed_alerts, order=200)
        )
