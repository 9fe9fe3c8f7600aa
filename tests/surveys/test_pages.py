"""Management's campaign and round pages, the account manager's invitation list, the panels on
scoring's pages, and who may see what."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import redis
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from scoring.extensions import customer_panels, dashboard_panels
from scoring.models import Customer
from surveys import services
from surveys.models import Campaign, Invitation
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.support import make_campaign

CAMPAIGN_FORM = {
    "name": "Kwartaalmeting klanten",
    "ask_customers": "on",
    "scope": "all",
    "sector": "",
    "account_manager": "",
    "customer_ids": "",
    "starts_on": "2025-01-01",
    "cadence_months": "3",
    "reminder_after_days": "7",
    "max_reminders": "2",
    "expires_after_days": "21",
    "ask_nps": "on",
    "active": "on",
}


def sent_round(portfolio, count: int = 3, **campaign_fields):
    """A round whose invitations all went out (status sent)."""
    customers = portfolio(count)
    opened = services.round_open(campaign=make_campaign(**campaign_fields))
    opened.round.invitations.update(status="sent", sent_at=timezone.now())
    return customers, opened.round


# --------------------------------------------------------------------------------------------
# Who may see what
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["surveys:campaign-list", "surveys:campaign-create"])
def test_only_management_reaches_the_campaign_pages(client, anne, outsider, mira, name):
    url = reverse(name)
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(anne)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(mira)
    assert client.get(url).status_code == 200


def test_account_managers_cannot_open_close_or_resend(client, anne, portfolio):
    _, round_ = sent_round(portfolio)
    client.force_login(anne)
    invitation = round_.invitations.first()
    for url in (
        reverse("surveys:round-detail", args=[round_.pk]),
        reverse("surveys:round-close", args=[round_.pk]),
        reverse("surveys:invitation-resend", args=[invitation.pk]),
        reverse("surveys:campaign-open-round", args=[round_.campaign_id]),
    ):
        assert client.post(url).status_code == 403
    round_.refresh_from_db()
    assert round_.closed_at is None


def test_the_menu_links_to_surveys_by_role(client, anne, mira):
    client.force_login(mira)
    page = client.get(reverse("surveys:campaign-list")).content.decode()
    assert f'href="{reverse("surveys:campaign-list")}"' in page
    client.force_login(anne)
    page = client.get(reverse("surveys:my-invitations")).content.decode()
    assert f'href="{reverse("surveys:my-invitations")}"' in page


# --------------------------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------------------------


def test_management_creates_a_campaign(client, mira, portfolio):
    customers = portfolio(2)
    client.force_login(mira)
    data = {
        **CAMPAIGN_FORM,
        "scope": "selected",
        "customer_ids": f"{customers[0].external_id}, {customers[1].external_id}",
    }
    response = client.post(reverse("surveys:campaign-create"), data)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == campaign.get_absolute_url()
    assert campaign.respondent_kinds == ["customer"]
    assert set(campaign.customers.all()) == set(customers)
    detail = client.get(response.url).content.decode()
    assert "Kwartaalmeting klanten" in detail


def test_management_edits_a_campaign(client, mira):
    campaign = make_campaign()
    client.force_login(mira)
    url = reverse("surveys:campaign-edit", args=[campaign.pk])
    assert "Klantonderzoek" in client.get(url).content.decode()
    response = client.post(url, {**CAMPAIGN_FORM, "name": "Halfjaarlijks", "cadence_months": "6"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Halfjaarlijks" and campaign.cadence_months == 6


@pytest.mark.parametrize(
    ("change", "message_en", "message_nl"),
    [
        (
            {"ask_customers": ""},
            "Choose at least one kind of respondent to ask.",
            "Kies ten minste één soort respondent om te vragen.",
        ),
        (
            {"scope": "selected", "customer_ids": "K-NOPE, K-GONE"},
            "No customer has the external id K-NOPE, K-GONE.",
            "Geen klant heeft het externe id K-NOPE, K-GONE.",
        ),
        (
            {"reminder_after_days": "30"},
            "The reminder would come after the invitation expires (21 days).",
            "De herinnering zou komen nadat de uitnodiging verlopen is (21 dagen).",
        ),
        (
            {"scope": "sector"},
            "Choose the sector whose customers are asked about.",
            "Kies de sector over wier klanten gevraagd wordt.",
        ),
        (
            {"cadence_months": "0"},
            "Ensure this value is greater than or equal to 1.",
            "Zorg ervoor dat deze waarde minstens 1 is.",
        ),
    ],
)
def test_bad_campaign_input_gets_a_clear_message_and_nothing_is_saved(
    client, mira, change, message_en, message_nl
):
    client.force_login(mira)
    for language, message in (("en", message_en), ("nl", message_nl)):
        response = client.post(
            reverse("surveys:campaign-create"),
            {**CAMPAIGN_FORM, **change},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("reminder_after_days", 1, None), ("max_reminders", 0, 10), ("expires_after_days", 1, 365)],
)
def test_the_campaign_forms_number_fields_take_the_servers_bounds(client, mira, name, low, high):
    """What the browser lets through, the server takes; one below or above it, the server
    refuses (so the browser must refuse it too)."""
    client.force_login(mira)
    page = client.get(reverse("surveys:campaign-create")).content.decode()
    field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)[0]
    assert f'min="{low}"' in field
    assert (f'max="{high}"' in field) if high else ("max=" not in field)
    for value, accepted in ((low, True), (low - 1, False), *(((high + 1, False),) if high else ())):
        data = {**CAMPAIGN_FORM, name: str(value), "name": f"{name} {value}"}
        if name == "expires_after_days":
            data["max_reminders"] = "0"  # no reminder to come before a one-day expiry
        response = client.post(reverse("surveys:campaign-create"), data)
        assert (response.status_code == 302) == accepted, (name, value)


def test_the_campaign_list_shows_the_latest_rounds_response(client, mira, portfolio):
    _, round_ = sent_round(portfolio, 4)
    Invitation.objects.filter(pk=round_.invitations.first().pk).update(
        status="answered", answered_at=timezone.now()
    )
    client.force_login(mira)
    with translation.override("en"):
        page = client.get(reverse("surveys:campaign-list"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Klantonderzoek" in html
    assert "25 %" in html  # 1 of 4 answered


def test_management_opens_the_current_round_from_the_campaign_page(client, mira, portfolio):
    portfolio(2)
    campaign = make_campaign(starts_on=timezone.localdate() - dt.timedelta(days=3))
    client.force_login(mira)
    page = client.get(campaign.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert "Open the round of" in page.content.decode()
    response = client.post(
        reverse("surveys:campaign-open-round", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    round_ = campaign.rounds.get()
    assert response.url == round_.get_absolute_url()
    assert round_.invitations.count() == 2 and round_.opened_by == mira
    again = client.post(
        reverse("surveys:campaign-open-round", args=[campaign.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "already open" in again.content.decode()
    assert campaign.rounds.count() == 1


# --------------------------------------------------------------------------------------------
# Round progress, resend, close
# --------------------------------------------------------------------------------------------


def test_the_round_page_shows_progress_per_kind_and_failures_with_their_reason(
    client, mira, portfolio
):
    customers = portfolio(4)
    opened = services.round_open(campaign=make_campaign())
    invitations = list(opened.round.invitations.order_by("pk"))
    now = timezone.now()
    Invitation.objects.filter(pk__in=[i.pk for i in invitations[:3]]).update(
        status="sent", sent_at=now
    )
    Invitation.objects.filter(pk=invitations[0].pk).update(status="answered", answered_at=now)
    Invitation.objects.filter(pk=invitations[3].pk).update(
        status="failed", last_error="550 5.1.1 mailbox unknown", attempts=1
    )
    client.force_login(mira)
    page = client.get(opened.round.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    row = html.split('data-kind="customer"')[1].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("<")[0] for c in row.split("<td")[1:]]
    # invited, sent, answered, response rate, waiting, failed, opted out
    assert cells == ["4", "3", "1", "25 %", "0", "1", "0"]
    assert "550 5.1.1 mailbox unknown" in html
    assert customers[3].name in html.split('id="failed"')[1]


def test_management_resends_to_a_failed_recipient_at_the_corrected_address(
    client, mira, portfolio, broker, django_capture_on_commit_callbacks
):
    customer = portfolio(1)[0]
    opened = services.round_open(campaign=make_campaign())
    invitation = opened.round.invitations.get()
    Invitation.objects.filter(pk=invitation.pk).update(
        status="failed", last_error="550 no such user", attempts=1
    )
    contact = customer.contacts.get()
    contact.email = "juist@klant.example"
    contact.save()
    client.force_login(mira)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("surveys:invitation-resend", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "pending" and invitation.attempts == 0
    assert invitation.email == "juist@klant.example"
    # The send task is on the queue.
    assert redis.Redis.from_url(broker.url).llen("celery") == 1


def test_only_failed_invitations_of_an_open_round_can_be_resent(client, mira, portfolio):
    _, round_ = sent_round(portfolio, 1)
    invitation = round_.invitations.get()
    client.force_login(mira)
    response = client.post(
        reverse("surveys:invitation-resend", args=[invitation.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "Only a failed invitation can be sent again." in response.content.decode()
    assert Invitation.objects.get(pk=invitation.pk).status == "sent"


def test_management_closes_a_round_early(client, mira, portfolio):
    _, round_ = sent_round(portfolio, 3)
    answered = round_.invitations.first()
    Invitation.objects.filter(pk=answered.pk).update(status="answered", answered_at=timezone.now())
    client.force_login(mira)
    response = client.post(
        reverse("surveys:round-close", args=[round_.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "2 unanswered invitations no longer work" in response.content.decode()
    round_.refresh_from_db()
    assert round_.closed_at is not None
    statuses = dict(round_.invitations.values_list("pk", "status"))
    assert statuses.pop(answered.pk) == "answered"
    assert set(statuses.values()) == {"expired"}


# --------------------------------------------------------------------------------------------
# The account manager's view
# --------------------------------------------------------------------------------------------


def test_an_account_manager_sees_the_invitations_of_their_own_customers_only(
    client, anne, bart, portfolio
):
    mine = portfolio(2)
    theirs = portfolio(1, manager=bart)
    services.round_open(campaign=make_campaign())
    client.force_login(anne)
    html = client.get(reverse("surveys:my-invitations")).content.decode()
    for customer in mine:
        assert customer.name in html
    assert theirs[0].name not in html


def test_the_invitation_list_filters_by_status(client, anne, portfolio):
    customers, _ = sent_round(portfolio, 2)
    Invitation.objects.filter(customer=customers[0]).update(
        status="answered", answered_at=timezone.now()
    )
    client.force_login(anne)
    html = client.get(reverse("surveys:my-invitations"), {"status": "answered"}).content.decode()
    assert customers[0].name in html and customers[1].name not in html


def test_the_customer_panel_shows_invitations_to_whoever_may_see_the_customer(
    rf, anne, bart, mira, portfolio
):
    customer = portfolio(1)[0]
    services.round_open(campaign=make_campaign())

    def panel_for(user):
        request = rf.get("/")
        request.user = user
        return dict((p.name, c) for p, c in customer_panels(request, customer)).get(
            "survey-invitations"
        )

    assert [i.customer for i in panel_for(anne)["invitations"]] == [customer]
    assert panel_for(mira) is not None
    assert panel_for(bart) is None  # not his customer


def test_the_customer_page_shows_the_invitation_status(client, anne, portfolio):
    customer = portfolio(1, language="en")[0]
    services.round_open(campaign=make_campaign())
    client.force_login(anne)
    html = client.get(
        reverse("scoring:customer-detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'id="panel-survey-invitations"' in html
    assert "waiting to be sent" in html


def test_the_dashboard_panel_gives_the_latest_rounds_response_rate_per_kind(
    rf, mira, portfolio, anne
):
    customers = portfolio(4)
    staff_round = services.round_open(
        campaign=make_campaign(name="Staf", ask_customers=False, ask_staff=True)
    ).round
    customer_round = services.round_open(campaign=make_campaign()).round
    now = timezone.now()
    Invitation.objects.filter(round=customer_round, customer__in=customers[:3]).update(
        status="answered", answered_at=now
    )
    Invitation.objects.filter(round=staff_round, customer=customers[0]).update(
        status="answered", answered_at=now
    )
    request = rf.get("/")
    request.user = mira
    panels = dict((p.name, c) for p, c in dashboard_panels(request, Customer.objects.all()))
    rates = {
        r["kind"]: (r["answered"], r["invited"], r["rate"])
        for r in panels["response-rates"]["rates"]
    }
    assert rates == {"staff": (1, 4, 25.0), "customer": (3, 4, 75.0)}
    # The customers in view narrow it down.
    panels = dict(
        (p.name, c)
        for p, c in dashboard_panels(request, Customer.objects.filter(pk=customers[3].pk))
    )
    rates = {r["kind"]: r["rate"] for r in panels["response-rates"]["rates"]}
    assert rates == {"staff": 0.0, "customer": 0.0}


# --------------------------------------------------------------------------------------------
# Queries do not grow with the rows
# --------------------------------------------------------------------------------------------


def _grow(count: int) -> None:
    """Add ``count`` customers with a contact each to a new round that all failed."""
    for _ in range(count):
        ContactFactory(
            customer=CustomerFactory(account_manager=Customer.objects.first().account_manager)
        )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_list_pages_run_the_same_number_of_queries_for_n_and_3n_rows(client, mira, anne, portfolio):
    portfolio(1)
    counts: dict[str, list[int]] = {}
    for size in (5, 15):
        Invitation.objects.all().delete()
        Campaign.objects.all().delete()
        _grow(size - Customer.objects.count())
        for n in range(3 if size == 15 else 1):
            campaign = make_campaign(name=f"C{n}")
            services.round_open(campaign=campaign)
        Invitation.objects.update(status="failed", last_error="550 nope")
        round_ = Campaign.objects.first().rounds.get()
        client.force_login(mira)
        counts.setdefault("campaigns", []).append(
            _queries(client, reverse("surveys:campaign-list"))
        )
        counts.setdefault("campaign", []).append(
            _queries(client, reverse("surveys:campaign-detail", args=[round_.campaign_id]))
        )
        counts.setdefault("round", []).append(_queries(client, round_.get_absolute_url()))
        client.force_login(anne)
        counts.setdefault("mine", []).append(_queries(client, reverse("surveys:my-invitations")))
        with CaptureQueriesContext(connection) as captured:
            request = RequestFactory().get("/")
            request.user = type(mira).objects.get(pk=mira.pk)  # no cached groups
            dashboard_panels(request, Customer.objects.all())
        counts.setdefault("dashboard panel", []).append(len(captured))
    for page, (small, large) in counts.items():
        assert small == large, f"{page}: {small} queries for N rows, {large} for 3N"


def test_the_round_page_lists_every_recipient_and_who_has_not_answered(client, mira, portfolio):
    _, round_ = sent_round(portfolio, 3)
    first, *others = round_.invitations.order_by("pk")
    Invitation.objects.filter(pk=first.pk).update(status="answered", answered_at=timezone.now())
    client.force_login(mira)
    url = reverse("surveys:round-detail", args=[round_.pk])

    everyone = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    listed = everyone.split('id="recipient-list"')[1].split("</table>")[0]
    assert listed.count("<tr data-status=") == 3
    assert listed.count('data-status="answered"') == 1 and "Answered" in listed
    assert all(i.email in listed for i in round_.invitations.all())

    waiting = client.get(url, {"show": "waiting"}, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    listed = waiting.split('id="recipient-list"')[1].split("</table>")[0]
    assert listed.count('data-status="sent"') == 2 and 'data-status="answered"' not in listed
    assert first.email not in listed and all(i.email in listed for i in others)
    assert "Verzonden" in listed.split("</thead>")[1]  # the status in the user's language
