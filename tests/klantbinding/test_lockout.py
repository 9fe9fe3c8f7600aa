"""Sign-in brute force: locked after N wrong passwords per user name and per address."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from tests.factories import UserFactory
from tests.klantbinding.conftest import PASSWORD, sign_in
from tests.surveys.support import free_port

pytestmark = pytest.mark.django_db


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_after_n_wrong_ones_is_refused_and_says_when_to_try_again(
    anne, settings
):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(4):
        assert sign_in(client, "anne", "wrong").status_code == 200  # the form again
    locked = sign_in(client, "anne", "wrong")
    assert locked.status_code == 429
    response = sign_in(client, "anne", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Sign-in paused" in page
    retry_at = timezone.localtime() + settings.AXES_COOLOFF_TIME
    assert f"Try again after {retry_at:%H:%M}" in page or (
        f"Try again after {retry_at - dt.timedelta(minutes=1):%H:%M}" in page
    )
    assert response["Retry-After"] == str(15 * 60)


def test_the_lock_lifts_after_the_cool_off(anne, settings):
    client = Client()
    for _ in range(5):
        sign_in(client, "anne", "wrong")
    assert sign_in(client, "anne", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)):
        # locmem's expiry reads time.time(), which time-machine moves too
        response = sign_in(Client(), "anne", PASSWORD)
    assert response.status_code == 302


def test_the_lockout_page_speaks_dutch(anne):
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    for _ in range(5):
        sign_in(client, "anne", "wrong")
    page = sign_in(client, "anne", PASSWORD).content.decode()
    assert "Inloggen gepauzeerd" in page
    assert re.search(r"Probeer het opnieuw na \d\d:\d\d", page)


def test_a_user_name_is_locked_whatever_address_the_tries_come_from(anne):
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), "anne", "wrong")
    response = sign_in(Client(REMOTE_ADDR="192.0.2.77"), "anne", PASSWORD)
    assert response.status_code == 429


def test_an_address_is_locked_whatever_user_names_it_tries(anne):
    attacker = "203.0.113.5"
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=attacker), f"guess{n}", "wrong")
    # Anne's right password from that address is refused too …
    assert sign_in(Client(REMOTE_ADDR=attacker), "anne", PASSWORD).status_code == 429
    # … while Anne elsewhere signs in.
    assert sign_in(Client(REMOTE_ADDR="192.0.2.10"), "anne", PASSWORD).status_code == 302


def test_a_forged_x_forwarded_for_does_not_reset_the_count(anne):
    attacker = "203.0.113.6"
    for n in range(5):
        sign_in(
            Client(REMOTE_ADDR=attacker),
            f"guess{n}",
            "wrong",
            HTTP_X_FORWARDED_FOR=f"10.9.8.{n}",
        )
    response = sign_in(
        Client(REMOTE_ADDR=attacker), "anne", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.8.200"
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_counts_on_its_own(anne, settings):
    settings.KB_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = "10.0.0.2"
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=proxy), f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7")
    # The guesser is locked, whatever it writes in front of the proxy's entry …
    forged = sign_in(
        Client(REMOTE_ADDR=proxy),
        "anne",
        PASSWORD,
        HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7",
    )
    assert forged.status_code == 429
    # … while a colleague behind the same proxy signs in.
    colleague = sign_in(
        Client(REMOTE_ADDR=proxy), "anne", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.20"
    )
    assert colleague.status_code == 302


def test_a_locked_out_try_costs_no_password_hash(anne, settings, django_assert_max_num_queries):
    """Refused before the password is checked: a brute force cannot keep workers busy."""
    from django.contrib.auth import hashers

    client = Client()
    for _ in range(5):
        sign_in(client, "anne", "wrong")
    calls = []
    original = hashers.check_password

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    hashers.check_password = counting
    try:
        assert sign_in(client, "anne", PASSWORD).status_code == 429
    finally:
        hashers.check_password = original
    assert calls == []


def test_sign_in_goes_on_without_the_lockout_when_the_cache_is_down(anne):
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    with override_settings(CACHES=down):
        assert sign_in(Client(), "anne", "wrong").status_code == 200
        assert sign_in(Client(), "anne", PASSWORD).status_code == 302


def test_a_user_created_with_the_factory_still_signs_in(db):
    UserFactory(username="zoe")
    assert sign_in(Client(), "zoe").status_code == 302
