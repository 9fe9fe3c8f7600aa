"""Fixtures for the project-wide behaviour: an SMTP server on loopback, a Redis of the tests'
own, signing in through the real sign-in form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from tests.surveys.support import RedisServer, SmtpServer

PASSWORD = "geheim-wachtwoord-42"  # the factories' password


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """The lockout and the link throttle count in the (per-process) cache."""
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str):
    """POST the sign-in form as a browser would."""
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)
