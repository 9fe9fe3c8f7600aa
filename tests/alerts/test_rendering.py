"""The inbox's hand-built cards give the same HTML as the card template."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from alerts import rendering, selectors, services
from alerts.models import Alert, AlertRule
from tests.alerts.support import ALL_THREE, alerts_of, step
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def normal(html: str) -> str:
    """Whitespace as a browser reads it: runs are one space, none next to a tag boundary."""
    html = re.sub(r'(csrfmiddlewaretoken" value=")[^"]+', r"\1…", html)  # masked anew each time
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s+</", "</", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_hand_built_cards_equal_the_template(anne, language):
    AlertRule.objects.filter(trigger__in=["perception_gap", "stale"]).update(active=False)
    customer = CustomerFactory(account_manager=anne, name="De <Wit> & Zn.")
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1)  # band down and IT integration down
    band, element = alerts_of(customer, "band_down")[0], alerts_of(customer, "element_drop")[0]
    services.alert_snooze(
        alert=element,
        user=anne,
        until=dt.date(2026, 3, 20),
        reason="known",
        today=dt.date(2026, 3, 3),
    )
    services.alert_acknowledge(alert=band, user=anne)
    request = RequestFactory().get("/alerts/?status=all")
    request.user = anne
    alerts = list(Alert.objects.select_related("customer", "rule").order_by("pk"))
    with translation.override(language):
        rows = selectors.alert_rows(alerts)
        labels = rendering.CardLabels.for_page()
        built = rendering.cards_html(rows, request, labels)
        context = {
            "score_label": labels.score,
            "to_label": labels.to,
            "why_label": labels.why,
            "propose_label": labels.propose,
            "contact_label": labels.contact,
            "acknowledge_label": labels.acknowledge,
            "snooze_label": labels.snooze,
        }
        templated = "".join(
            render_to_string("alerts/_alert_card.html", {**context, "row": row}, request)
            for row in rows
        )
    assert "De &lt;Wit&gt; &amp; Zn." in built
    assert normal(str(built)) == normal(templated), _first_difference(
        normal(str(built)), normal(templated)
    )


def _first_difference(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"{a[max(0, i - 80) : i + 80]}\n{b[max(0, i - 80) : i + 80]}"
    return f"lengths {len(a)} {len(b)}"
