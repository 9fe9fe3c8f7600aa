"""Departures: management records them, each side gives its belief before it sees the stated
reasons, saved sets are locked, the exit survey link, and the "why they leave" view."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relations import services
from relations.models import (
    CadenceStatus,
    Departure,
    ExitSurvey,
    LockedReasonSetError,
    Perspective,
    ReasonSet,
)
from scoring.models import Assessment, Customer
from surveys.selectors import round_recipients
from tests.factories import ContactFactory, CustomerFactory, assess
from tests.relations.factories import log, put_in
from tests.surveys.support import make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(anne):
    customer = put_in(CustomerFactory(account_manager=anne, name="Hendriks Transport"), "thriving")
    log(customer, "visit", days_ago=3)
    assess(customer, {"service": 5, "price_level": 2})
    return customer


def _record(customer, user, kind="full"):
    today = timezone.localdate()
    return services.departure_record(
        customer=customer,
        kind=kind,
        decided_on=today - timedelta(days=30),
        left_on=today - timedelta(days=2),
        revenue_lost=120_000,
        competitor="NordSupply",
        user=user,
    )


def test_management_records_a_full_departure_and_the_customer_becomes_inactive(
    client, customer, mira
):
    client.force_login(mira)
    today = timezone.localdate()
    response = client.post(
        reverse("relations:departure-create", args=[customer.pk]),
        {
            "kind": "full",
            "decided_on": (today - timedelta(days=40)).isoformat(),
            "left_on": (today - timedelta(days=5)).isoformat(),
            "revenue_lost": "150000",
            "competitor": "NordSupply",
        },
    )
    departure = Departure.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("relations:departure-detail", args=[departure.pk])
    customer.refresh_from_db()
    assert not customer.active
    assert departure.segment.code == "thriving"
    assert departure.account_manager == customer.account_manager
    assert not CadenceStatus.objects.filter(customer=customer).exists()
    assert Assessment.objects.filter(customer=customer).exists()  # history kept
    campaign = make_campaign(ask_staff=True)
    assert all(r.customer_id != customer.pk for r in round_recipients(campaign))


def test_a_partial_departure_keeps_the_customer_active(customer, mira):
    _record(customer, mira, kind="partial")
    customer.refresh_from_db()
    assert customer.active


def test_bad_departure_dates_are_refused_with_a_message(client, customer, mira):
    client.force_login(mira)
    today = timezone.localdate()
    response = client.post(
        reverse("relations:departure-create", args=[customer.pk]),
        {
            "kind": "full",
            "decided_on": today.isoformat(),
            "left_on": (today - timedelta(days=3)).isoformat(),
            "revenue_lost": "-5",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "The customer decided before (or on the day) it left." in text
    assert not Departure.objects.exists()
    customer.refresh_from_db()
    assert customer.active


def test_departures_are_managements_to_record(client, customer, anne):
    client.force_login(anne)
    response = client.post(
        reverse("relations:departure-create", args=[customer.pk]),
        {"kind": "full", "decided_on": "2026-01-01", "left_on": "2026-01-02"},
    )
    assert response.status_code == 403
    with pytest.raises(ValidationError):
        _record(customer, anne)
    assert not Departure.objects.exists()


def test_an_account_manager_cannot_open_another_managers_departure(client, customer, mira, bart):
    departure = _record(customer, mira)
    client.force_login(bart)
    assert client.get(reverse("relations:departure-detail", args=[departure.pk])).status_code == 404


def _page(client, departure) -> str:
    return client.get(
        reverse("relations:departure-detail", args=[departure.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()


def test_a_user_enters_their_belief_before_they_see_the_stated_reasons(
    client, customer, anne, mira
):
    departure = _record(customer, mira)
    services.reasons_record(
        departure=departure, perspective=Perspective.MANAGEMENT, reasons=["price"], user=mira
    )
    services.reasons_record(
        departure=departure, perspective=Perspective.STATED, reasons=["service"], user=mira
    )
    client.force_login(anne)
    page = _page(client, departure)
    assert 'id="reasons-hidden"' in page
    assert "Service and reachability" not in page.split('id="own-belief"')[0]
    assert 'data-perspective="stated"' not in page
    assert 'data-perspective="management"' not in page

    response = client.post(
        reverse("relations:reasons-record", args=[departure.pk, "own"]),
        {"own-reasons": ["price", "competitor_offer"]},
    )

    assert response.status_code == 302
    page = _page(client, departure)
    assert 'id="reasons-hidden"' not in page and 'id="own-belief"' not in page
    stated = page.split('data-perspective="stated"')[1].split("</section>")[0]
    assert "Service and reachability" in stated
    mine = page.split('data-perspective="account_manager"')[1].split("</section>")[0]
    assert "Price" in mine and "A competitor&#x27;s offer" in mine
    assert 'data-perspective="management"' in page


def test_management_cannot_record_the_stated_reasons_before_its_own_belief(client, customer, mira):
    departure = _record(customer, mira)
    with pytest.raises(ValidationError):
        services.reasons_record(
            departure=departure, perspective=Perspective.STATED, reasons=["service"], user=mira
        )
    client.force_login(mira)
    page = _page(client, departure)
    assert 'id="stated-form"' not in page and 'id="exit-survey"' not in page
    response = client.post(
        reverse("relations:reasons-record", args=[departure.pk, "stated"]),
        {"stated-reasons": ["service"]},
    )
    assert response.status_code == 400
    assert not ReasonSet.objects.exists()
    services.reasons_record(
        departure=departure, perspective=Perspective.MANAGEMENT, reasons=["price"], user=mira
    )
    page = _page(client, departure)
    assert 'id="stated-form"' in page and 'id="exit-survey"' in page


def test_only_the_customers_account_manager_records_the_account_managers_belief(
    customer, mira, bart
):
    departure = _record(customer, mira)
    for user in (bart, mira):
        with pytest.raises(ValidationError):
            services.reasons_record(
                departure=departure,
                perspective=Perspective.ACCOUNT_MANAGER,
                reasons=["price"],
                user=user,
            )


def test_a_saved_set_of_reasons_is_locked(client, customer, mira):
    departure = _record(customer, mira)
    saved = services.reasons_record(
        departure=departure, perspective=Perspective.MANAGEMENT, reasons=["price"], user=mira
    )
    # The service refuses a second set of the same side …
    with pytest.raises(ValidationError):
        services.reasons_record(
            departure=departure, perspective=Perspective.MANAGEMENT, reasons=["service"], user=mira
        )
    client.force_login(mira)
    response = client.post(
        reverse("relations:reasons-record", args=[departure.pk, "own"]),
        {"own-reasons": ["service"]},
    )
    assert response.status_code in (200, 400)
    # … the model and its queryset refuse a change …
    saved.reasons = ["service"]
    with pytest.raises(LockedReasonSetError):
        saved.save()
    with pytest.raises(LockedReasonSetError):
        ReasonSet.objects.filter(pk=saved.pk).update(reasons=["service"])
    with pytest.raises(LockedReasonSetError):
        ReasonSet.objects.filter(pk=saved.pk).delete()
    # … and so does the database itself.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ReasonSet._meta.db_table} SET note = %s WHERE id = %s", ["x", saved.pk]
        )
    assert ReasonSet.objects.get(pk=saved.pk).reasons == ["price"]


def test_other_needs_a_note(customer, mira):
    departure = _record(customer, mira)
    with pytest.raises(ValidationError) as error:
        services.reasons_record(
            departure=departure, perspective=Perspective.MANAGEMENT, reasons=["other"], user=mira
        )
    assert "note" in error.value.message_dict
    services.reasons_record(
        departure=departure,
        perspective=Perspective.MANAGEMENT,
        reasons=["other"],
        note="Verhuisd naar het buitenland",
        user=mira,
    )


def test_the_exit_survey_link_records_what_the_customer_states(settings, customer, mira):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "http://testserver"
    contact = ContactFactory(customer=customer, name="Joost Bakker", language="en")
    departure = _record(customer, mira)
    services.reasons_record(
        departure=departure, perspective=Perspective.MANAGEMENT, reasons=["price"], user=mira
    )
    survey = services.exit_survey_create(departure=departure, contact=contact, user=mira)
    assert services.exit_survey_send(survey_id=survey.pk)
    assert not services.exit_survey_send(survey_id=survey.pk)  # claimed: sent once
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Joost Bakker <" + contact.email + ">"]
    assert "Why did Hendriks Transport leave us?" in message.subject
    path = re.search(r"http://testserver(/relations/exit/[A-Za-z0-9_-]{43}/)", message.body)[1]
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in str(ExitSurvey.objects.values().get())

    browser = Client()
    answer_url = browser.get(path).url
    assert token not in answer_url
    page = browser.get(answer_url)
    assert page["Referrer-Policy"] == "same-origin" and page["Cache-Control"] == "no-store"
    assert "Service and reachability" in page.content.decode()
    assert browser.post(answer_url, {"reasons": []}).status_code == 400
    response = browser.post(answer_url, {"reasons": ["service", "quality"], "note": "Traag"})
    assert response.status_code == 302

    stated = ReasonSet.objects.get(departure=departure, perspective=Perspective.STATED)
    assert stated.reasons == ["service", "quality"] and stated.source == "exit_survey"
    assert stated.recorded_by is None
    assert Client().get(path).status_code == 410  # answered: the link is closed
    assert browser.post(answer_url, {"reasons": ["price"]}).status_code in (302, 404)
    assert ReasonSet.objects.filter(perspective=Perspective.STATED).count() == 1


def test_a_bad_exit_link_shows_a_page_not_an_error(client):
    assert client.get(reverse("relations:exit-link", args=["x" * 43])).status_code == 404
    assert client.get(reverse("relations:exit-link", args=["kort"])).status_code == 404


def _departure_with(customer, user, stated, management, account_manager=None):
    departure = _record(customer, user)
    services.reasons_record(
        departure=departure, perspective=Perspective.MANAGEMENT, reasons=management, user=user
    )
    if account_manager:
        services.reasons_record(
            departure=departure,
            perspective=Perspective.ACCOUNT_MANAGER,
            reasons=account_manager,
            user=customer.account_manager,
        )
    if stated:
        services.reasons_record(
            departure=departure, perspective=Perspective.STATED, reasons=stated, user=user
        )
    return departure


def test_why_they_leave_compares_stated_and_believed_reasons(client, anne, mira):
    for n, (stated, believed) in enumerate(
        [(["service"], ["price"]), (["service"], ["price"]), (["price"], ["price"])]
    ):
        c = CustomerFactory(account_manager=anne, name=f"Vertrokken {n}")
        assess(c, {"service": 6}, at=timezone.now() - timedelta(days=60))
        assess(
            c,
            {"service": 1},
            kind="customer",
            email=f"inkoop{n}@klant.example",
            at=timezone.now() - timedelta(days=10),
        )
        assess(c, {"service": 4}, kind="expert", email="x@markt.example")  # after it left
        _departure_with(c, mira, stated, believed, account_manager=["service"])
    waiting = CustomerFactory(account_manager=anne, name="Nog geen overtuiging")
    departure = _record(waiting, mira)
    ReasonSet.objects.create(
        departure=departure,
        perspective=Perspective.STATED,
        reasons=["service"],
        source="interview",
        recorded_at=timezone.now(),
    )
    client.force_login(mira)
    response = client.get(reverse("relations:why"), HTTP_ACCEPT_LANGUAGE="en")
    text = response.content.decode()
    result = response.context["result"]
    assert result.departures == 3 and result.waiting == 1
    gaps = {g["code"]: g for g in result.gaps}
    assert round(gaps["service"]["stated"]) == 67 and gaps["service"]["believed"] == 0
    assert gaps["price"]["believed"] == 100
    assert result.agreement["management"] == pytest.approx(100 / 3)
    assert result.agreement["account_manager"] == pytest.approx(200 / 3)
    assert "Nog geen overtuiging" not in text  # no management belief yet: left out
    row = text.split("Vertrokken 0")[1].split("</tr>")[0]
    assert "Service and reachability</strong>: customers 1.0 · we 6.0 · experts –" in row
    matrix = {r["code"]: r for r in result.matrix}
    assert matrix["service"]["cells"][result.codes.index("price")] == 2

    response = client.get(reverse("relations:why"), {"believed": "account_manager"})
    assert response.context["result"].gaps[0]["code"] == "price"


def test_why_they_leave_filters_by_period_segment_and_account_manager(client, anne, bart, mira):
    a = put_in(CustomerFactory(account_manager=anne), "thriving")
    b = put_in(CustomerFactory(account_manager=bart), "draining")
    _departure_with(a, mira, ["service"], ["price"])
    _departure_with(b, mira, ["price"], ["price"])
    client.force_login(mira)
    url = reverse("relations:why")
    assert client.get(url, {"account_manager": anne.pk}).context["result"].departures == 1
    segment_id = Departure.objects.get(customer=b).segment_id
    assert client.get(url, {"segment": segment_id}).context["result"].departures == 1
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.get(url, {"start": future}).context["result"].departures == 0
    response = client.get(url, {"start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 200  # a reversed period is reported, not a server error
    assert client.get(url, {"start": "nonsense"}).status_code == 200


def test_the_why_view_is_managements(client, anne):
    client.force_login(anne)
    assert client.get(reverse("relations:why")).status_code == 403


def test_the_departure_list_marks_where_the_users_belief_is_needed(client, customer, anne, mira):
    departure = _record(customer, mira)
    client.force_login(anne)
    text = client.get(reverse("relations:departure-list"), HTTP_ACCEPT_LANGUAGE="en").content
    assert b"your belief is needed" in text
    services.reasons_record(
        departure=departure, perspective=Perspective.ACCOUNT_MANAGER, reasons=["price"], user=anne
    )
    text = client.get(reverse("relations:departure-list"), HTTP_ACCEPT_LANGUAGE="en").content
    assert b"your belief is needed" not in text


def test_the_customer_page_shows_its_departures(client, customer, mira):
    _record(customer, mira, kind="downgrade")
    client.force_login(mira)
    text = client.get(
        reverse("scoring:customer-detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Downgraded" in text.split('id="customer-departures"')[1]
    assert Customer.objects.get(pk=customer.pk).active


def test_management_corrects_the_facts_but_not_the_kind(client, customer, mira):
    departure = _record(customer, mira)
    client.force_login(mira)
    response = client.post(
        reverse("relations:departure-edit", args=[departure.pk]),
        {
            "decided_on": "2026-01-01",
            "left_on": date.today().isoformat(),
            "revenue_lost": "99000",
            "competitor": "Delta",
            "kind": "partial",
        },
    )
    assert response.status_code == 302
    departure.refresh_from_db()
    facts = (departure.competitor, departure.revenue_lost, departure.kind)
    assert facts == ("Delta", 99000, "full")
