from __future__ import annotations

from django.urls import path

from scoring import views

app_name = "scoring"

urlpatterns: list = [
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/new/", views.customer_create, name="customer-create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path(
        "customers/<int:pk>/contact-persons/new/",
        views.contact_create,
        name="contact-person-create",
    ),
    path("contact-persons/<int:pk>/", views.contact_edit, name="contact-person-edit"),
    path("contact-persons/<int:pk>/active/", views.contact_active, name="contact-person-active"),
    path("experts/", views.expert_list, name="expert-list"),
    path("experts/new/", views.expert_create, name="expert-create"),
    path("experts/<int:pk>/", views.expert_edit, name="expert-edit"),
    path("customers/<int:pk>/matrix/", views.customer_matrix, name="customer-matrix"),
    path(
        "customers/<int:pk>/matrix/preview/",
        views.customer_matrix_preview,
        name="customer-matrix-preview",
    ),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("assessments/<int:pk>/result/", views.assessment_result, name="assessment-result"),
    path("scoring-model/", views.model_list, name="model-list"),
    path("scoring-model/new/", views.model_draft_create, name="model-draft-create"),
    path("scoring-model/<int:pk>/", views.model_edit, name="model-edit"),
    path("scoring-model/<int:pk>/publish/", views.model_publish, name="model-publish"),
    path("scoring-model/<int:pk>/discard/", views.model_discard, name="model-discard"),
    path("scoring-model/recompute/", views.scores_recompute, name="scores-recompute"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/status/", views.job_status, name="job-status"),
    path("import/", views.upload, name="upload"),
    path("import/<str:token>/", views.upload_preview, name="upload-preview"),
    path("import/<str:token>/done/", views.upload_done, name="upload-done"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/customers/", views.dashboard_customers, name="dashboard-customers"),
    path("dashboard/export/<str:fmt>/", views.dashboard_export, name="dashboard-export"),
]
