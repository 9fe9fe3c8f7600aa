"""Fixtures with the real parts for the actions' e-mail tests: an SMTP server on loopback (the
Redis server and the Celery worker come from tests/conftest.py). None is autouse: the other
actions tests (and the statistics tests) need none of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from tests.surveys.support import SmtpServer


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages of services read in English here (the default language is Dutch); tests of
    the Dutch texts ask for them."""
    with translation.override("en"):
        yield


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "http://testserver"
    yield server
    server.stop()
