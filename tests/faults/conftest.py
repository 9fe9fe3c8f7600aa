"""Fixtures of the fault tests (``make test-faults``): a Redis server, an SMTP sink, and Celery
workers and beats in processes of their own, all on one PostgreSQL database shared with the
test (the tests are transactional, so the processes see what the test commits).

Ports come from KB_FAULT_PORT_BASE upwards when it is set (a machine that hands out port
ranges), from the operating system otherwise.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection

from tests.faults.support import CeleryProcess, SmtpSink
from tests.surveys.support import RedisServer, free_port, use_broker

_BASE = os.environ.get("KB_FAULT_PORT_BASE")
_PORTS = itertools.count(int(_BASE)) if _BASE else None


def next_port() -> int:
    return next(_PORTS) if _PORTS is not None else free_port()


@pytest.fixture(autouse=True)
def on_postgresql() -> None:
    """The worker processes share the test's database: it must be a server's."""
    if connection.vendor != "postgresql":
        pytest.fail(
            "The fault tests need PostgreSQL: set DATABASE_URL=postgres://… "
            "(make test-faults does)."
        )


@pytest.fixture(scope="session")
def fault_redis() -> Iterator[RedisServer]:
    server = RedisServer(next_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(fault_redis: RedisServer) -> Iterator[RedisServer]:
    """The test's and the processes' broker, emptied before each test and up after it."""
    if fault_redis.process is None:
        fault_redis.start()
    use_broker(fault_redis.url)
    redis.Redis.from_url(fault_redis.url).flushall()
    yield fault_redis
    if fault_redis.process is None:  # a test took it down
        fault_redis.start()


@pytest.fixture
def sink(settings) -> Iterator[SmtpSink]:
    server = SmtpSink(next_port())
    server.start()
    settings.SITE_URL = "http://testserver"
    yield server
    server.stop()


@pytest.fixture
def celery_env(broker: RedisServer, sink: SmtpSink) -> dict[str, str]:
    """The environment of a worker or beat process: the test's database, broker and sink, and
    delays of seconds where production waits minutes."""
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER'] or ''}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}"
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = dict(os.environ)
    env.update(
        {
            "KB_DEVELOPMENT": "1",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": broker.url,
            "REDIS_URL": broker.url,
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            "EMAIL_TIMEOUT": "5",
            "SITE_URL": "http://testserver",
            "SURVEYS_SEND_BATCH_SIZE": "50",
            "SURVEYS_SEND_STALE_SECONDS": "3",
            "SURVEYS_REQUEUE_SECONDS": "5",
            "SURVEYS_RETRY_BASE_SECONDS": "1",
            "SURVEYS_RETRY_MAX_SECONDS": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture
def processes(celery_env, tmp_path: Path) -> Iterator[Callable[..., CeleryProcess]]:
    """``processes("worker")`` or ``processes("beat")``: started, and stopped after the test
    (before the database is emptied)."""
    started: list[CeleryProcess] = []
    count = itertools.count(1)

    def make(kind: str, *, start: bool = True) -> CeleryProcess:
        n = next(count)
        if kind == "worker":
            command = [
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=fault{n}@%h",
            ]
            ready = " ready."
        else:
            command = [
                "beat",
                "--loglevel=INFO",
                "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
                "--pidfile=",
                "--max-interval=1",
            ]
            ready = "beat: Starting..."
        process = CeleryProcess(command, celery_env, tmp_path / f"{kind}-{n}.log", ready)
        started.append(process)
        if start:
            process.start()
        return process

    yield make
    for process in started:
        process.stop()
