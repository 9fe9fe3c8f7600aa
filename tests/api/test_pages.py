"""The pages: a user makes a token (its secret shown once) and revokes it; management
registers a webhook endpoint; account managers see no webhooks."""

from __future__ import annotations

import re
import uuid

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ("Copy it now", "Revoke")), ("nl", ("Kopieer het nu", "Intrekken"))],
)
def test_a_user_makes_a_token_sees_it_once_and_revokes_it(client, anne, language, words):
    client.force_login(anne)
    form = {"name": "CRM-koppeling", "scope": "read", "creation_key": str(uuid.uuid4())}
    page = client.post("/api/tokens/", form, HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert page.status_code == 200 and words[0] in html and words[1] in html
    assert page["Cache-Control"] == "no-store"
    secret = re.search(r'value="(kb_[A-Za-z0-9_-]+)"', html)[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me/").json()["scope"] == "read"

    again = client.get("/api/tokens/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert secret not in again and "CRM-koppeling" in again  # shown once only
    reposted = client.post("/api/tokens/", form, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'id="new-token"' not in reposted and secret not in reposted
    assert ApiToken.objects.filter(user=anne).count() == 1

    token = ApiToken.objects.get(user=anne)
    client.post(f"/api/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/me/").status_code == 401


def test_a_token_of_another_user_cannot_be_revoked(client, anne, bart, token_for):
    token_for(bart)
    client.force_login(anne)
    token = ApiToken.objects.get(user=bart)
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_management_registers_an_endpoint_and_account_managers_see_none(
    client, anne, mira, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(mira)
    refused = client.post(
        "/api/webhooks/new/",
        {"url": "http://crm.example/hooks", "events": ["score.changed"]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200 and "https" in refused.content.decode()
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    made = client.post(
        "/api/webhooks/new/",
        {"url": "http://127.0.0.1:9/hooks", "events": ["score.changed", "alert.fired"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert made.status_code == 302 and endpoint.events == ["score.changed", "alert.fired"]
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in client.get(f"/api/webhooks/{endpoint.pk}/").content.decode()
    client.force_login(anne)
    assert client.get("/api/webhooks/").status_code == 403


def test_the_demo_step_makes_a_token_for_management(mira):
    from django.contrib.auth import get_user_model

    from api.demo import seed_api
    from scoring.extensions import demo_steps

    assert "api" in [step.name for step in demo_steps()]
    get_user_model().objects.create_user("directie", "directie@klantbinding.example")
    line = seed_api(seed=1, now=None)  # type: ignore[arg-type]
    secret = line.rsplit(" ", 1)[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me/").json()["username"] == "directie"
