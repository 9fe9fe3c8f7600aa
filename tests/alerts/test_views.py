"""The inbox and its count, one alert, the rules and the settings: who sees and does what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, AlertRule, AlertSettings
from tests.alerts.support import ALL_THREE, alerts_of, step
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dropped(anne):
    """One of Anne's customers that fell from yellow to orange: a band alert."""
    AlertRule.objects.exclude(trigger="band_down").update(active=False)
    customer = CustomerFactory(account_manager=anne, name="Visser Transport B.V.")
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1)
    (alert,) = alerts_of(customer, "band_down")
    return alert


def test_account_manager_sees_the_alert_with_why_it_moved_and_the_count_in_the_menu(
    client, anne, dropped
):
    client.force_login(anne)
    page = client.get(reverse("alerts:inbox")).content.decode()
    assert "Visser Transport B.V." in page
    assert 'data-code="it_integration"' in page
    assert 'id="alert-count">1<' in page


def test_another_account_manager_gets_a_404_and_an_empty_inbox(client, bart, dropped):
    client.force_login(bart)
    assert client.get(reverse("alerts:detail", args=[dropped.pk])).status_code == 404
    assert client.post(reverse("alerts:acknowledge", args=[dropped.pk])).status_code == 404
    page = client.get(reverse("alerts:inbox")).content.decode()
    assert "Visser Transport B.V." not in page and 'id="alert-count"' not in page


def test_management_sees_every_alert(client, mira, dropped):
    client.force_login(mira)
    assert client.get(reverse("alerts:detail", args=[dropped.pk])).status_code == 200
    assert "Visser Transport B.V." in client.get(reverse("alerts:inbox")).content.decode()


def test_acknowledging_takes_it_out_of_the_count(client, anne, dropped):
    client.force_login(anne)
    response = client.post(reverse("alerts:acknowledge", args=[dropped.pk]))
    assert response.status_code == 302
    dropped.refresh_from_db()
    assert dropped.status == Alert.Status.ACKNOWLEDGED and dropped.acknowledged_by == anne
    assert 'id="alert-count"' not in client.get(reverse("alerts:inbox")).content.decode()


def test_snoozing_through_the_form_and_a_bad_date_shows_a_message(client, anne, dropped):
    client.force_login(anne)
    url = reverse("alerts:snooze", args=[dropped.pk])
    today = timezone.localdate()
    bad = client.post(
        url, {"until": today.isoformat(), "reason": "contact_planned"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert bad.status_code == 200 and "Choose a day after today." in bad.content.decode()
    later = today + dt.timedelta(days=10)
    assert client.post(url, {"until": later.isoformat(), "reason": "waiting"}).status_code == 302
    dropped.refresh_from_db()
    assert (dropped.status, dropped.snoozed_until, dropped.snooze_reason) == (
        "snoozed",
        later,
        "waiting",
    )
    snoozed = client.get(reverse("alerts:inbox") + "?status=snoozed").content.decode()
    assert "Visser Transport B.V." in snoozed


def test_posts_need_a_csrf_token(anne, dropped):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(anne)
    assert client.post(reverse("alerts:acknowledge", args=[dropped.pk])).status_code == 403


def test_rules_are_managements(client, anne, mira):
    client.force_login(anne)
    assert client.get(reverse("alerts:rules")).status_code == 403
    rule = AlertRule.objects.get(trigger="score_drop")
    assert client.post(reverse("alerts:rule-edit", args=[rule.pk]), {}).status_code == 403
    client.force_login(mira)
    assert client.get(reverse("alerts:rules")).status_code == 200


def test_management_changes_a_rule_and_out_of_bounds_values_are_refused(client, mira, anne):
    client.force_login(mira)
    rule = AlertRule.objects.get(trigger="score_drop")
    url = reverse("alerts:rule-edit", args=[rule.pk])
    form = {
        "severity": "critical",
        "scope": "account_manager",
        "scope_user": anne.pk,
        "param_points": "7",
        "param_days": "60",
        "active": "on",
    }
    assert client.post(url, {**form, "param_points": "500"}).status_code == 200
    rule.refresh_from_db()
    assert rule.params == {"points": 5.0, "days": 90.0}
    assert client.post(url, form).status_code == 302
    rule.refresh_from_db()
    assert (rule.severity, rule.scope, rule.scope_user, rule.params) == (
        "critical",
        "account_manager",
        anne,
        {"points": 7.0, "days": 60.0},
    )


def test_a_rule_for_one_account_manager_watches_only_their_customers(anne, bart):
    rule = AlertRule.objects.get(trigger="band_down")
    rule.scope, rule.scope_user = "account_manager", bart
    rule.save()
    AlertRule.objects.exclude(pk=rule.pk).update(active=False)
    customer = CustomerFactory(account_manager=anne)
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    assert step(customer, ALL_THREE, day=1).raised == []


def test_each_user_chooses_delivery_per_severity(client, anne):
    client.force_login(anne)
    page = client.get(reverse("alerts:settings"))
    assert page.status_code == 200
    response = client.post(
        reverse("alerts:settings"),
        {"critical": "daily", "warning": "inbox", "info": "inbox", "language": "en"},
    )
    assert response.status_code == 302
    stored = AlertSettings.objects.get(user=anne)
    assert (stored.critical, stored.warning, stored.language) == ("daily", "inbox", "en")


def test_the_customer_page_shows_its_alerts_and_the_timeline_entry(client, anne, dropped):
    client.force_login(anne)
    page = client.get(reverse("scoring:customer-detail", args=[dropped.customer_id]))
    text = page.content.decode()
    assert 'id="customer-alerts"' in text and "timeline-alert" in text


def test_the_menu_count_is_one_query(client, anne, dropped, django_assert_num_queries):
    from django.template import RequestContext, Template
    from django.test import RequestFactory

    from scoring.roles import is_management

    request = RequestFactory().get("/")
    request.user = anne
    is_management(anne)  # every page asks already (the menu's roles); kept on the user
    template = Template("{{ alert_count }}")
    with django_assert_num_queries(1):
        assert template.render(RequestContext(request, {})) == "1"


def test_a_resolved_alert_cannot_be_snoozed_or_acknowledged_and_says_why(client, anne, dropped):
    from alerts.models import Alert as AlertModel

    AlertModel.objects.filter(pk=dropped.pk).update(status="resolved", resolved_at=timezone.now())
    client.force_login(anne)
    later = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(
        reverse("alerts:snooze", args=[dropped.pk]),
        {"until": later, "reason": "known"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "This alert has resolved itself" in response.content.decode()
    response = client.post(
        reverse("alerts:acknowledge", args=[dropped.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "This alert has resolved itself" in response.content.decode()
    dropped.refresh_from_db()
    assert dropped.status == "resolved"


def _href(page: str, css: str) -> str:
    import re
    from html import unescape

    (href,) = re.findall(rf'<a class="[^"]*{css}[^"]*" href="([^"]+)"', page)
    return unescape(href)


def test_propose_an_action_from_the_inbox_is_filled_with_the_element_that_moved_most(
    client, anne, mira, dropped
):
    client.force_login(anne)
    inbox = client.get(reverse("alerts:inbox")).content.decode()
    href = _href(inbox, "propose-action")
    assert href == (
        f"{reverse('actions:propose')}?customer={dropped.customer_id}"
        "&element=it_integration&origin=alert"
    )
    form = client.get(href).context["form"]
    assert form["element_code"].value() == "it_integration"
    assert form["origin"].value() == "alert"
    assert form.customer == dropped.customer


def test_log_a_contact_from_the_inbox_logs_it_and_comes_back(client, anne, dropped):
    from relations.models import ContactMoment

    client.force_login(anne)
    inbox_url = reverse("alerts:inbox")
    inbox = client.get(inbox_url).content.decode()
    href = _href(inbox, "log-contact")
    assert href.startswith(reverse("relations:contact-log", args=[dropped.customer_id]))
    assert client.get(href).status_code == 200
    now = timezone.localtime()
    response = client.post(
        href,
        {"kind": "call", "at": now.strftime("%Y-%m-%dT%H:%M"), "summary": "Na het alarm"},
    )
    assert response.status_code == 302 and response["Location"] == inbox_url
    (moment,) = ContactMoment.objects.filter(customer=dropped.customer)
    assert (moment.kind, moment.summary) == ("call", "Na het alarm")


def test_a_departed_customer_gets_no_propose_link_but_a_contact_can_be_logged(
    client, anne, dropped
):
    from scoring.models import Customer

    Customer.objects.filter(pk=dropped.customer_id).update(active=False)
    client.force_login(anne)
    inbox = client.get(reverse("alerts:inbox") + "?status=all").content.decode()
    assert "propose-action" not in inbox and "log-contact" in inbox
