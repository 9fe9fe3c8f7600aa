"""The contact log: logging on the customer page, what resets the rhythm, who may log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from relations import services
from relations.models import CadenceStatus, ContactMoment
from relations.selectors.cadence import customer_cadence
from tests.factories import ContactFactory, CustomerFactory
from tests.relations.factories import log, put_in

pytestmark = pytest.mark.django_db


def _state(customer):
    return customer_cadence(customer).state


def test_logging_a_visit_resets_the_rhythm_at_once(anne, frozen):
    customer = put_in(CustomerFactory(account_manager=anne), "engaging")
    log(customer, "visit", days_ago=100)
    log(customer, "call", days_ago=5)
    assert _state(customer) == "lost"  # visit: 100 days, past the maximum of 90
    stored = CadenceStatus.objects.get(customer=customer)
    assert stored.kind == "visit"

    log(customer, "visit", days_ago=0)

    assert _state(customer) == "ok"
    stored.refresh_from_db()
    assert stored.due_from > timezone.localdate()


def test_an_internal_note_does_not_reset_the_rhythm(anne, frozen):
    customer = put_in(CustomerFactory(account_manager=anne), "engaging")
    log(customer, "visit", days_ago=70)
    log(customer, "call", days_ago=1)
    before = CadenceStatus.objects.values_list("due_from", "overdue_from", "lost_from").get()
    assert _state(customer) == "overdue"

    log(customer, "note", days_ago=0, summary="Intern: klant twijfelt")

    assert _state(customer) == "overdue"
    after = CadenceStatus.objects.values_list("due_from", "overdue_from", "lost_from").get()
    assert after == before
    assert ContactMoment.objects.filter(customer=customer, kind="note").count() == 1


def test_a_contact_in_the_future_is_refused_and_nothing_is_stored(anne, frozen):
    customer = CustomerFactory(account_manager=anne)
    with pytest.raises(ValidationError) as error:
        services.contact_log(
            customer=customer,
            kind="call",
            at=timezone.now() + timedelta(minutes=5),
            summary="Later",
            user=anne,
        )
    assert "at" in error.value.message_dict
    assert not ContactMoment.objects.exists()


def test_contact_persons_of_another_customer_are_refused(anne, frozen):
    customer = CustomerFactory(account_manager=anne)
    stranger = ContactFactory(customer=CustomerFactory(account_manager=anne))
    with pytest.raises(ValidationError) as error:
        services.contact_log(
            customer=customer,
            kind="visit",
            at=timezone.now(),
            summary="Bezoek",
            contact_persons=[stranger],
            user=anne,
        )
    assert "contact_persons" in error.value.message_dict


def test_the_quick_form_on_the_customer_page_logs_a_visit(client, anne, frozen):
    customer = put_in(CustomerFactory(account_manager=anne), "thriving")
    person = ContactFactory(customer=customer, name="Joost Bakker")
    client.force_login(anne)
    page = client.get(reverse("scoring:customer-detail", args=[customer.pk]))
    assert b'id="contact-log-form"' in page.content

    response = client.post(
        reverse("relations:contact-log", args=[customer.pk]),
        {
            "kind": "visit",
            "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Jaarplan besproken",
            "contact_persons": [person.pk],
            "staff": [anne.pk],
            "next": reverse("scoring:customer-detail", args=[customer.pk]),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:customer-detail", args=[customer.pk])
    moment = ContactMoment.objects.get()
    assert (moment.kind, moment.summary, moment.logged_by) == ("visit", "Jaarplan besproken", anne)
    assert list(moment.contact_persons.all()) == [person]
    assert list(moment.staff.all()) == [anne]
    page = client.get(reverse("scoring:customer-detail", args=[customer.pk]))
    timeline = page.content.decode().split('id="timeline"')[1]
    assert "Jaarplan besproken" in timeline and "Joost Bakker" in timeline


def test_a_bad_form_says_what_is_wrong_and_stores_nothing(client, anne, frozen):
    customer = CustomerFactory(account_manager=anne)
    client.force_login(anne)
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("relations:contact-log", args=[customer.pk]),
        {"kind": "visit", "at": tomorrow, "summary": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "A contact cannot lie in the future." in text
    assert "This field is required." in text
    assert not ContactMoment.objects.exists()


def test_an_account_manager_cannot_log_a_contact_for_another_managers_customer(
    client, anne, bart, frozen
):
    theirs = CustomerFactory(account_manager=bart)
    client.force_login(anne)
    url = reverse("relations:contact-log", args=[theirs.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"kind": "call", "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "summary": "x"}
    )
    assert response.status_code == 404
    assert not ContactMoment.objects.exists()


def test_next_only_leads_back_into_the_site(client, anne, frozen):
    customer = CustomerFactory(account_manager=anne)
    client.force_login(anne)
    response = client.post(
        reverse("relations:contact-log", args=[customer.pk]),
        {
            "kind": "call",
            "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Gebeld",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("scoring:customer-detail", args=[customer.pk])


def test_only_the_author_or_management_removes_a_contact(anne, bart, mira, frozen):
    customer = put_in(CustomerFactory(account_manager=anne), "engaging")
    moment = log(customer, "visit", days_ago=1, user=anne)
    with pytest.raises(PermissionDenied):
        services.contact_delete(moment=moment, user=bart)
    services.contact_delete(moment=moment, user=mira)
    assert not ContactMoment.objects.exists()
    assert _state(customer) == "lost"  # no visit left


def test_a_contact_logged_by_mistake_is_removed_from_the_customer_page(client, anne, frozen):
    customer = put_in(CustomerFactory(account_manager=anne), "engaging")
    log(customer, "visit", days_ago=100)
    mistake = log(customer, "visit", days_ago=0, summary="Verkeerde klant")
    assert _state(customer) == "ok"
    client.force_login(anne)
    page = client.get(reverse("scoring:customer-detail", args=[customer.pk])).content.decode()
    assert "Verkeerde klant" in page.split('id="my-recent-contacts"')[1]
    response = client.post(reverse("relations:contact-delete", args=[mistake.pk]))
    assert response.status_code == 302
    assert not ContactMoment.objects.filter(pk=mistake.pk).exists()
    assert _state(customer) == "lost"  # the rhythm counts from the visit before again


def test_another_manager_cannot_remove_a_contact(client, anne, bart, frozen):
    customer = CustomerFactory(account_manager=anne)
    moment = log(customer, "call", days_ago=1)
    client.force_login(bart)
    assert client.post(reverse("relations:contact-delete", args=[moment.pk])).status_code == 404
    assert ContactMoment.objects.filter(pk=moment.pk).exists()


# --------------------------------------------------------------------------------------------
# The action a contact served
# --------------------------------------------------------------------------------------------


def _actions(anne, mira):
    from actions.models import Action
    from tests.actions.factories import make_action

    mine = CustomerFactory(account_manager=anne, name="Bakkerij Mol")
    other = CustomerFactory(account_manager=anne, name="Drukkerij Vos")
    served = make_action(mine, by=mira, title="Kennissessie plannen")
    cancelled = make_action(mine, by=mira, type_code="executive-visit", title="Accountplan")
    Action.objects.filter(pk=cancelled.pk).update(status=Action.Status.CANCELLED)
    elsewhere = make_action(other, by=mira, title="Elders")
    return mine, served, cancelled, elsewhere


def test_the_form_offers_only_the_customers_actions_not_cancelled(client, anne, mira, frozen):
    mine, served, _cancelled, elsewhere = _actions(anne, mira)
    client.force_login(anne)
    url = reverse("relations:contact-log", args=[mine.pk])
    page = client.get(url, {"action": served.pk})
    choices = list(page.context["form"].fields["action"].queryset)
    assert choices == [served]
    assert page.context["form"]["action"].value() == served.pk
    html = page.content.decode()
    assert f'<option value="{served.pk}" selected>' in html
    assert "Elders" not in html and "Accountplan" not in html

    posted = {"kind": "call", "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    refused = client.post(url, {**posted, "summary": "Vos", "action": elsewhere.pk})
    assert refused.status_code == 400 and not ContactMoment.objects.exists()

    assert (
        client.post(url, {**posted, "summary": "Datum geprikt", "action": served.pk}).status_code
        == 302
    )
    (moment,) = ContactMoment.objects.all()
    assert moment.action == served
    assert list(served.contact_moments.all()) == [moment]


def test_the_service_refuses_an_action_of_another_customer(anne, mira, frozen):
    mine, _served, _cancelled, elsewhere = _actions(anne, mira)
    with pytest.raises(ValidationError) as refused:
        services.contact_log(
            customer=mine, kind="visit", at=timezone.now(), summary="x", action=elsewhere
        )
    assert "action" in refused.value.message_dict
    assert not ContactMoment.objects.exists()


def test_the_timeline_names_the_action_a_contact_served(client, anne, mira, frozen):
    mine, served, _cancelled, _elsewhere = _actions(anne, mira)
    services.contact_log(
        customer=mine, kind="visit", at=timezone.now(), summary="Langs geweest", action=served
    )
    client.force_login(anne)
    page = client.get(reverse("scoring:customer-detail", args=[mine.pk]), HTTP_ACCEPT_LANGUAGE="en")
    (entry,) = [e for e in page.context["timeline"] if e.kind == "contact"]
    assert "Kennissessie plannen" in entry.detail
    assert entry.url == served.get_absolute_url()
