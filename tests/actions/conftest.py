"""Fixtures of the actions tests: services' messages in English. The real parts for the e-mail
tests (the SMTP server on loopback, the Redis server and the Celery worker) come from
tests/conftest.py; none of them is autouse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages of services read in English here (the default language is Dutch); tests of
    the Dutch texts ask for them."""
    with translation.override("en"):
        yield
