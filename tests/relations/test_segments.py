"""Value segments: ordered rules management edits, overrides with a reason, monthly history."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from relations import services, tasks
from relations.models import CadenceStatus, CustomerSegment, SegmentHistory, SegmentRule
from relations.selectors.segments import segment_and_band_moves
from scoring.models import Customer
from tests.factories import CustomerFactory, assess
from tests.relations.factories import put_in, segment

pytestmark = pytest.mark.django_db


def _segment_of(customer) -> str | None:
    row = CustomerSegment.objects.select_related("segment").get(customer=customer)
    return row.segment.code if row.segment else None


@pytest.fixture
def portfolio(anne):
    """Ten customers: revenue 10,000 … 100,000 at a 20 % margin, so the two largest bring
    about a third of the contribution, the largest six about 80 %."""
    customers = {}
    for n in range(1, 11):
        customers[n] = CustomerFactory(
            account_manager=anne,
            name=f"Klant {n:02d}",
            annual_revenue=n * 10_000,
            margin_pct=20,
            payment_behaviour="good",
        )
    return customers


def test_the_default_rules_make_the_top_of_the_pareto_that_pays_well_thriving(portfolio):
    Customer.objects.filter(pk=portfolio[9].pk).update(payment_behaviour="poor")
    Customer.objects.filter(pk=portfolio[1].pk).update(payment_behaviour="poor")

    summary = services.segments_assign()

    assert summary.customers == 10
    assert _segment_of(portfolio[10]) == "thriving"
    assert _segment_of(portfolio[9]) == "engaging"  # top of the Pareto, but pays badly
    assert _segment_of(portfolio[1]) == "draining"  # little contribution, pays badly
    assert _segment_of(portfolio[2]) == "engaging"  # little contribution, pays well
    # Largest first 100 + 90 + 80 + 70 + 60 + 50 = 450 of 550 (82 %): the 50 starts at 73 %.
    assert _segment_of(portfolio[5]) == "thriving"
    assert _segment_of(portfolio[4]) == "engaging"


def test_rules_are_applied_in_their_order(portfolio):
    SegmentRule.objects.all().delete()
    SegmentRule.objects.create(segment=segment("draining"), order=2, revenue_min=50_000)
    SegmentRule.objects.create(segment=segment("thriving"), order=1, revenue_min=80_000)
    SegmentRule.objects.create(segment=segment("engaging"), order=3)
    services.segments_assign()
    assert [_segment_of(portfolio[n]) for n in (10, 8, 7, 5, 4)] == [
        "thriving",
        "thriving",
        "draining",
        "draining",
        "engaging",
    ]
    SegmentRule.objects.filter(segment=segment("draining")).update(order=0)  # now first
    services.segments_assign()
    assert _segment_of(portfolio[10]) == "draining"


def test_a_rule_on_the_band_uses_the_current_score(portfolio):
    SegmentRule.objects.all().delete()
    SegmentRule.objects.create(segment=segment("draining"), order=1, bands=["red"])
    SegmentRule.objects.create(segment=segment("engaging"), order=2)
    assess(portfolio[3], {"performance": 0, "service": 0, "it_integration": 0})
    services.segments_assign()
    assert _segment_of(portfolio[3]) == "draining"
    assert _segment_of(portfolio[4]) == "engaging"


def test_an_account_manager_overrides_the_segment_with_a_reason(client, anne, portfolio):
    services.segments_assign()
    customer = portfolio[2]
    assert _segment_of(customer) == "engaging"
    client.force_login(anne)
    url = reverse("relations:segment-override", args=[customer.pk])

    client.post(url, {"segment": segment("thriving").pk, "reason": ""})
    assert _segment_of(customer) == "engaging"  # refused: no reason

    client.post(url, {"segment": segment("thriving").pk, "reason": "Groeit hard, nieuw contract"})
    row = CustomerSegment.objects.get(customer=customer)
    assert (row.segment.code, row.by_rule.code) == ("thriving", "engaging")
    assert row.override_reason == "Groeit hard, nieuw contract" and row.override_by == anne
    assert CadenceStatus.objects.get(customer=customer).segment.code == "thriving"

    services.segments_assign()  # the rules run again: the override stays
    assert _segment_of(customer) == "thriving"

    client.post(url, {"segment": "", "reason": ""})  # back to the rules
    assert _segment_of(customer) == "engaging"


def test_the_service_refuses_an_override_without_reason(anne, portfolio):
    with pytest.raises(ValidationError):
        services.segment_override(
            customer=portfolio[1], segment=segment("thriving"), reason=" ", user=anne
        )


def test_an_account_manager_cannot_override_another_managers_customer(client, bart, portfolio):
    client.force_login(bart)
    response = client.post(
        reverse("relations:segment-override", args=[portfolio[1].pk]),
        {"segment": segment("thriving").pk, "reason": "Waarom niet"},
    )
    assert response.status_code == 404
    assert not CustomerSegment.objects.filter(override__isnull=False).exists()


def test_only_management_edits_the_rules(client, anne, mira, portfolio):
    url = reverse("relations:setup")
    client.force_login(anne)
    assert client.get(url).status_code == 403
    client.force_login(mira)
    page = client.get(url)
    assert page.status_code == 200
    formset = page.context["formset"]
    data = {
        "rules-TOTAL_FORMS": str(len(formset.forms)),
        "rules-INITIAL_FORMS": str(formset.initial_form_count()),
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    for i, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if name == "id" and form.instance.pk:
                value = form.instance.pk
            if value is None:
                continue
            if isinstance(value, list):
                data[f"rules-{i}-{name}"] = value
            elif hasattr(value, "pk"):
                data[f"rules-{i}-{name}"] = value.pk
            else:
                data[f"rules-{i}-{name}"] = value
    # Management puts everyone from 90,000 revenue in draining, in front of the other rules.
    last = len(formset.forms) - 1
    data.update(
        {
            f"rules-{last}-order": "1",
            f"rules-{last}-segment": segment("draining").pk,
            f"rules-{last}-revenue_min": "90000",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SegmentRule.objects.count() == 4
    assert _segment_of(portfolio[10]) == "draining" and _segment_of(portfolio[9]) == "draining"


def test_a_bad_rule_is_refused_and_nothing_changes(client, mira):
    client.force_login(mira)
    before = list(SegmentRule.objects.values_list("pk", "order", "revenue_min"))
    response = client.post(
        reverse("relations:setup"),
        {
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
            "rules-0-order": "5",
            "rules-0-segment": segment("thriving").pk,
            "rules-0-revenue_min": "500",
            "rules-0-revenue_max": "100",
            "rules-0-contribution_top": "120",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert list(SegmentRule.objects.values_list("pk", "order", "revenue_min")) == before


def test_the_month_is_recorded_with_segment_and_band_and_the_beat_task_does_it(anne, portfolio):
    services.segments_assign()
    assess(portfolio[10], {"performance": 6, "service": 6, "it_integration": 6})
    recorded = services.segment_history_record(month=date(2026, 2, 14))
    assert recorded == 10
    row = SegmentHistory.objects.get(customer=portfolio[10], month=date(2026, 2, 1))
    assert (row.segment.code, row.band) == ("thriving", "green")
    # Recording the month again overwrites it (the task may run twice).
    services.segment_history_record(month=date(2026, 2, 1))
    assert SegmentHistory.objects.filter(month=date(2026, 2, 1)).count() == 10
    tasks.segments_monthly.apply()
    assert SegmentHistory.objects.exclude(month=date(2026, 2, 1)).count() == 10


def test_segment_moves_are_crossed_with_band_moves(anne, portfolio):
    for customer in portfolio.values():
        put_in(customer, "engaging")
    services.segment_history_record(month=date(2026, 1, 1))
    put_in(portfolio[1], "thriving")  # up in segment, band unchanged (no score)
    put_in(portfolio[2], "draining")
    moves = segment_and_band_moves(Customer.objects.all(), date(2026, 1, 20))
    cells = {row["move"]: row["cells"] for row in moves.rows}
    # Columns: band up, same, down, unknown; no customer has a score, so the band is unknown.
    assert cells["up"] == [0, 0, 0, 1]
    assert cells["down"] == [0, 0, 0, 1]
    assert cells["same"] == [0, 0, 0, 8]
    # Before the first recorded month: the first one is compared.
    earlier = segment_and_band_moves(Customer.objects.all(), date(2025, 6, 1))
    assert earlier.since == date(2026, 1, 1)
    SegmentHistory.objects.all().delete()
    assert segment_and_band_moves(Customer.objects.all(), date(2026, 1, 20)) is None


def test_assigning_again_writes_only_the_customers_whose_segment_changed(portfolio):
    assert services.segments_assign().changed == 10
    assert services.segments_assign().changed == 0
    Customer.objects.filter(pk=portfolio[10].pk).update(payment_behaviour="poor")
    summary = services.segments_assign()
    assert summary.changed == 1
    assert _segment_of(portfolio[10]) == "engaging"
