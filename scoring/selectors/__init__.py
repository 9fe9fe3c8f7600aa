"""Reads, by sub-domain: ``scoring_models``, ``customers``, ``assessments``, ``scores`` (the
rule run without storing), ``dashboard_frames`` and ``dashboard`` (what the dashboard shows).

Every selector that feeds a page runs a fixed number of queries whatever the number of
customers, and returns a frozen dataclass or a TypedDict. The names below are the public ones
other apps import from ``scoring.selectors``.
"""

from klantbinding.lib.db import chunked
from scoring.selectors.assessments import (
    AssessmentOutcome,
    AssessmentPage,
    MatrixPage,
    assessment_outcome,
    assessment_page,
    assessment_timeline,
    assessments_visible_to,
    matrix_page,
    previous_assessment,
)
from scoring.selectors.customers import (
    LIST_SORT_COLUMNS,
    LIST_SORT_FIELDS,
    CustomerHistory,
    CustomerList,
    CustomerListRow,
    CustomerPage,
    account_manager_choices,
    customer_history,
    customer_list,
    customer_list_page,
    customer_nps,
    customer_page,
    customers_due,
    customers_visible_to,
    export_rows,
)
from scoring.selectors.dashboard import (
    DashboardPage,
    DashboardSelection,
    dashboard_page,
    dashboard_selection,
)
from scoring.selectors.scores import (
    ScoreResult,
    assessment_frames,
    assessment_scores,
    last_assessed_at,
    matrix_preview,
)
from scoring.selectors.scoring_models import (
    ModelPreview,
    NoActiveModelError,
    PublishPreview,
    asked_elements,
    elements_frame,
    model_changes,
    model_elements,
    publish_preview,
    scoring_model_active,
    scoring_model_draft,
    scoring_model_preview,
    scoring_models_listed,
)

__all__ = [
    "LIST_SORT_COLUMNS",
    "LIST_SORT_FIELDS",
    "AssessmentOutcome",
    "AssessmentPage",
    "CustomerHistory",
    "CustomerList",
    "CustomerListRow",
    "CustomerPage",
    "DashboardPage",
    "DashboardSelection",
    "MatrixPage",
    "ModelPreview",
    "NoActiveModelError",
    "PublishPreview",
    "ScoreResult",
    "account_manager_choices",
    "asked_elements",
    "assessment_frames",
    "assessment_outcome",
    "assessment_page",
    "assessment_scores",
    "assessment_timeline",
    "assessments_visible_to",
    "chunked",
    "customer_history",
    "customer_list",
    "customer_list_page",
    "customer_nps",
    "customer_page",
    "customers_due",
    "customers_visible_to",
    "dashboard_page",
    "dashboard_selection",
    "elements_frame",
    "export_rows",
    "last_assessed_at",
    "matrix_page",
    "matrix_preview",
    "model_changes",
    "model_elements",
    "previous_assessment",
    "publish_preview",
    "scoring_model_active",
    "scoring_model_draft",
    "scoring_model_preview",
    "scoring_models_listed",
]
