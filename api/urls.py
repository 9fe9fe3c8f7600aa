from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from api.views import resources as r
from api.views import tokens, webhooks

app_name = "api"

v1 = "v1/"
urlpatterns = [
    path(f"{v1}schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        f"{v1}docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", permission_classes=[AllowAny], template_name="api/docs.html"
        ),
        name="docs",
    ),
    path(f"{v1}me/", r.MeView.as_view(), name="me"),
    path(f"{v1}customers/", r.CustomerList.as_view(), name="customers"),
    path(f"{v1}customers/<str:external_id>/", r.CustomerDetail.as_view(), name="customer"),
    path(f"{v1}customers/<str:external_id>/score/", r.CustomerScoreView.as_view(), name="score"),
    path(
        f"{v1}customers/<str:external_id>/score/history/",
        r.ScoreHistory.as_view(),
        name="score-history",
    ),
    path(f"{v1}assessments/", r.AssessmentList.as_view(), name="assessments"),
    path(f"{v1}assessments/<int:pk>/", r.AssessmentDetail.as_view(), name="assessment"),
    path(f"{v1}contacts/", r.ContactList.as_view(), name="contacts"),
    path(f"{v1}actions/", r.ActionList.as_view(), name="actions"),
    path(f"{v1}actions/<int:pk>/", r.ActionStatus.as_view(), name="action"),
    path(f"{v1}alerts/", r.AlertList.as_view(), name="alerts"),
    path(
        f"{v1}alerts/<int:pk>/acknowledge/", r.AlertAcknowledge.as_view(), name="alert-acknowledge"
    ),
    path(f"{v1}departures/", r.DepartureCreate.as_view(), name="departures"),
    # Anything else under v1 (an id that is no number, an external id with a slash) is a
    # problem+json 404 too, never Django's HTML page.
    re_path(r"^v1/", r.NotFoundView.as_view(), name="not-found"),
    # The pages of the app: a user's tokens, management's webhook endpoints.
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("webhooks/", webhooks.endpoint_list, name="webhooks"),
    path("webhooks/new/", webhooks.endpoint_create, name="webhook-create"),
    path("webhooks/<int:pk>/", webhooks.endpoint_detail, name="webhook-detail"),
    path(
        "webhooks/<int:pk>/resend/<int:delivery>/", webhooks.delivery_resend, name="webhook-resend"
    ),
]
