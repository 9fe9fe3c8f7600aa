"""Sessions end after an idle time and some hours after sign-in, however busy."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.klantbinding.conftest import sign_in

pytestmark = pytest.mark.django_db

PAGE = "/customers/"


def test_a_session_ends_after_the_idle_time(anne, settings):
    assert settings.KB_SESSION_IDLE_MINUTES == 30
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert sign_in(client, "anne").status_code == 302
        assert client.get(PAGE).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        response = client.get(PAGE)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_requests_keep_a_session_alive_until_the_maximum(anne, settings):
    assert settings.KB_SESSION_MAX_HOURS == 10
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, "anne")
    # A page every 20 minutes for nine and a half hours: still signed in …
    for step in range(1, 29):
        with time_machine.travel(start + dt.timedelta(minutes=20 * step), tick=False):
            assert client.get(PAGE).status_code == 200, f"signed out after {20 * step} min"
    # … but not past ten hours after signing in.
    with time_machine.travel(start + dt.timedelta(hours=10, minutes=1), tick=False):
        response = client.get(PAGE)
    assert response.status_code == 302


def test_the_stored_session_expires_with_the_idle_time(anne):
    """The cookie and the session row expire by themselves too, without this middleware."""
    from django.contrib.sessions.models import Session

    client = Client()
    sign_in(client, "anne")
    stored = Session.objects.get(session_key=client.session.session_key)
    assert stored.expire_date - timezone.now() <= dt.timedelta(minutes=30, seconds=5)
    assert client.cookies["sessionid"]["max-age"] == 30 * 60
