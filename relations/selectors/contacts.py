"""Reads of the contact log: the customer's timeline entries and the log form's choices."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.models import OPEN_STATUSES, Action
from relations.models import ContactKind, ContactMoment, Departure
from scoring.extensions import TimelineEntry
from scoring.models import Contact, Customer
from scoring.roles import ACCOUNT_MANAGERS, MANAGEMENT

KIND_ICONS = {
    ContactKind.VISIT: "⌂",
    ContactKind.CALL: "☎",
    ContactKind.VIDEO_CALL: "▶",
    ContactKind.EMAIL: "✉",
    ContactKind.EVENT: "★",
    ContactKind.NOTE: "✎",
}


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def contact_timeline(request: HttpRequest, customer: Customer, limit: int) -> list[TimelineEntry]:
    """The customer's newest contacts as timeline entries (three queries)."""
    moments = (
        ContactMoment.objects.filter(customer=customer)
        .select_related("action")
        .prefetch_related(
            Prefetch("contact_persons", queryset=Contact.objects.order_by("name")),
            Prefetch("staff", queryset=get_user_model().objects.order_by("first_name")),
        )
        .order_by("-at", "-pk")[:limit]
    )
    labels = dict(ContactKind.choices)
    entries = []
    for moment in moments:
        people = [c.name for c in moment.contact_persons.all()]
        staff = [_person(u) for u in moment.staff.all()]
        detail = []
        if people:
            detail.append(_("with %(people)s") % {"people": ", ".join(people)})
        if staff:
            detail.append(_("by %(staff)s") % {"staff": ", ".join(staff)})
        if moment.action is not None:
            detail.append(_("for the action “%(action)s”") % {"action": moment.action.title})
        if moment.notes:
            detail.append(moment.notes[:140] + ("…" if len(moment.notes) > 140 else ""))
        entries.append(
            TimelineEntry(
                at=moment.at,
                kind="contact" if moment.counts else "note",
                title=f"{str(labels[moment.kind]).capitalize()}: {moment.summary}",
                detail=" · ".join(detail),
                url=moment.action.get_absolute_url() if moment.action is not None else "",
                icon=KIND_ICONS.get(ContactKind(moment.kind), "•"),
            )
        )
    return entries


def departure_timeline(request: HttpRequest, customer: Customer, limit: int) -> list[TimelineEntry]:
    """The customer's departures as timeline entries, at the day they left."""
    entries = []
    for departure in Departure.objects.filter(customer=customer).order_by("-left_on")[:limit]:
        at = timezone.make_aware(datetime.combine(departure.left_on, time(12)))
        detail = departure.competitor and _("went to %(competitor)s") % {
            "competitor": departure.competitor
        }
        entries.append(
            TimelineEntry(
                at=at,
                kind="departure",
                title=str(departure.get_kind_display()).capitalize(),
                detail=detail or "",
                url=reverse("relations:departure-detail", args=[departure.pk]),
                icon="⇥",
            )
        )
    return entries


def staff_users() -> QuerySet:
    """The users who can be named as our staff at a contact: account managers and management."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=[ACCOUNT_MANAGERS, MANAGEMENT]) | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def contact_persons(customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("name")


def contact_actions(customer: Customer) -> QuerySet[Action]:
    """The actions a contact with this customer can have served: the customer's own, not
    cancelled, the unfinished ones first, then by due date."""
    unfinished = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1))
    return (
        Action.objects.filter(customer=customer)
        .exclude(status=Action.Status.CANCELLED)
        .order_by(unfinished, "due_on", "pk")
    )
