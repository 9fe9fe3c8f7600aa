"""Personas: two account managers, one manager and one outsider; and the real parts shared by
the e-mail tests: a Redis of the tests' own, a Celery worker and an SMTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import UserFactory, account_manager, manager

if TYPE_CHECKING:
    from tests.surveys.support import SmtpServer


@pytest.fixture
def anne(db):
    """Account manager with her own customers."""
    return account_manager("anne")


@pytest.fixture
def bart(db):
    """A second account manager, who must never see Anne's customers."""
    return account_manager("bart")


@pytest.fixture
def mira(db):
    """Management: sees everything."""
    return manager("mira")


@pytest.fixture
def outsider(db):
    """A signed-in user in no group."""
    return UserFactory(username="olaf")


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Each test starts with an empty cache: ids repeat between tests on SQLite, so a cached
    dashboard of one test could otherwise be served in the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def site_language() -> Iterator[None]:
    """Each test starts in the site language, as a process does: a request through the test
    client leaves its language active in the thread, and a management command run by the next
    test would otherwise speak the previous test's language."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    """The factories hash a password per user; PBKDF2 would make up most of the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


MEMORY_BROKER = "memory://"


def _point_celery_at(url: str) -> None:
    """Point the Celery app at ``url`` and drop the connections made to any other broker."""
    from klantbinding.celery import app as celery_app

    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(scope="session", autouse=True)
def celery_in_memory() -> Iterator[None]:
    """Tasks queued by a test (alerts evaluated on commit, e-mails handed to a worker) go to
    an in-memory broker, never to the shared Redis on 127.0.0.1:6379 database 0 that the
    settings name. A test that needs a real broker and worker points the app at a Redis of
    its own (the ``broker`` fixtures of the survey, actions, relations and alerts tests)."""
    _point_celery_at(MEMORY_BROKER)
    yield


@pytest.fixture(autouse=True)
def celery_back_in_memory() -> Iterator[None]:
    """After a test that pointed Celery at a broker of its own, the next one starts in memory
    again (that broker may be gone)."""
    yield
    from klantbinding.celery import app as celery_app

    if celery_app.conf.broker_url != MEMORY_BROKER:
        _point_celery_at(MEMORY_BROKER)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the WAL files SQLite leaves next to the per-process test database file
    (settings gives SQLite test runs a file; Django deletes the file, not these)."""
    from pathlib import Path

    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if name and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        for suffix in ("-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _sequences_past_restored_rows(request: pytest.FixtureRequest) -> None:
    """A transactional test with ``serialized_rollback`` gets the migrations' rows back with
    their ids, but PostgreSQL's id sequences are not moved past them: after a test that reset
    them, the next insert collides with a restored row (the default scoring model, id 1).
    Move every sequence past the rows that are there."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("serialized_rollback"):
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture(scope="session")
def worker_redis():
    """A Redis server of the tests' own (never a developer's), for the tests that queue tasks."""
    from tests.surveys.support import RedisServer

    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(worker_redis):
    """Tasks a test queues go to the tests' own Redis, emptied before the test. The survey,
    relations and sign-in tests keep variants of their own (autouse, a restart, more threads)."""
    import redis

    from tests.surveys.support import use_broker

    use_broker(worker_redis.url)
    redis.Redis.from_url(worker_redis.url).flushdb()
    yield worker_redis


@pytest.fixture
def celery_worker(broker):
    """A real Celery worker (threads) on the test Redis. Use it in tests marked
    ``django_db(transaction=True, serialized_rollback=True)``: its threads see committed rows
    only."""
    from celery.contrib.testing.worker import start_worker

    from klantbinding.celery import app as celery_app

    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, with Django's e-mail settings
    pointed at it (SMTP backend, no TLS, no login, SITE_URL http://testserver for the links).

    What arrives is in ``smtp.inbox``: ``.messages``, ``.to(address)``, ``.recipients()``;
    addresses in ``smtp.inbox.refuse`` or ``.defer`` get a 550 or a 451. ``smtp.stop()`` and
    ``smtp.start()`` take the server down and up again on the same port."""
    from tests.surveys.support import SmtpServer

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
