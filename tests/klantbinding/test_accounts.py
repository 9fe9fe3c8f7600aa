"""The way in for users without a password: the invitation e-mail and asking for a new one."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from klantbinding import accounts
from scoring.imports import ImportFailed, customers_import, table_read
from tests.factories import UserFactory
from tests.klantbinding.conftest import sign_in

pytestmark = pytest.mark.django_db
User = get_user_model()

LINK = re.compile(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")
CUSTOMERS = (
    "external_id,name,account_manager_email,sector,annual_revenue,margin_pct,"
    "revenue_potential,payment_behaviour\n"
)


def customers_file(*rows: str) -> bytes:
    return (CUSTOMERS + "".join(f"{row}\n" for row in rows)).encode()


def set_password_with(client: Client, link: str, password: str) -> None:
    form = client.get(link, follow=True)  # Django moves the token into the session first
    assert form.status_code == 200
    assert "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert done.status_code == 302, done.content.decode()


def test_an_account_manager_made_by_the_import_gets_an_invitation_and_signs_in(
    smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes on commit
        customers_import(
            table=table_read(customers_file("K1,Acme,nieuw@example.nl,,0,,0,"), "customers.csv")
        )
    user = User.objects.get(email="nieuw@example.nl")
    assert not user.has_usable_password()
    [received] = smtp.inbox.to("nieuw@example.nl")
    assert "Klantbinding" in received.message["Subject"]
    text = received.text()
    assert "nieuw@example.nl" in text  # the user name
    link = LINK.search(text).group(1)
    assert link in received.html()

    client = Client()
    set_password_with(client, link, "een-nieuw-sterk-wachtwoord-7")
    assert sign_in(Client(), "nieuw@example.nl", "een-nieuw-sterk-wachtwoord-7").status_code == 302
    # The link works once.
    again = client.get(link, follow=True)
    assert "no longer valid" in again.content.decode() or "niet meer geldig" in (
        again.content.decode()
    )


def test_an_import_that_fails_invites_nobody(smtp, django_capture_on_commit_callbacks):
    with pytest.raises(ImportFailed), django_capture_on_commit_callbacks(execute=True):
        customers_import(
            table=table_read(
                customers_file("K1,Acme,nieuw@example.nl,,0,,0,", "K2,,kapot@example.nl,,x,,0,"),
                "customers.csv",
            )
        )
    assert smtp.inbox.messages == []
    assert not User.objects.filter(email="nieuw@example.nl").exists()


def test_forgot_password_sends_a_user_without_a_password_a_new_invitation(smtp):
    user = User.objects.create_user("invited", email="invited@example.nl")  # no password
    assert not user.has_usable_password()
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/password_reset/", {"email": "Invited@Example.nl"}
    )
    assert response.status_code == 302
    [received] = smtp.inbox.to("invited@example.nl")
    assert "choose your password" in received.text()
    set_password_with(Client(), LINK.search(received.text()).group(1), "nog-een-sterk-wachtwoord-8")
    assert sign_in(Client(), "invited", "nog-een-sterk-wachtwoord-8").status_code == 302


def test_forgot_password_still_sends_a_reset_link_to_a_user_with_a_password(smtp):
    UserFactory(username="has", email="has@example.nl")
    Client(HTTP_ACCEPT_LANGUAGE="en").post("/accounts/password_reset/", {"email": "has@example.nl"})
    [received] = smtp.inbox.to("has@example.nl")
    assert "asked to set a new password" in received.text()
    assert LINK.search(received.text())


def test_an_inactive_user_gets_no_link(smtp):
    User.objects.create_user("gone", email="gone@example.nl", is_active=False)
    response = Client().post("/accounts/password_reset/", {"email": "gone@example.nl"})
    assert response.status_code == 302  # the page does not tell who exists
    assert smtp.inbox.messages == []


def test_an_administrator_who_makes_a_user_without_a_password_sends_an_invitation(
    smtp, django_capture_on_commit_callbacks
):
    admin = User.objects.create_superuser("root", "root@example.nl", "beheer-wachtwoord-9")
    client = Client()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/auth/user/add/",
            {
                "username": "nieuwkomer",
                "email": "nieuwkomer@example.nl",
                "usable_password": "false",
                "password1": "",
                "password2": "",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not User.objects.get(username="nieuwkomer").has_usable_password()
    [received] = smtp.inbox.to("nieuwkomer@example.nl")
    assert LINK.search(received.text())


def test_the_admin_can_send_a_new_invitation_to_users_without_a_password(
    smtp, django_capture_on_commit_callbacks
):
    admin = User.objects.create_superuser("root", "root@example.nl", "beheer-wachtwoord-9")
    user = User.objects.create_user("later", email="later@example.nl")
    client = Client()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/auth/user/",
            {"action": "invite", "_selected_action": [user.pk, admin.pk]},
        )
    [received] = smtp.inbox.to("later@example.nl")
    assert LINK.search(received.text())
    assert smtp.inbox.to("root@example.nl") == []  # has a password: not invited


def test_the_invitation_comes_in_dutch_and_english(settings):
    settings.SITE_URL = "http://testserver"
    user = User.objects.create_user("taal", email="taal@example.nl")
    dutch = accounts.invitation_message(user, language="nl")
    english = accounts.invitation_message(user, language="en")
    assert "kies uw wachtwoord" in dutch.subject
    assert "choose your password" in english.subject
    assert LINK.search(dutch.body) and LINK.search(english.body)
    with translation.override("en"):
        assert "3 days" in english.body
