"""Personal links and the answer page: what a respondent without a login sees and can do."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from scoring.models import Assessment, Contact, ScoreSnapshot
from surveys import services
from surveys.models import Invitation, InvitationLink
from surveys.views import SESSION_OPENED
from tests.factories import MarketExpertFactory, assess
from tests.surveys.support import invite, make_campaign

ALL_SIX = {
    "value_performance": "6",
    "value_service": "6",
    "value_price_level": "6",
    "value_perception": "6",
    "value_it_integration": "6",
    "value_contract": "6",
    "value_presence": "6",
    "value_personal_bond": "6",
}


@pytest.fixture
def contact(portfolio) -> Contact:
    return portfolio(1, language="en")[0].contacts.get()


@pytest.fixture
def link(contact, settings) -> str:
    """The path of the contact's personal link, taken from the e-mail they got."""
    return invite(make_campaign(), settings)[contact.email]


def open_link(client: Client, link: str) -> str:
    response = client.get(link)
    assert response.status_code == 302
    return response.url


def test_the_link_keeps_the_invitation_not_the_token_in_the_session(client, contact, link):
    token = link.rstrip("/").rsplit("/", 1)[1]
    answer_url = open_link(client, link)
    invitation = Invitation.objects.get(contact=contact)
    assert answer_url == reverse("surveys:answer", args=[invitation.public_id])
    assert token not in answer_url
    assert client.session[SESSION_OPENED] == [str(invitation.public_id)]
    page = client.get(answer_url)
    assert page.status_code == 200
    assert token not in page.content.decode()
    # What the session table holds (a copy of the database) has no working link in it.
    stored = Session.objects.get(session_key=client.session.session_key)
    assert token not in str(stored.get_decoded())
    assert token not in stored.session_data


def test_only_the_hash_of_the_token_is_stored(contact, link):
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(contact=contact)
    assert len(token) >= 22  # ≥ 128 bits in URL-safe base64
    assert invitation.token_hash and invitation.token_hash != token
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())


def test_link_and_answer_pages_send_no_referrer_and_no_store(client, link):
    for response in (client.get(link), client.get(open_link(Client(), link))):
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["Cache-Control"] == "no-store"


def test_get_and_head_never_use_up_the_token(client, contact, link):
    for _ in range(3):  # a mail scanner, a preview, the recipient
        Client().get(link)
        Client().head(link)
    answer_url = open_link(client, link)
    client.get(answer_url)
    client.head(answer_url)
    invitation = Invitation.objects.get(contact=contact)
    assert invitation.status == "sent"
    assert not Assessment.objects.filter(respondent_email=contact.email).exists()

    response = client.post(answer_url, {"value_performance": "4"})
    assert response.status_code == 302
    assert Invitation.objects.get(contact=contact).status == "answered"


def test_an_answer_creates_an_assessment_of_that_kind_and_moves_the_score(
    client, contact, link, anne
):
    customer = contact.customer
    assess(customer, {"performance": 1, "service": 1}, user=anne)
    before = ScoreSnapshot.objects.get(customer=customer, is_current=True).binding_score

    response = client.post(
        open_link(client, link),
        {**ALL_SIX, "comment_service": "Altijd bereikbaar", "comment": "Prima", "nps": "9"},
    )

    assert response.status_code == 302
    assert response.url == reverse(
        "surveys:thanks", args=[Invitation.objects.get(contact=contact).public_id]
    )
    assessment = Assessment.objects.get(respondent_email=contact.email)
    assert assessment.respondent_kind == "customer"
    assert assessment.source == "survey"
    assert assessment.nps == 9
    assert assessment.comment == "Prima"
    assert assessment.scores.get(element__code="service").comment == "Altijd bereikbaar"
    assert assessment.scores.get(element__code="performance").value == 6
    invitation = Invitation.objects.get(contact=contact)
    assert invitation.status == "answered" and invitation.assessment == assessment
    after = ScoreSnapshot.objects.get(customer=customer, is_current=True).binding_score
    assert after > before
    thanks = client.get(response.url)
    assert "Thank you" in thanks.content.decode()


def test_the_answer_page_asks_the_customer_questions_with_dont_know_and_nps(client, link):
    page = client.get(open_link(client, link)).content.decode()
    assert "How satisfied are you with our performance and delivery reliability?" in page
    assert "don&#x27;t know" in page or "don't know" in page
    assert 'name="nps"' in page
    # Elements not put to customers are not asked (competitive pressure is staff's view).
    assert 'name="value_competition"' not in page


def test_the_answer_page_speaks_the_recipients_language_whatever_the_browser(portfolio, settings):
    contact = portfolio(1, language="nl")[0].contacts.get()
    link = invite(make_campaign(), settings)[contact.email]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(open_link(client, link))
    page = response.content.decode()
    assert 'lang="nl"' in page
    assert "Hoe tevreden bent u over onze prestaties en leverbetrouwbaarheid?" in page
    assert "weet ik niet" in page
    assert response["Content-Language"] == "nl"


def test_nps_is_not_asked_when_the_campaign_does_not_ask_it(client, contact, settings):
    link = invite(make_campaign(ask_nps=False), settings)[contact.email]
    answer_url = open_link(client, link)
    assert 'name="nps"' not in client.get(answer_url).content.decode()
    client.post(answer_url, {"value_performance": "3", "nps": "10"})
    assert Assessment.objects.get(respondent_email=contact.email).nps is None


def test_an_expert_answer_becomes_an_expert_assessment_without_nps(client, portfolio, settings):
    customer = portfolio(1)[0]
    expert = MarketExpertFactory(sectors=[customer.sector], language="en")
    links = invite(make_campaign(ask_customers=False, ask_experts=True), settings)
    answer_url = open_link(client, links[expert.email])
    page = client.get(answer_url).content.decode()
    assert "How reliable is our delivery to this customer compared with the market?" in page
    assert 'name="nps"' not in page
    assert "What do 0, 3 and 6 mean?" in page

    client.post(answer_url, {"value_performance": "2", "value_competition": "5"})

    assessment = Assessment.objects.get(respondent_email=expert.email)
    assert assessment.respondent_kind == "expert" and assessment.customer == customer
    assert assessment.scores.get(element__code="competition").value == 5


def test_invalid_answers_show_a_message_and_write_nothing(client, contact, link):
    answer_url = open_link(client, link)
    with translation.override("en"):
        all_unknown = client.post(answer_url, {"value_performance": "dk", "value_service": "dk"})
        out_of_scale = client.post(answer_url, {"value_performance": "9"})
    assert "at least one question" in all_unknown.content.decode()
    assert "Select a valid choice" in out_of_scale.content.decode()
    assert not Assessment.objects.filter(respondent_email=contact.email).exists()
    assert Invitation.objects.get(contact=contact).status == "sent"


def test_a_replayed_submit_is_refused_and_writes_nothing(client, contact, link):
    answer_url = open_link(client, link)
    client.post(answer_url, {"value_performance": "5"})

    again = Client()  # the same link, opened again and submitted again
    replay_url = open_link_or_page(again, link)
    assert replay_url is None  # the link now shows "already answered"
    page = again.get(link).content.decode()
    assert "Already answered" in page
    # Even with the invitation still in a session, a second submit writes nothing.
    invitation = Invitation.objects.get(contact=contact)
    stale = Client()
    session = stale.session
    session[SESSION_OPENED] = [str(invitation.public_id)]
    session.save()
    response = stale.post(answer_url, {"value_performance": "1"})
    assert "Already answered" in response.content.decode()
    assert Assessment.objects.filter(respondent_email=contact.email).count() == 1
    assert (
        Assessment.objects.get(respondent_email=contact.email)
        .scores.get(element__code="performance")
        .value
        == 5
    )


def open_link_or_page(client: Client, link: str) -> str | None:
    response = client.get(link)
    return response.url if response.status_code == 302 else None


def test_a_tampered_token_gets_a_friendly_page_and_writes_nothing(client, contact, link):
    token = link.strip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = client.get(reverse("surveys:link", args=[tampered]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert SESSION_OPENED not in client.session
    assert Invitation.objects.get(contact=contact).status == "sent"


def test_an_unknown_token_page_speaks_the_browsers_language(client, db):
    response = client.get(reverse("surveys:link", args=["x" * 43]), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 404
    assert "Deze link werkt niet" in response.content.decode()


def test_an_expired_token_gets_a_friendly_page_in_the_recipients_language(portfolio, settings):
    contact = portfolio(1, language="nl")[0].contacts.get()
    link = invite(make_campaign(expires_after_days=21), settings)[contact.email]
    with time_machine.travel(timezone.now() + dt.timedelta(days=22)):
        services.invitations_expire()
        response = Client(HTTP_ACCEPT_LANGUAGE="en").get(link)
    assert response.status_code == 410
    assert "Deze enquête is gesloten" in response.content.decode()
    assert Invitation.objects.get(contact=contact).status == "expired"
    assert not Assessment.objects.filter(respondent_email=contact.email).exists()


def test_a_submit_after_expiry_is_refused(client, contact, settings):
    link = invite(make_campaign(expires_after_days=3), settings)[contact.email]
    answer_url = open_link(client, link)  # opened in time, submitted too late
    # The invitation runs out while the page is open (within the session's idle time).
    soon = timezone.now() + dt.timedelta(minutes=10)
    Invitation.objects.filter(contact=contact).update(expires_at=soon)
    with time_machine.travel(soon + dt.timedelta(minutes=5)):
        response = client.post(answer_url, {"value_performance": "5"})
    assert response.status_code == 410
    assert not Assessment.objects.filter(respondent_email=contact.email).exists()


def test_another_rounds_token_is_refused(client, contact, settings):
    campaign = make_campaign(cadence_months=1, starts_on=dt.date(2025, 1, 1))
    first = invite(campaign, settings)[contact.email]
    services.round_close(round_=campaign.rounds.get())
    with time_machine.travel(timezone.now() + dt.timedelta(days=40)):
        second = invite(campaign, settings)[contact.email]
        assert first != second
        newest = Invitation.objects.filter(contact=contact).order_by("-round__opened_at")[0]
        # The old link is closed …
        assert client.get(first).status_code == 410
        # … and having opened it does not open the new round's answer page either.
        assert str(newest.public_id) not in client.session.get(SESSION_OPENED, [])
        answer_url = reverse("surveys:answer", args=[newest.public_id])
        response = client.post(answer_url, {"value_performance": "5"})
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode() or "Deze link" in (
        response.content.decode()
    )
    assert not Assessment.objects.filter(respondent_email=contact.email).exists()
    assert Invitation.objects.get(pk=newest.pk).status == "sent"


def test_wrong_links_are_throttled_per_address(contact, link, settings):
    settings.SURVEYS_LINK_FAILURES_PER_IP = 3
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        bad = reverse("surveys:link", args=[f"{n}" * 43])
        assert attacker.get(bad).status_code == 404
    # Past the limit, wrong links from that address get "too many attempts" …
    blocked = attacker.get(reverse("surveys:link", args=["z" * 43]), HTTP_ACCEPT_LANGUAGE="en")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    # … and so does a forged X-Forwarded-For from it (no proxy is trusted) …
    forged = attacker.get(
        reverse("surveys:link", args=["y" * 43]), HTTP_X_FORWARDED_FOR="198.51.100.50"
    )
    assert forged.status_code == 429
    # … while wrong links from another address are still only wrong.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.get(reverse("surveys:link", args=["x" * 43])).status_code == 404


def test_a_valid_link_is_not_refused_after_20_wrong_ones_from_the_same_address(
    contact, link, settings
):
    """Behind a customer's NAT one person's typos must not lock every colleague out."""
    assert settings.SURVEYS_LINK_FAILURES_PER_IP == 20
    shared = Client(REMOTE_ADDR="203.0.113.20")  # everyone behind the same address
    for n in range(21):
        shared.get(reverse("surveys:link", args=[f"wrong{n:02d}" + "x" * 38]))
    assert shared.get(reverse("surveys:link", args=["q" * 43])).status_code == 429

    colleague = Client(REMOTE_ADDR="203.0.113.20")
    answer_url = open_link(colleague, link)
    assert colleague.get(answer_url).status_code == 200
    response = colleague.post(answer_url, ALL_SIX)
    assert response.status_code == 302
    assert Assessment.objects.filter(respondent_email=contact.email).count() == 1


def test_a_reminder_link_works_and_so_does_the_first_one(contact, link, settings):
    from django.core import mail

    mail.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        invitation = Invitation.objects.get(contact=contact)
        services.reminders_send(invitation_ids=[invitation.pk])
        assert len(mail.outbox) == 1
        from tests.surveys.support import link_in

        reminder_link = link_in(mail.outbox[0].body)
        assert reminder_link != link
        assert InvitationLink.objects.filter(invitation=invitation).count() == 1
        assert Client().get(link).status_code == 302
        client = Client()
        response = client.post(open_link(client, reminder_link), {"value_performance": "4"})
    assert response.status_code == 302
    assert Invitation.objects.get(contact=contact).status == "answered"


def test_the_opt_out_link_asks_first_and_only_a_post_opts_out(client, contact, settings):
    from django.core import mail

    from tests.surveys.support import opt_out_in

    invite(make_campaign(), settings)
    opt_out_link = opt_out_in(mail.outbox[0].body)
    confirm_url = client.get(opt_out_link).url
    page = client.get(confirm_url).content.decode()
    assert "No more surveys?" in page
    contact.refresh_from_db()
    assert not contact.opted_out  # a mail scanner's GET changes nothing

    response = client.post(confirm_url)

    assert "We will no longer send surveys to" in response.content.decode()
    contact.refresh_from_db()
    assert contact.opted_out
    assert Invitation.objects.get(contact=contact).status == "opted_out"
    # The next round does not ask this contact again.
    campaign = make_campaign(name="Volgende ronde")
    assert services.round_open(campaign=campaign).invited == 0


def test_one_click_unsubscribe_works_without_a_csrf_token(contact, settings):
    from django.core import mail

    invite(make_campaign(), settings)
    message = mail.outbox[0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    target = message.extra_headers["List-Unsubscribe"].strip("<>").split("testserver", 1)[-1]
    target = target.split("127.0.0.1:8000", 1)[-1]
    response = Client(enforce_csrf_checks=True).post(target, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.opted_out


def test_the_answer_form_is_csrf_protected_even_with_the_null_origin_of_no_referrer(contact, link):
    # Browsers send "Origin: null" with a POST from a page with Referrer-Policy: no-referrer.
    client = Client(enforce_csrf_checks=True)
    answer_url = open_link(client, link)
    page = client.get(answer_url).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    forged = client.post(answer_url, {"value_performance": "1"}, HTTP_ORIGIN="null")
    assert forged.status_code == 403
    other_site = client.post(
        answer_url,
        {"value_performance": "1", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example",
    )
    assert other_site.status_code == 403
    assert not Assessment.objects.exists()
    response = client.post(
        answer_url,
        {"value_performance": "5", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 302
    assert (
        Assessment.objects.get(respondent_email=contact.email)
        .scores.get(element__code="performance")
        .value
        == 5
    )
