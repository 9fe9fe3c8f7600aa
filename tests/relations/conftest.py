"""Fixtures of the relations tests: a frozen clock in the middle of a working day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOON = datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)  # a Monday


@pytest.fixture
def frozen() -> Iterator[datetime]:
    """The clock stands still at noon on a Monday (Amsterdam), so day counts are exact."""
    with time_machine.travel(NOON, tick=False):
        yield NOON


@pytest.fixture(scope="session")
def redis_server():
    from tests.surveys.support import RedisServer

    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """The tests' own Redis as Celery's broker, emptied first."""
    import redis

    from tests.surveys.support import use_broker

    use_broker(redis_server.url)
    redis.Redis.from_url(redis_server.url).flushdb()
    return redis_server


@pytest.fixture
def celery_worker(broker):
    """A real Celery worker (threads) on the tests' Redis; needs committed rows."""
    from celery.contrib.testing.worker import start_worker

    from klantbinding.celery import app as celery_app

    with start_worker(
        celery_app,
        pool="threads",
        concurrency=3,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker
