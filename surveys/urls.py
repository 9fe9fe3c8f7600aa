from __future__ import annotations

from django.urls import path  # noqa: F401 - the survey pages add their routes here

app_name = "surveys"

urlpatterns: list = []
