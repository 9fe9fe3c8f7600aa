"""Writes, by sub-domain: ``assessments`` (checking and submitting, the central write),
``scores`` (refreshing stored snapshots, backfilling history) and ``scoring_models`` (drafts
and publishing). Keyword-only arguments, checked, written inside a transaction."""

from scoring.services.assessments import (
    AssessmentSubmitted,
    CleanAssessment,
    assessment_clean,
    assessment_submit,
    assessments_bulk_create,
    element_scores_insert,
    nps_value_error,
    score_value_error,
)
from scoring.services.scores import RefreshResult, scores_backfill, scores_refresh
from scoring.services.scoring_models import (
    scoring_model_draft_create,
    scoring_model_draft_discard,
    scoring_model_draft_save,
    scoring_model_publish,
)

__all__ = [
    "AssessmentSubmitted",
    "CleanAssessment",
    "RefreshResult",
    "assessment_clean",
    "assessment_submit",
    "assessments_bulk_create",
    "element_scores_insert",
    "nps_value_error",
    "score_value_error",
    "scores_backfill",
    "scores_refresh",
    "scoring_model_draft_create",
    "scoring_model_draft_discard",
    "scoring_model_draft_save",
    "scoring_model_publish",
]
