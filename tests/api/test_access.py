"""The access matrix: a token sees exactly what its user sees, a read token cannot write, and
a revoked or expired token is refused; errors are problem details in the request's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services.tokens import token_hash, token_revoke
from scoring.models import Customer
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(anne, bart):
    mine = CustomerFactory(account_manager=anne, external_id="CRM-A1", name="Anne's klant")
    theirs = CustomerFactory(account_manager=bart, external_id="CRM-B1", name="Bart's klant")
    assess(mine, {"performance": 5, "service": 4}, user=anne)
    assess(theirs, {"performance": 2, "service": 1}, user=bart)
    return mine, theirs


READS = [
    "/api/v1/customers/{id}/",
    "/api/v1/customers/{id}/score/",
    "/api/v1/customers/{id}/score/history/",
    "/api/v1/contacts/?customer={id}",
    "/api/v1/actions/?customer={id}",
    "/api/v1/alerts/?customer={id}",
    "/api/v1/assessments/?customer={id}",
]


@pytest.mark.parametrize("url", READS)
def test_an_account_managers_token_cannot_read_another_managers_customer(
    client_for, anne, customers, url
):
    client = client_for(anne)
    assert client.get(url.format(id="CRM-A1")).status_code == 200
    response = client.get(url.format(id="CRM-B1"))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert "CRM-B1" not in response.content.decode()


def test_the_customer_list_holds_only_the_users_own_customers(client_for, anne, mira, customers):
    ids = [c["external_id"] for c in client_for(anne).get("/api/v1/customers/").json()["results"]]
    assert ids == ["CRM-A1"]
    everyone = client_for(mira).get("/api/v1/customers/").json()["results"]
    assert sorted(c["external_id"] for c in everyone) == ["CRM-A1", "CRM-B1"]


def test_an_account_manager_cannot_change_another_managers_customer(client_for, anne, customers):
    client = client_for(anne)
    contact = {
        "customer": "CRM-B1",
        "kind": "call",
        "at": timezone.now().isoformat(),
        "summary": "Gebeld",
    }
    assert client.post("/api/v1/contacts/", contact, format="json").status_code == 404
    assessment = {"customer": "CRM-B1", "values": {"performance": 6}}
    assert client.post("/api/v1/assessments/", assessment, format="json").status_code == 404
    assert customers[1].contact_moments.count() == 0
    assert customers[1].assessments.count() == 1


def test_a_read_token_cannot_write(client_for, anne, customers):
    client = client_for(anne, scope="read")
    assert client.get("/api/v1/customers/CRM-A1/").status_code == 200
    contact = {
        "customer": "CRM-A1",
        "kind": "call",
        "at": timezone.now().isoformat(),
        "summary": "Gebeld",
    }
    response = client.post("/api/v1/contacts/", contact, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "only read" in response.json()["detail"]
    assert customers[0].contact_moments.count() == 0


def test_an_account_manager_cannot_upsert_customers(client_for, anne, customers):
    body = {"customers": [{"external_id": "CRM-A1", "name": "Andere naam"}]}
    response = client_for(anne).post("/api/v1/customers/", body, format="json")
    assert response.status_code == 403
    assert Customer.objects.get(external_id="CRM-A1").name == "Anne's klant"


def test_a_revoked_token_is_refused(token_for, anne, customers):
    secret = token_for(anne)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me/").status_code == 200
    token_revoke(token=ApiToken.objects.get(token_hash=token_hash(secret)))
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token was revoked."


def test_an_expired_token_is_refused(token_for, anne, customers):
    secret = token_for(anne, expires_on=timezone.localdate() + timedelta(days=2))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token has expired."


def test_a_wrong_or_missing_token_is_a_401_in_the_requests_language(anne):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="nl")
    client.credentials(HTTP_AUTHORIZATION="Bearer kb_niet-echt")
    response = client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Dit token is niet geldig."
    assert response["WWW-Authenticate"] == "Bearer"
    assert APIClient().get("/api/v1/customers/").status_code == 401


def test_only_the_hash_of_a_token_is_stored_and_its_use_is_recorded(token_for, anne):
    secret = token_for(anne)
    token = ApiToken.objects.get(user=anne)
    assert secret not in {token.token_hash, token.prefix, token.name}
    assert token.token_hash == token_hash(secret) and secret.startswith(token.prefix)
    assert token.last_used_at is None
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_requests_are_throttled_per_token(client_for, anne, bart, settings):
    from django.core.cache import cache

    cache.clear()
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"token": "3/min"}
    settings.REST_FRAMEWORK = rest
    from rest_framework.settings import api_settings

    from api.auth import TokenRateThrottle

    api_settings.reload()
    TokenRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        first, second = client_for(anne), client_for(bart)
        codes = [first.get("/api/v1/me/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert second.get("/api/v1/me/").status_code == 200  # another token, its own count
    finally:
        settings.REST_FRAMEWORK = {**rest, "DEFAULT_THROTTLE_RATES": {"token": "1200/min"}}
        api_settings.reload()
        TokenRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()
