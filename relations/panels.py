"""What the relations show on scoring's and surveys' pages, registered in ``apps.ready()``:
the customer page's panels, the dashboard's panels, the customer list's cadence column and
the survey's question about the wanted relationship."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relations import calculations
from relations.forms import BeliefForm, ContactLogForm, SegmentOverrideForm
from relations.models import ContactMoment, Departure, RelationshipType
from relations.rendering import CadenceBadge, state_labels
from relations.selectors.cadence import (
    cadence_states,
    coverage_per_manager,
    customer_cadence,
    customers_in_state,
)
from relations.selectors.segments import customer_segment, segment_and_band_moves
from relations.selectors.types import customer_relationship as relationship_of
from relations.selectors.types import mismatch_tables
from relations.services.types import relationship_wish_record
from relations.views.common import signed_in
from scoring.conf import EARLIEST_DATE
from scoring.extensions import ListColumn, SurveyQuestion
from scoring.models import Customer, RespondentKind
from scoring.roles import is_management

# --------------------------------------------------------------------------------------------
# The customer list's column
# --------------------------------------------------------------------------------------------


def cadence_cells(request: HttpRequest, customer_ids: Sequence[int]) -> dict[int, str]:
    """The customer list's cadence cell of each listed customer (one query for the page)."""
    badge = CadenceBadge()
    return {
        pk: badge(state, kind, due_on)
        for pk, (state, kind, due_on) in cadence_states(customer_ids).items()
    }


def cadence_filter_choices(request: HttpRequest) -> list[tuple[str, str]]:
    labels = state_labels()
    return [
        ("to_contact", _("to contact (due or later)")),
        (calculations.OK, labels[calculations.OK]),
        (calculations.DUE, labels[calculations.DUE]),
        (calculations.OVERDUE, labels[calculations.OVERDUE]),
        (calculations.LOST, labels[calculations.LOST]),
    ]


def cadence_filter(request: HttpRequest, customers: QuerySet, value: str) -> QuerySet:
    return customers_in_state(customers, value)


CADENCE_COLUMN = ListColumn(
    key="cadence",
    label=gettext_lazy("Contact"),
    cells=cadence_cells,
    filter_label=gettext_lazy("Contact rhythm"),
    filter_choices=cadence_filter_choices,
    filter=cadence_filter,
    order=50,
)


# --------------------------------------------------------------------------------------------
# The customer page
# --------------------------------------------------------------------------------------------


def customer_contact_log(request: HttpRequest, customer: Customer) -> dict:
    """The quick form to log a contact (the page only shows customers the user may see)."""
    mine = (
        ContactMoment.objects.filter(customer=customer, logged_by_id=request.user.pk)
        .order_by("-logged_at", "-pk")
        .only("pk", "kind", "at", "summary")[:3]
    )
    return {
        "customer": customer,
        "form": ContactLogForm(customer=customer, user=signed_in(request)),
        "action": reverse("relations:contact-log", args=[customer.pk]),
        "next": reverse("scoring:customer-detail", args=[customer.pk]),
        "recent": list(mine),
    }


def customer_relationship(request: HttpRequest, customer: Customer) -> dict:
    """Contact rhythm, segment, believed and wanted relationship type, departures."""
    cadence = customer_cadence(customer)
    segment = customer_segment(customer)
    relationship = relationship_of(customer)
    departures = list(Departure.objects.filter(customer=customer).order_by("-left_on", "-pk"))
    management = is_management(request.user)
    return {
        "customer": customer,
        "cadence": cadence,
        "labels": state_labels(),
        "segment": segment,
        "override_form": SegmentOverrideForm(
            initial={"segment": segment.override, "reason": segment.reason}
        ),
        "relationship": relationship,
        "belief_form": BeliefForm(
            initial={"type": relationship.belief.type if relationship.belief else None}
        ),
        "departures": departures,
        "management": management,
        "override_url": reverse("relations:segment-override", args=[customer.pk]),
        "belief_url": reverse("relations:belief-set", args=[customer.pk]),
        "departure_url": reverse("relations:departure-create", args=[customer.pk])
        if management
        else "",
    }


# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------

# What each dashboard panel reads besides the customers and their scores (which the
# dashboard's own key follows): the cache key of the panel follows these tables' versions
# (scoring.extensions.cached_dashboard_panels_html). The migration 0006 watches each of them.
COVERAGE_INPUTS = (
    "relations.CadenceStatus",
    "relations.ContactMoment",
    "relations.CadenceTarget",
    "relations.CustomerSegment",
    "auth.User",  # the account managers' names
)
MISMATCH_INPUTS = (
    "relations.RelationshipBelief",
    "relations.RelationshipWish",
    "relations.RelationshipType",
)
SEGMENT_MOVES_INPUTS = (
    "relations.SegmentHistory",
    "relations.CustomerSegment",
    "relations.Segment",
)


def dashboard_coverage(request: HttpRequest, customers: QuerySet[Customer]) -> dict | None:
    """Per account manager, the share of their customers within the contact target."""
    coverage = coverage_per_manager(customers)
    if not coverage.rows:
        return None
    return {"coverage": coverage, "to_contact_url": reverse("relations:to-contact")}


def dashboard_mismatch(request: HttpRequest, customers: QuerySet[Customer]) -> dict | None:
    """Believed against wanted relationship type, per band and per quadrant."""
    tables = mismatch_tables(customers)
    if not tables.known:
        return None
    quadrants = {
        "loyal": _("loyal"),
        "entrapped": _("entrapped"),
        "free": _("free"),
        "leaving": _("leaving"),
        "": _("no score"),
    }
    return {
        "tables": tables,
        "share": 100.0 * tables.mismatches / tables.known,
        "quadrant_rows": [{**row, "label": quadrants[row["key"]]} for row in tables.by_quadrant],
    }


def _since(request: HttpRequest) -> date:
    """The start of the dashboard's movement period (its own filter), else three months ago."""
    raw = request.GET.get("moves_from", "")
    try:
        start = date.fromisoformat(raw) if raw else None
    except ValueError:
        start = None
    today = timezone.localdate()
    if start is None or start > today or start < EARLIEST_DATE:
        month = today.year * 12 + today.month - 1 - 3  # three months back
        start = date(month // 12, month % 12 + 1, 1)
    return start


def dashboard_segment_moves(request: HttpRequest, customers: QuerySet[Customer]) -> dict | None:
    """Segment moves crossed with band moves, and the way to "why they leave"."""
    moves = segment_and_band_moves(customers, _since(request))
    if moves is None:
        return None
    labels = {
        calculations.UP: _("up"),
        calculations.SAME: _("same"),
        calculations.DOWN: _("down"),
        "": _("unknown"),
    }
    return {
        "moves": moves,
        "labels": labels,
        "heads": [
            labels[key] for key in (calculations.UP, calculations.SAME, calculations.DOWN, "")
        ],
        "rows": [{**row, "label": labels[row["move"]]} for row in moves.rows],
        "why_url": reverse("relations:why") if is_management(request.user) else "",
    }


# --------------------------------------------------------------------------------------------
# The survey's question
# --------------------------------------------------------------------------------------------

WISH_FIELD = "relationship_wish"


def relationship_question_fields(respondent_kind: str, customer: object) -> dict:
    """Customers get an optional question: which description fits the relationship they want."""
    if respondent_kind != RespondentKind.CUSTOMER:
        return {}
    types = list(RelationshipType.objects.filter(active=True).order_by("order", "pk"))
    if not types:
        return {}
    return {
        WISH_FIELD: forms.ChoiceField(
            label=_("Which description fits the relationship you want with us?"),
            help_text=_("Optional: choose the one that fits best."),
            choices=[(t.code, f"{t.name}: {t.description}") for t in types],
            required=False,
            widget=forms.RadioSelect,
        )
    }


def relationship_question_save(assessment: Any, cleaned_data: Mapping) -> None:
    code = cleaned_data.get(WISH_FIELD)
    if not code:
        return
    type_ = RelationshipType.objects.filter(code=code, active=True).first()
    if type_ is not None:
        relationship_wish_record(assessment=assessment, type=type_)


RELATIONSHIP_QUESTION = SurveyQuestion(
    name="relationship-type",
    fields=relationship_question_fields,
    save=relationship_question_save,
    order=50,
)
