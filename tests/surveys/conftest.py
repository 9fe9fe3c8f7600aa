"""Fixtures with the real parts for survey tests: a Redis server of the tests' own and a Celery
worker started by the test (SMTP on loopback is tests/conftest.py's ``smtp``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from klantbinding.celery import app as celery_app
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.support import RedisServer, use_broker


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def broker(redis_server: RedisServer) -> Iterator[RedisServer]:
    """Every survey test queues its tasks on the tests' own Redis (emptied before each test)."""
    if redis_server.process is None:
        redis_server.start()
    use_broker(redis_server.url)
    redis.Redis.from_url(redis_server.url).flushdb()
    yield redis_server
    if redis_server.process is None:  # a test took it down
        redis_server.start()


@pytest.fixture
def celery_worker(broker) -> Iterator[object]:
    """A real Celery worker (threads pool) consuming from the test Redis.

    Use it in tests marked ``django_db(transaction=True, serialized_rollback=True)``: the
    worker's threads only see committed rows."""
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=4,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker


@pytest.fixture
def portfolio(anne, bart) -> Callable[..., list]:
    """Customers with contact persons: ``portfolio(n, contacts=1, manager=anne)``."""

    def build(count: int, *, contacts: int = 1, manager=None, language: str = "nl") -> list:
        customers = CustomerFactory.create_batch(count, account_manager=manager or anne)
        for customer in customers:
            ContactFactory.create_batch(contacts, customer=customer, language=language)
        return customers

    return build


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()
