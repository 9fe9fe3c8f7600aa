from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        # The dashboard's charts on the customer page (issue 5).
        from scoring.dashboard_views import customer_charts
        from scoring.extensions import Panel, register_customer_panel, register_timeline_source
        from scoring.selectors import assessment_timeline

        register_customer_panel(
            Panel(
                name="charts",
                template="scoring/_customer_charts.html",
                context=customer_charts,
                order=10,
            )
        )
        # The history of score changes, each with why it moved (issue 15).
        from scoring.movement import score_changes_panel

        register_customer_panel(
            Panel(
                name="score-changes",
                template="scoring/_score_changes.html",
                context=score_changes_panel,
                order=20,
            )
        )
        # Assessments and survey answers in the customer's timeline (other apps add theirs).
        register_timeline_source("assessments", assessment_timeline)
