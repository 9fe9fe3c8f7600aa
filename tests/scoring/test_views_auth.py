"""Sign-in, sign-out, passwords, the menu per role and the language of the pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import CustomerFactory


@pytest.fixture
def client_en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_signing_in_sends_an_account_manager_to_their_customers(client_en, anne):
    CustomerFactory(name="Anne's Bakery", account_manager=anne)
    page = client_en.get(reverse("login"))
    assert "Sign in" in page.content.decode()
    assert "Forgot your password?" in page.content.decode()
    response = client_en.post(
        reverse("login"),
        {"username": "anne", "password": "geheim-wachtwoord-42"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("scoring:customer-list")
    assert "Anne&#x27;s Bakery" in response.content.decode()


def test_a_wrong_password_is_refused_with_a_message(client_en, anne):
    response = client_en.post(reverse("login"), {"username": "anne", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client_en.session


def test_sign_in_returns_to_the_page_asked_for(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    url = reverse("scoring:customer-detail", args=[customer.pk])
    response = client_en.get(url)
    assert response["Location"] == f"{reverse('login')}?next={url}"
    response = client_en.post(
        response["Location"],
        {"username": "anne", "password": "geheim-wachtwoord-42", "next": url},
    )
    assert response["Location"] == url


def test_signing_out_ends_the_session(client_en, anne):
    client_en.force_login(anne)
    response = client_en.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client_en.get(reverse("scoring:customer-list")).status_code == 302


def test_password_change(client_en, anne):
    client_en.force_login(anne)
    response = client_en.post(
        reverse("password_change"),
        {
            "old_password": "geheim-wachtwoord-42",
            "new_password1": "een-nieuw-wachtwoord-77",
            "new_password2": "een-nieuw-wachtwoord-77",
        },
        follow=True,
    )
    assert "Your password is changed." in response.content.decode()
    anne.refresh_from_db()
    assert anne.check_password("een-nieuw-wachtwoord-77")


def test_password_reset_by_email_sets_a_new_password(client_en, anne):
    response = client_en.post(reverse("password_reset"), {"email": anne.email}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [anne.email]
    assert message.subject == "Set your Klantbinding password"
    assert "anne" in message.body
    html_body = message.alternatives[0][0]
    assert "Set a new password" in html_body
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", message.body).group(1)
    form_page = client_en.get(link, follow=True)
    assert "Set a new password" in form_page.content.decode()
    done = client_en.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "een-nieuw-wachtwoord-77", "new_password2": "een-nieuw-wachtwoord-77"},
        follow=True,
    )
    assert "Your new password is set." in done.content.decode()
    anne.refresh_from_db()
    assert anne.check_password("een-nieuw-wachtwoord-77")


def test_password_reset_email_is_in_the_users_language(client, anne):
    client.post(reverse("password_reset"), {"email": anne.email}, HTTP_ACCEPT_LANGUAGE="nl")
    assert mail.outbox[0].subject == "Stel uw wachtwoord voor Klantbinding in"
    assert "Iemand (waarschijnlijk u) vroeg om een nieuw wachtwoord" in mail.outbox[0].body


def test_pages_follow_the_browser_language(client, anne):
    dutch = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert '<html lang="nl">' in dutch and "Inloggen" in dutch
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english and "Sign in" in english


def test_the_language_switcher_overrides_the_browser(client, anne):
    client.force_login(anne)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("scoring:customer-list"), HTTP_ACCEPT_LANGUAGE="nl").content
    assert b"My customers" in html


def test_the_menu_shows_the_pages_of_the_users_role(client_en, anne, mira):
    client_en.force_login(anne)
    menu = client_en.get(reverse("scoring:customer-list")).content.decode().split("</nav>")[0]
    assert "My customers" in menu
    assert reverse("scoring:model-list") not in menu
    assert reverse("scoring:upload") not in menu
    client_en.force_login(mira)
    menu = client_en.get(reverse("scoring:customer-list")).content.decode().split("</nav>")[0]
    assert "Customers" in menu
    assert reverse("scoring:model-list") in menu
    assert reverse("scoring:upload") in menu
