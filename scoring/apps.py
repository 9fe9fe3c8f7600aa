from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        from scoring.extensions import register_timeline_source
        from scoring.selectors import assessment_timeline

        # Assessments and survey answers in the customer's timeline (other apps add theirs).
        register_timeline_source("assessments", assessment_timeline)
