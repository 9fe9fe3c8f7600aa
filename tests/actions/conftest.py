"""Fixtures with the real parts for the actions' e-mail and task tests: an SMTP server on
loopback, a Redis server of the tests' own and a Celery worker. None is autouse: the other
actions tests (and the statistics tests) need none of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.utils import translation

from klantbinding.celery import app as celery_app
from tests.surveys.support import RedisServer, SmtpServer, use_broker


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


@pytest.fixture(scope="session")
def actions_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(actions_redis: RedisServer) -> Iterator[RedisServer]:
    """Tasks queue on the tests' own Redis, emptied before the test."""
    use_broker(actions_redis.url)
    redis.Redis.from_url(actions_redis.url).flushdb()
    yield actions_redis


@pytest.fixture
def celery_worker(broker) -> Iterator[object]:
    """A real Celery worker (threads pool) on the test Redis. Use it in tests marked
    ``django_db(transaction=True, serialized_rollback=True)``: its threads see committed rows
    only."""
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker
