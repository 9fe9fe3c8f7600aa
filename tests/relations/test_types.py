"""Relationship types: what we believe, what the customer wants (asked in the survey), and the
mismatch on the customer page and the dashboard."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from relations.models import RelationshipBelief, RelationshipType, RelationshipWish
from relations.selectors.types import mismatch_tables
from scoring.models import Assessment, Customer
from tests.factories import ContactFactory, CustomerFactory, assess
from tests.surveys.support import invite, make_campaign

pytestmark = pytest.mark.django_db

SCORES = {"value_performance": "5", "value_service": "4", "value_price_level": "3"}


def _type(code: str) -> RelationshipType:
    return RelationshipType.objects.get(code=code)


def test_an_account_manager_records_the_type_we_believe_for_their_own_customer_only(
    client, anne, bart
):
    own = CustomerFactory(account_manager=anne)
    theirs = CustomerFactory(account_manager=bart)
    client.force_login(anne)
    client.post(reverse("relations:belief-set", args=[own.pk]), {"type": _type("fling").pk})
    belief = RelationshipBelief.objects.get(customer=own)
    assert (belief.type.code, belief.set_by) == ("fling", anne)

    response = client.post(
        reverse("relations:belief-set", args=[theirs.pk]), {"type": _type("fling").pk}
    )
    assert response.status_code == 404
    assert not RelationshipBelief.objects.filter(customer=theirs).exists()


def test_the_customer_survey_asks_which_relationship_they_want_and_stores_it_with_the_answer(
    settings, anne
):
    customer = CustomerFactory(account_manager=anne, name="Hendriks Transport")
    contact = ContactFactory(customer=customer, language="en")
    link = invite(make_campaign(), settings)[contact.email]
    client = Client()
    answer_url = client.get(link).url
    page = client.get(answer_url).content.decode()
    assert "Which description fits the relationship you want with us?" in page
    assert "Business partner: We work together on shared goals" in page

    response = client.post(answer_url, {**SCORES, "relationship_wish": "business_partner"})

    assert response.status_code == 302
    assessment = Assessment.objects.get(customer=customer)
    wish = RelationshipWish.objects.get()
    assert wish.assessment == assessment and wish.customer == customer
    assert wish.type.code == "business_partner"
    assert wish.answered_at == assessment.assessed_at


def test_the_question_is_optional_and_asked_in_the_contacts_language(settings, anne):
    customer = CustomerFactory(account_manager=anne)
    contact = ContactFactory(customer=customer, language="nl")
    link = invite(make_campaign(), settings)[contact.email]
    client = Client()
    answer_url = client.get(link).url
    page = client.get(answer_url).content.decode()
    assert "Welke omschrijving past bij de relatie die u met ons wilt?" in page
    assert client.post(answer_url, SCORES).status_code == 302
    assert Assessment.objects.filter(customer=customer).exists()
    assert not RelationshipWish.objects.exists()


def test_an_unknown_type_in_the_answer_stores_neither_assessment_nor_wish(settings, anne):
    customer = CustomerFactory(account_manager=anne)
    contact = ContactFactory(customer=customer, language="en")
    link = invite(make_campaign(), settings)[contact.email]
    client = Client()
    answer_url = client.get(link).url
    response = client.post(answer_url, {**SCORES, "relationship_wish": "marriage"})
    assert response.status_code == 200  # the form shows the error
    assert "Select a valid choice" in response.content.decode()
    assert not Assessment.objects.exists() and not RelationshipWish.objects.exists()


def test_experts_are_not_asked_about_the_relationship():
    from relations.panels import relationship_question_fields

    assert relationship_question_fields("expert", None) == {}
    assert relationship_question_fields("staff", None) == {}
    assert "relationship_wish" in relationship_question_fields("customer", None)


def _wish(customer, code, email="inkoop@klant.example"):
    assessment = assess(customer, {"service": 3}, kind="customer", email=email)
    return RelationshipWish.objects.create(
        assessment=assessment,
        customer=customer,
        type=_type(code),
        answered_at=assessment.assessed_at,
    )


def test_a_mismatch_is_flagged_on_the_customer_page(client, anne):
    customer = CustomerFactory(account_manager=anne)
    RelationshipBelief.objects.create(
        customer=customer, type=_type("basic_exchange"), set_by=anne, set_at=customer.created_at
    )
    _wish(customer, "business_partner")
    client.force_login(anne)
    text = client.get(
        reverse("scoring:customer-detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    flag = text.split('id="type-mismatch"')[1].split("</div>")[0]
    assert "we believe in “Basic exchange”, the customer wants “Business partner”" in flag

    RelationshipBelief.objects.filter(customer=customer).update(type=_type("business_partner"))
    text = client.get(reverse("scoring:customer-detail", args=[customer.pk])).content.decode()
    assert 'id="type-mismatch"' not in text and 'id="type-match"' in text


def test_mismatches_are_counted_per_band_and_per_quadrant(anne):
    def customer(values, believed, wanted):
        c = CustomerFactory(account_manager=anne)
        assess(c, values)
        RelationshipBelief.objects.create(
            customer=c, type=_type(believed), set_by=anne, set_at=c.created_at
        )
        _wish(c, wanted)
        return c

    high = {"performance": 6, "service": 6, "competition": 6, "it_integration": 6}
    entrapped = {"performance": 0, "service": 0, "competition": 6, "it_integration": 6}
    customer(high, "fling", "business_partner")  # green, loyal, mismatch
    customer(high, "fling", "fling")  # green, loyal, match
    customer(entrapped, "contractual", "trusted_adviser")  # entrapped, mismatch
    lone = CustomerFactory(account_manager=anne)  # a belief but no answer: not counted
    RelationshipBelief.objects.create(
        customer=lone, type=_type("fling"), set_by=anne, set_at=lone.created_at
    )

    tables = mismatch_tables(Customer.objects.all())

    assert (tables.known, tables.mismatches) == (3, 2)
    by_band = {row["key"]: (row["known"], row["mismatches"]) for row in tables.by_band}
    assert by_band["green"] == (2, 1)
    by_quadrant = {row["key"]: (row["known"], row["mismatches"]) for row in tables.by_quadrant}
    assert by_quadrant["loyal"] == (2, 1) and by_quadrant["entrapped"] == (1, 1)


def test_the_newest_answer_is_what_the_customer_wants(anne):
    c = CustomerFactory(account_manager=anne)
    RelationshipBelief.objects.create(
        customer=c, type=_type("fling"), set_by=anne, set_at=c.created_at
    )
    _wish(c, "business_partner", email="a@klant.example")
    _wish(c, "fling", email="b@klant.example")  # newer
    tables = mismatch_tables(Customer.objects.all())
    assert (tables.known, tables.mismatches) == (1, 0)
