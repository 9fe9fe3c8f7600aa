"""Fixtures for the project-wide behaviour: a Redis of the tests' own, signing in through the
real sign-in form (the SMTP server on loopback is tests/conftest.py's ``smtp``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from tests.surveys.support import RedisServer

PASSWORD = "geheim-wachtwoord-42"  # the factories' password


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """The lockout and the link throttle count in the (per-process) cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str):
    """POST the sign-in form as a browser would."""
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)
