"""Fixtures for the background jobs: a Redis server of the tests' own as the broker, and a
real Celery worker started by the test (as the survey tests do)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from klantbinding.celery import app as celery_app
from tests.surveys.support import RedisServer, use_broker


@pytest.fixture(scope="session")
def job_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def job_broker(job_redis: RedisServer) -> Iterator[RedisServer]:
    """Tasks a test queues go to the tests' own Redis (emptied first), never a developer's."""
    use_broker(job_redis.url)
    redis.Redis.from_url(job_redis.url).flushdb()
    yield job_redis


@pytest.fixture
def job_worker(job_broker: RedisServer) -> Iterator[object]:
    """A real Celery worker (threads) on the test Redis. Use it in tests marked
    ``django_db(transaction=True, serialized_rollback=True)``: threads see committed rows."""
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker
