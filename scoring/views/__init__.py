"""Pages, by sub-domain: ``customers`` (the list, the customer page, one assessment),
``directory`` (adding and editing customers, contact persons and market experts),
``matrix`` (scoring a customer), ``scoring_models`` (the model editor), ``uploads`` and
``dashboard``. Views are thin: permission, form, one service or selector call, render."""

from scoring.roles import management_required
from scoring.views.customers import (
    SORTS,
    assessment_detail,
    customer_detail,
    customer_list,
    visible_customer,
)
from scoring.views.dashboard import dashboard_customers, dashboard_export, dashboard_page
from scoring.views.directory import (
    contact_active,
    contact_create,
    contact_edit,
    customer_create,
    customer_edit,
    expert_create,
    expert_edit,
    expert_list,
)
from scoring.views.matrix import assessment_result, customer_matrix, customer_matrix_preview
from scoring.views.scoring_models import (
    job_detail,
    job_status,
    model_discard,
    model_draft_create,
    model_edit,
    model_list,
    model_publish,
    scores_recompute,
)
from scoring.views.uploads import upload, upload_done, upload_preview

__all__ = [
    "SORTS",
    "assessment_detail",
    "assessment_result",
    "contact_active",
    "contact_create",
    "contact_edit",
    "customer_create",
    "customer_detail",
    "customer_edit",
    "customer_list",
    "customer_matrix",
    "customer_matrix_preview",
    "dashboard_customers",
    "dashboard_export",
    "dashboard_page",
    "expert_create",
    "expert_edit",
    "expert_list",
    "job_detail",
    "job_status",
    "management_required",
    "model_discard",
    "model_draft_create",
    "model_edit",
    "model_list",
    "model_publish",
    "scores_recompute",
    "upload",
    "upload_done",
    "upload_preview",
    "visible_customer",
]
