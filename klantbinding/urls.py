from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from klantbinding import views
from klantbinding.accounts import PasswordLinkForm

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("health/", views.health),
    path("audit/", views.audit, name="audit"),
    path("company/", views.company_settings, name="company-settings"),
    path("company/logo", views.company_logo, name="company-logo"),
    path("mail/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordLinkForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("scoring.urls")),
    path("surveys/", include("surveys.urls")),
    path("actions/", include("actions.urls")),
    path("relations/", include("relations.urls")),
    path("alerts/", include("alerts.urls")),
    path("api/", include("api.urls")),
]

# The error pages in the app's layout, with the user's menu (klantbinding/errors.py).
handler400 = "klantbinding.errors.bad_request"
handler403 = "klantbinding.errors.permission_denied"
handler404 = "klantbinding.errors.page_not_found"
handler500 = "klantbinding.errors.server_error"
