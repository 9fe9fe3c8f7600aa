"""Helpers for the alert tests: assessments at a chosen moment, each followed by an evaluation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import time_machine
from django.utils import timezone

from alerts import services
from alerts.models import Alert
from scoring.models import Customer
from tests.factories import assess

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
ALL_THREE = {
    "performance": 3,
    "service": 3,
    "price_level": 3,
    "perception": 3,
    "competition": 3,
    "distinctiveness": 3,
    "knowledge_advantage": 3,
    "perceived_alternatives": 3,
    "it_integration": 3,
    "contract": 3,
    "presence": 3,
    "personal_bond": 3,
}


def at_day(day: float) -> dt.datetime:
    return START + dt.timedelta(days=day)


def step(
    customer: Customer,
    values: Mapping[str, int | None],
    *,
    day: float,
    kind: str = "staff",
    email: str | None = None,
    nps: int | None = None,
    evaluate: bool = True,
) -> services.EvaluationResult | None:
    """Submit an assessment on ``day`` (days after START) and evaluate the rules then."""
    moment = at_day(day)
    with time_machine.travel(moment, tick=False):
        assess(customer, values, kind=kind, email=email, at=moment, nps=nps)
        if evaluate:
            return services.alerts_evaluate(customer_ids=[customer.pk], now=timezone.now())
    return None


def evaluate(day: float, customer_ids: list[int] | None = None) -> services.EvaluationResult:
    with time_machine.travel(at_day(day), tick=False):
        return services.alerts_evaluate(customer_ids=customer_ids, now=timezone.now())


def alerts_of(customer: Customer, trigger: str) -> list[Alert]:
    return list(Alert.objects.filter(customer=customer, trigger=trigger).order_by("opened_at"))
