"""Fixtures for the API tests: personal tokens and a client that sends them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from api.services.tokens import token_create


@pytest.fixture
def token_for(db) -> Callable[..., str]:
    """A new token's secret for ``user`` (read_write unless ``scope`` says otherwise)."""

    def make(user: Any, scope: str = "read_write", expires_on: date | None = None) -> str:
        return token_create(user=user, name="test", scope=scope, expires_on=expires_on).secret

    return make


@pytest.fixture
def client_for(token_for) -> Callable[..., APIClient]:
    """An API client that authenticates with a new token of ``user``."""

    def make(user: Any, scope: str = "read_write", language: str = "en") -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope)}")
        return client

    return make
