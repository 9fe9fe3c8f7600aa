"""The "To contact" list, the customer list's cadence column and filter, coverage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relations import services
from relations.models import CadenceStatus, CadenceTarget
from relations.rendering import (
    DayText,
    badge_html,
    badge_template_html,
    day_text,
    state_labels,
)
from relations.selectors.cadence import coverage_per_manager, to_contact_page
from scoring.models import Customer
from tests.factories import CustomerFactory
from tests.relations.factories import log, put_in, segment

pytestmark = pytest.mark.django_db


def _customer(manager, name, code, **visits):
    customer = put_in(CustomerFactory(account_manager=manager, name=name), code)
    for kind, days in visits.items():
        log(customer, kind, days_ago=days)
    return customer


def test_to_contact_lists_the_most_overdue_first_and_thriving_before_draining(anne, frozen):
    # Engaging visit every 60 (max 90), call 21 (30); thriving 30 (45) and 7 (14); draining
    # visit 180 (365), call 90 (180).
    _customer(anne, "Op tijd", "engaging", visit=10, call=3)
    _customer(anne, "Tien dagen te laat bloeiend", "thriving", visit=40, call=1)
    _customer(anne, "Tien dagen te laat vermoeiend", "draining", visit=100, call=100)
    _customer(anne, "Twintig dagen te laat", "engaging", visit=80, call=10)
    _customer(anne, "Nooit bezocht", "engaging", call=2)
    _customer(anne, "Binnenkort", "engaging", visit=55, call=2)

    page = to_contact_page(user=anne)

    assert [row.name for row in page.rows] == [
        "Nooit bezocht",
        "Twintig dagen te laat",
        "Tien dagen te laat bloeiend",
        "Tien dagen te laat vermoeiend",
        "Binnenkort",
    ]
    assert [row.state for row in page.rows] == ["lost", "overdue", "overdue", "overdue", "due"]
    assert page.rows[1].days_late == 20 and page.rows[2].days_late == 10
    assert not page.has_next and not page.has_previous


def test_to_contact_shows_only_the_account_managers_own_customers(client, anne, bart, frozen):
    _customer(anne, "Van Anne", "engaging", visit=80, call=1)
    _customer(bart, "Van Bart", "engaging", visit=80, call=1)
    client.force_login(anne)
    text = client.get(reverse("relations:to-contact")).content.decode()
    assert "Van Anne" in text and "Van Bart" not in text


def test_management_filters_to_contact_by_account_manager_state_and_segment(
    client, anne, bart, mira, frozen
):
    _customer(anne, "Anne te laat", "engaging", visit=80, call=1)
    _customer(anne, "Anne kwijt", "engaging", visit=200, call=1)
    _customer(bart, "Bart te laat", "thriving", visit=40, call=1)
    client.force_login(mira)
    url = reverse("relations:to-contact")
    text = client.get(url).content.decode()
    assert all(name in text for name in ("Anne te laat", "Anne kwijt", "Bart te laat"))
    text = client.get(url, {"account_manager": anne.pk, "state": "overdue"}).content.decode()
    assert "Anne te laat" in text and "Anne kwijt" not in text and "Bart te laat" not in text
    text = client.get(url, {"segment": segment("thriving").pk}).content.decode()
    assert "Bart te laat" in text and "Anne te laat" not in text
    assert client.get(url, {"state": "nonsense", "page": "x99"}).status_code == 200


def test_the_to_contact_list_reads_a_fixed_number_of_queries(anne, frozen):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = to_contact_page(user=anne)
            assert page.rows
        return len(captured)

    _customer(anne, "Eerste", "engaging", visit=80, call=1)
    queries()  # the user's groups are read once and kept on the user
    few = queries()
    for n in range(12):
        _customer(anne, f"Klant {n}", "thriving", visit=50 + n, call=20)
    assert queries() == few


def test_the_customer_list_shows_the_cadence_column_and_filters_on_it(client, anne, frozen):
    _customer(anne, "Keurig bijgehouden", "engaging", visit=5, call=2)
    _customer(anne, "Vergeten klant", "engaging", visit=200, call=200)
    CustomerFactory(account_manager=anne, name="Zonder segment")
    client.force_login(anne)
    url = reverse("scoring:customer-list")

    text = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<th scope="col" class="d-none d-md-table-cell">Contact</th>' in text
    kept = text.split("Keurig bijgehouden")[1].split("</tr>")[0]
    forgotten = text.split("Vergeten klant")[1].split("</tr>")[0]
    assert "kb-cadence-ok" in kept and "on track" in kept
    assert "kb-cadence-lost" in forgotten and "lost touch" in forgotten

    text = client.get(url, {"cadence": "lost"}).content.decode()
    assert "Vergeten klant" in text and "Keurig bijgehouden" not in text
    assert "Zonder segment" not in text
    text = client.get(url, {"cadence": "to_contact"}).content.decode()
    assert "Vergeten klant" in text and "Keurig bijgehouden" not in text
    text = client.get(url, {"cadence": "bogus"}).content.decode()
    assert "Zonder segment" in text  # an unknown value filters nothing


def test_the_customer_lists_cadence_column_costs_one_query_per_page(client, anne, frozen):
    client.force_login(anne)
    url = reverse("scoring:customer-list")
    _customer(anne, "Een", "engaging", visit=5, call=2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(15):
        _customer(anne, f"Klant {n:02d}", "engaging", visit=n * 10, call=n)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_hand_built_badge_is_the_templates_badge():
    labels = state_labels()
    for state in ("ok", "due", "overdue", "lost"):
        title = 'Visit due 3-3-2026 & "soon"'
        assert badge_html(state, title, labels) == badge_template_html(state, title)


def test_the_fast_dates_are_djangos_dates_in_both_languages():
    from datetime import date, timedelta

    from django.utils import translation

    for language in ("nl", "en"):
        with translation.override(language):
            fast = DayText()
            for n in range(0, 400, 7):
                day = date(2025, 12, 30) + timedelta(days=n)
                assert fast(day) == day_text(day)
    with translation.override("en"):
        assert DayText()(date(2026, 12, 1)) == "1 Dec 2026"
    with translation.override("nl"):
        assert DayText()(date(2026, 12, 1)) == "1-12-2026"


def test_the_customer_page_shows_the_rhythms_with_their_state(client, anne, frozen):
    customer = _customer(anne, "Klant", "thriving", visit=40, call=3)
    client.force_login(anne)
    text = client.get(
        reverse("scoring:customer-detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    table = text.split('id="rhythm-table"')[1].split("</table>")[0]
    visit = table.split('data-kind="visit"')[1].split("</tr>")[0]
    call = table.split('data-kind="call"')[1].split("</tr>")[0]
    assert "overdue" in visit and "4 Feb 2026" in visit and "6 Mar 2026" in visit  # 40 days
    assert "due soon" in call
    assert "Thriving" in text


def test_a_changed_rhythm_applies_to_every_customer_of_the_segment(anne, frozen):
    customer = _customer(anne, "Klant", "engaging", visit=70, call=1)
    assert to_contact_page(user=anne).rows[0].state == "overdue"
    CadenceTarget.objects.filter(segment=segment("engaging"), kind="visit").update(
        target_days=90, max_days=120
    )
    services.cadence_refresh()
    assert to_contact_page(user=anne).rows == []
    assert Customer.objects.get(pk=customer.pk).cadence_status.due_from


def test_coverage_counts_the_share_within_target_per_account_manager(anne, bart, frozen):
    _customer(anne, "A1", "engaging", visit=5, call=2)
    _customer(anne, "A2", "engaging", visit=55, call=2)  # due soon: still within target
    _customer(anne, "A3", "engaging", visit=80, call=2)  # overdue
    _customer(bart, "B1", "engaging", visit=200, call=2)
    coverage = coverage_per_manager(Customer.objects.all())
    rows = {row.account_manager_id: row for row in coverage.rows}
    assert (rows[anne.pk].customers, rows[anne.pk].within) == (3, 2)
    assert rows[anne.pk].share == pytest.approx(200 / 3)
    assert rows[bart.pk].share == 0
    assert coverage.share == 50


def test_an_inactive_customer_has_no_rhythm_and_is_not_to_contact(anne, frozen):
    customer = _customer(anne, "Weg", "engaging", visit=200, call=200)
    Customer.objects.filter(pk=customer.pk).update(active=False)
    services.cadence_refresh()
    assert not to_contact_page(user=anne).rows


def test_the_hand_built_to_contact_rows_are_the_templates_rows(anne, frozen):
    from django.template.loader import render_to_string
    from django.utils import translation

    from relations.rendering import ROW_TEMPLATE, to_contact_items, to_contact_row_html

    _customer(anne, 'Bakker & "Zn" <B.V.>', "engaging", visit=80, call=1)  # overdue
    _customer(anne, "Nooit", "engaging", call=1)  # never visited
    _customer(anne, "Vandaag", "engaging", visit=60, call=1)  # due today
    _customer(anne, "Binnenkort", "engaging", visit=55, call=1)  # due soon
    for language in ("nl", "en"):
        with translation.override(language):
            rows = to_contact_page(user=anne).rows
            items = to_contact_items(
                rows, here="/relations/to-contact/?page=2&x=1", management=True
            )
            assert len(items) == 4
            for item in items:
                expected = render_to_string(ROW_TEMPLATE, {"row": item, "log_text": "Log"})
                assert to_contact_row_html(item, "Log") == expected.strip()
    html = "".join(to_contact_row_html(item, "Log") for item in items)
    assert "Bakker &amp; &quot;Zn&quot; &lt;B.V.&gt;" in html and "<B.V.>" not in html


def test_a_filter_value_that_is_no_choice_filters_nothing(client, anne, mira, frozen):
    _customer(anne, "Anne te laat", "engaging", visit=80, call=1)
    client.force_login(mira)
    url = reverse("relations:to-contact")
    for params in ({"segment": "999"}, {"account_manager": "999"}, {"segment": "één"}):
        text = client.get(url, params).content.decode()
        assert "Anne te laat" in text, params


def test_a_refresh_rewrites_only_the_rhythms_that_changed(anne, frozen):
    first = _customer(anne, "Eerste", "engaging", visit=10, call=1)
    second = _customer(anne, "Tweede", "engaging", visit=10, call=1)
    CadenceStatus.objects.update(computed_at=timezone.now() - timedelta(days=1))
    log(first, "visit", days_ago=0)  # refreshes the first customer only
    stamps = dict(CadenceStatus.objects.values_list("customer_id", "computed_at"))
    assert stamps[first.pk] == timezone.now()
    assert stamps[second.pk] < timezone.now()
    services.cadence_refresh()  # nothing else changed: nothing is written
    assert dict(CadenceStatus.objects.values_list("customer_id", "computed_at")) == stamps


def test_the_to_contact_list_pages_on_while_there_are_more(anne, frozen, monkeypatch):
    from relations.selectors import cadence

    monkeypatch.setattr(cadence, "PAGE_SIZE", 2)
    for n in range(5):
        _customer(anne, f"Klant {n}", "engaging", visit=70 + n, call=1)
    first = to_contact_page(user=anne)
    assert [r.name for r in first.rows] == ["Klant 4", "Klant 3"]
    assert first.has_next and not first.has_previous and first.start == 1
    last = to_contact_page(user=anne, page="3")
    assert [r.name for r in last.rows] == ["Klant 0"] and not last.has_next
    assert last.has_previous and last.start == 5
    beyond = to_contact_page(user=anne, page="99")
    assert beyond.number == 1 and [r.name for r in beyond.rows] == ["Klant 4", "Klant 3"]
