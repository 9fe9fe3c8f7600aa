"""The app's URLs plus pages that fail on purpose, for the error page tests."""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from klantbinding.urls import (  # noqa: F401 (the handlers are read from the URL conf)
    handler400,
    handler403,
    handler404,
    handler500,
)
from klantbinding.urls import urlpatterns as app_urlpatterns


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("odd input")


urlpatterns = [
    path("test-errors/broken/", broken),
    path("test-errors/suspicious/", suspicious),
    *app_urlpatterns,
]
