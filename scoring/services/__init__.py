"""Writes, by sub-domain: ``assessments`` (checking and submitting, the central write),
``scores`` (refreshing stored snapshots, backfilling history), ``scoring_models`` (drafts
and publishing), ``jobs`` (publishing and recomputing in the background, in batches) and
``directory`` (customers, contact persons and market experts kept in the app).
Keyword-only arguments, checked, written inside a transaction."""

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
from scoring.services.directory import (
    contact_save,
    contact_set_active,
    customer_save,
    expert_save,
)
from scoring.services.jobs import (
    ScoringJobBusyError,
    import_in_background,
    import_job_start,
    scoring_job_enqueue,
    scoring_job_fail,
    scoring_job_run,
    scoring_job_start,
    scoring_job_step,
    scoring_jobs_resume,
)
from scoring.services.scores import RefreshResult, scores_backfill, scores_refresh
from scoring.services.scoring_models import (
    scoring_model_activate,
    scoring_model_check_publishable,
    scoring_model_draft_create,
    scoring_model_draft_discard,
    scoring_model_draft_save,
    scoring_model_publish,
)

__all__ = [
    "AssessmentSubmitted",
    "CleanAssessment",
    "RefreshResult",
    "ScoringJobBusyError",
    "assessment_clean",
    "assessment_submit",
    "assessments_bulk_create",
    "contact_save",
    "contact_set_active",
    "customer_save",
    "element_scores_insert",
    "expert_save",
    "import_in_background",
    "import_job_start",
    "nps_value_error",
    "score_value_error",
    "scores_backfill",
    "scores_refresh",
    "scoring_job_enqueue",
    "scoring_job_fail",
    "scoring_job_run",
    "scoring_job_start",
    "scoring_job_step",
    "scoring_jobs_resume",
    "scoring_model_activate",
    "scoring_model_check_publishable",
    "scoring_model_draft_create",
    "scoring_model_draft_discard",
    "scoring_model_draft_save",
    "scoring_model_publish",
]
