from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        # The dashboard's charts on the customer page (issue 5).
        from scoring.extensions import Panel, register_customer_panel, register_timeline_source
        from scoring.selectors import assessment_timeline
        from scoring.views.dashboard import customer_charts

        register_customer_panel(
            Panel(
                name="charts",
                template="scoring/_customer_charts.html",
                context=customer_charts,
                order=10,
            )
        )
        # Assessments and survey answers in the customer's timeline (other apps add theirs).
        register_timeline_source("assessments", assessment_timeline)
