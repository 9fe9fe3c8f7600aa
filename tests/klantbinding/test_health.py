"""/health says whether the database and the broker answer, and names the part that is down."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.surveys.support import free_port

pytestmark = pytest.mark.django_db


def test_health_is_ok_when_the_database_and_the_broker_answer(redis_server, settings):
    settings.CELERY_BROKER_URL = redis_server.url
    for path in ("/health", "/health/"):
        response = Client().get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "down": []}
        assert "no-cache" in response["Cache-Control"]


def test_health_names_the_broker_when_it_does_not_answer(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # a closed port
    response = Client().get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["down"] == ["broker"]
    assert body["database"] == "ok"
    assert body["broker"] == "down"
    assert "127.0.0.1" not in response.content.decode()  # details go to the log only


def test_health_checks_the_filesystem_broker_of_development(settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "queue")}
    assert Client().get("/health").json()["down"] == ["broker"]
    (tmp_path / "queue").mkdir()
    assert Client().get("/health").status_code == 200


def test_health_answers_plain_http_when_everything_else_redirects_to_https(redis_server, settings):
    settings.CELERY_BROKER_URL = redis_server.url
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/health").status_code == 200
    login = Client().get("/accounts/login/")
    assert login.status_code == 301
    assert login.url.startswith("https://")
