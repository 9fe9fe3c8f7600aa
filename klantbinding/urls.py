from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from klantbinding import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("scoring.urls")),
    path("surveys/", include("surveys.urls")),
]
