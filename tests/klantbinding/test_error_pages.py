"""Error pages (400, 403, 404, 500, a refused form, the survey link pages): the app's layout and
menu, the user's language, a way back; a wrong-role link says what the user can do instead."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from klantbinding import errors

pytestmark = pytest.mark.urls("tests.klantbinding.error_urls")

TEXTS = {
    "nl": {"404": "Pagina niet gevonden", "menu": "Mijn klanten", "lang": 'lang="nl"'},
    "en": {"404": "Page not found", "menu": "My customers", "lang": 'lang="en"'},
}


def client_for(user, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def body(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_not_found_page_has_the_menu_the_language_and_a_way_back(language, anne):
    client = client_for(anne, language)
    came_from = reverse("scoring:customer-list")
    response = client.get("/no-such-page/", HTTP_REFERER=f"http://testserver{came_from}")
    page = body(response)
    assert response.status_code == 404
    assert TEXTS[language]["404"] in page
    assert TEXTS[language]["lang"] in page
    assert 'id="main-menu"' in page and TEXTS[language]["menu"] in page  # the app's menu
    assert f'href="{came_from}"' in page  # back where the user came from


def test_back_link_never_leads_to_another_site(anne):
    response = client_for(anne, "en").get(
        "/no-such-page/", HTTP_REFERER="https://evil.example/phish"
    )
    assert "evil.example" not in body(response)
    assert "Back to the previous page" not in body(response)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_wrong_role_page_says_what_an_account_manager_can_do_instead(language, anne):
    response = client_for(anne, language).get(reverse("scoring:model-list"))
    page = body(response)
    assert response.status_code == 403
    assert 'id="main-menu"' in page
    assert 'id="error-hint"' in page
    hint = {"nl": "accountmanager", "en": "As an account manager"}[language]
    assert hint in page
    assert f'href="{reverse("scoring:customer-list")}"' in page


def test_anonymous_visitor_of_an_unknown_page_is_offered_sign_in(db):
    response = client_for(None, "en").get("/no-such-page/")
    assert response.status_code == 404
    assert f'href="{reverse("login")}"' in body(response)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_server_error_page_uses_the_layout_and_language(language, anne):
    response = client_for(anne, language).get("/test-errors/broken/")
    page = body(response)
    assert response.status_code == 500
    assert 'id="main-menu"' in page
    assert {"nl": "Er ging iets mis", "en": "Something went wrong"}[language] in page


def test_server_error_page_still_shows_when_the_layout_fails(anne, monkeypatch):
    def layout_fails(*args, **kwargs):
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(errors, "render", layout_fails)
    response = client_for(anne, "nl").get("/test-errors/broken/")
    assert response.status_code == 500
    assert "Er ging iets mis" in body(response)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_bad_request_page_uses_the_layout(language, anne):
    response = client_for(anne, language).get("/test-errors/suspicious/")
    assert response.status_code == 400
    assert 'id="main-menu"' in body(response)
    assert {"nl": "Fout 400", "en": "Error 400"}[language] in body(response)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_refused_form_explains_itself_in_the_layout(language, anne):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, enforce_csrf_checks=True)
    client.force_login(anne)
    response = client.post(reverse("logout"))
    page = body(response)
    assert response.status_code == 403
    assert 'id="main-menu"' in page
    assert {"nl": "Het formulier was verlopen", "en": "The form had expired"}[language] in page


@pytest.mark.parametrize("language", ["nl", "en"])
def test_wrong_survey_link_page_speaks_the_visitors_language(language, db):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get(
        reverse("surveys:link", args=["not-a-token"])
    )
    assert response.status_code == 404
    assert TEXTS[language]["lang"] in body(response)
    assert {"nl": "Deze link werkt niet", "en": "This link does not work"}[language] in body(
        response
    )


def test_a_request_for_another_host_gets_the_400_page(anne):
    response = client_for(anne, "en").get(
        "/no-such-page/", HTTP_HOST="evil.example", HTTP_REFERER="http://evil.example/x"
    )
    assert response.status_code == 400
    assert "Error 400" in body(response) and "evil.example" not in body(response)
