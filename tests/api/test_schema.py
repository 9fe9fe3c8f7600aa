"""Schemathesis runs over the whole OpenAPI document in-process (Django's WSGI app): for
every operation, generated requests (valid and invalid) must give no server error, only
documented status codes and content types, and bodies and headers that match the document."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import TokenRateThrottle
from api.services.tokens import token_create
from tests.factories import CustomerFactory, assess

EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def api_schema(db, mira, anne, monkeypatch):
    """The document as the app serves it, with a little data behind it."""
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "100000/min"})
    customer = CustomerFactory(account_manager=anne, external_id="CRM-1")
    assess(customer, {"performance": 4, "service": 2}, user=anne)
    assess(customer, {"performance": 5}, kind="customer", email="inkoop@klant.example")
    # Requests run in this thread on the test's own transaction: the app must not close the
    # connection after each request (Django's test client stands the same handler down).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def management_token(mira) -> str:
    return token_create(user=mira, name="schemathesis", scope="read_write").secret


def test_every_operation_conforms_to_the_document(api_schema, management_token):
    """Every operation of the document, each with generated cases (schemathesis' pytest
    plugin cannot load the schema from a fixture under this pytest, so the operations are
    walked here, one hypothesis run each)."""
    # Plain bodies: the app compresses for clients that ask, and this client does not unpack.
    headers = {"Authorization": f"Bearer {management_token}", "Accept-Encoding": "identity"}
    failures: dict[str, str] = {}
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as failure:  # every operation is reported
            failures[operation.label] = str(failure)[:2000]
    assert operations >= 15
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_the_document_is_openapi_3_1_and_the_docs_are_served_locally(client):
    document = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert document.status_code == 200
    assert document.json()["openapi"] == "3.1.0"
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui" in page and "https://" not in page.replace("https://github.com", "")
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
