"""Staff e-mails carry a working unsubscribe: a signed link (footer and List-Unsubscribe with
RFC 8058's one-click POST) to a page that turns that kind of e-mail off, without signing in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from actions import services as actions_services
from actions.models import DigestPreference as ActionDigestPreference
from alerts.models import AlertSettings, Delivery
from alerts.services.delivery import _message as alert_message
from klantbinding.unsubscribe import KINDS, unsubscribe_url
from relations.models import DigestPreference as OverdueDigestPreference
from relations.services.mail import overdue_digest_message
from tests.actions.factories import make_action
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url.strip().strip("<>").split("testserver", 1)[1]


def test_the_action_digest_unsubscribes_with_one_click_and_then_is_not_sent(smtp, anne, mira):
    customer = CustomerFactory(account_manager=anne)
    action = make_action(customer, by=mira)
    type(action).objects.filter(pk=action.pk).update(
        due_on=timezone.localdate() - dt.timedelta(days=2)
    )
    assert actions_services.digest_send(owner_id=anne.pk).result == "sent"
    [received] = smtp.inbox.to(anne.email)
    header = received.message["List-Unsubscribe"]
    assert header.strip().startswith("<http://testserver/mail/unsubscribe/")
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "mailto:" not in header
    path = _path(header)
    assert f"http://testserver{path}" in received.text()
    assert f"http://testserver{path}" in received.html()

    # Opening the link (or a mail scanner following it) changes nothing ...
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert "digest" in page.content.decode()
    assert not ActionDigestPreference.objects.filter(user=anne, enabled=False).exists()
    # ... the mail client's one-click POST (no CSRF token, not signed in) turns it off.
    response = anonymous.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert ActionDigestPreference.objects.get(user=anne).enabled is False
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert actions_services.digest_send(owner_id=anne.pk, today=tomorrow).result == "disabled"


def test_a_forged_or_altered_link_turns_nothing_off(client, anne, settings):
    settings.SITE_URL = "http://testserver"
    path = _path(unsubscribe_url(anne, "alerts-weekly"))
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "not-a-token", token.replace(":", "")):
        response = client.post(f"/mail/unsubscribe/{bad}/")
        assert response.status_code == 404
    assert not AlertSettings.objects.filter(user=anne).exists()
    # The link of a user who left does nothing either.
    anne.is_active = False
    anne.save()
    assert client.post(path).status_code == 404


@pytest.mark.parametrize("language", ["nl", "en"])
def test_each_kind_of_staff_email_is_turned_off_by_its_own_link(
    client, anne, mira, language, settings
):
    settings.SITE_URL = "http://testserver"
    client.cookies["django_language"] = language
    AlertSettings.objects.create(
        user=mira,
        critical=Delivery.IMMEDIATELY,
        warning=Delivery.DAILY,
        info=Delivery.IMMEDIATELY,
        weekly_summary=True,
    )

    def off(user, kind):
        path = _path(unsubscribe_url(user, kind))
        assert client.get(path).status_code == 200
        response = client.post(path)
        assert response.status_code == 200
        assert ("Unsubscribed" if language == "en" else "Afgemeld") in response.content.decode()

    off(mira, "alerts-immediate")
    stored = AlertSettings.objects.get(user=mira)
    assert (stored.critical, stored.warning, stored.info) == ("inbox", "daily", "inbox")
    off(mira, "alerts-daily")
    stored.refresh_from_db()
    assert (stored.critical, stored.warning, stored.info) == ("inbox", "inbox", "inbox")
    assert stored.weekly_summary is True
    off(mira, "alerts-weekly")
    stored.refresh_from_db()
    assert stored.weekly_summary is False
    off(anne, "overdue-digest")
    assert OverdueDigestPreference.objects.get(user=anne).weekly is False
    off(anne, "action-digest")
    assert ActionDigestPreference.objects.get(user=anne).enabled is False
    assert set(KINDS) == {
        "alerts-immediate",
        "alerts-daily",
        "alerts-weekly",
        "overdue-digest",
        "action-digest",
    }


def test_alert_and_overdue_emails_carry_their_own_unsubscribe_link(settings, anne):
    settings.SITE_URL = "https://kb.example"
    for name, kind in (
        ("alert", "alerts-immediate"),
        ("alert_digest", "alerts-daily"),
        ("alert_weekly", "alerts-weekly"),
    ):
        message = alert_message(anne, name, {"count": 1, "alerts": [], "critical": []}, None)
        expected = unsubscribe_url(anne, kind)
        assert message.extra_headers["List-Unsubscribe"] == f"<{expected}>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert expected in message.body and expected in message.alternatives[0][0]
    overdue = overdue_digest_message(
        user=anne, statuses=[], total=0, language="nl", today=timezone.localdate()
    )
    expected = unsubscribe_url(anne, "overdue-digest")
    assert overdue.extra_headers["List-Unsubscribe"] == f"<{expected}>"
    assert expected in overdue.body
