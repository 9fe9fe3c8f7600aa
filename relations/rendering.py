"""Display texts of the relations: the cadence badge, dates, and the "To contact" rows.

The customer list shows 50 cadence badges and the "To contact" list 50 rows; through template
tags (a URL, a badge, two dates and two translated sentences per row) their rendering cost
several times the rest of the page. Here the texts are made in plain Python with the page's
translations looked up once, and the templates only place them. Tests check the badge against
its template (``relations/_cadence_badge.html``) and the dates against Django's ``dateformat``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klantbinding.lib import dates
from relations import calculations
from relations.models import ContactKind
from relations.selectors.cadence import ToContactRow

BADGE_TEMPLATE = "relations/_cadence_badge.html"
PLACEHOLDER = "2147483647"
# The standard library's escape gives the same text as Django's (and its template's
# autoescape) without Django's check for lazy text on every call.
escape = html.escape
# Bootstrap's colours with text that keeps a contrast of at least 4.5:1.
STATE_COLOURS = {
    calculations.OK: "success",
    calculations.DUE: "warning",
    calculations.OVERDUE: "danger",
    calculations.LOST: "dark",
}


def state_labels() -> dict[str, str]:
    return {
        calculations.OK: _("on track"),
        calculations.DUE: _("due soon"),
        calculations.OVERDUE: _("overdue"),
        calculations.LOST: _("lost touch"),
    }


def day_text(day: date | None) -> str:
    """A date in the active language's short form ("" for None): 1-12-2026, 1 Dec 2026."""
    return dates.day(day)


# ``day_text`` for many dates: the same text without ``dateformat``'s cost per call.
DayText = dates.DateFormatter


def badge_html(state: str, title: str, labels: Mapping[str, str]) -> str:
    """The badge of ``relations/_cadence_badge.html`` without the template engine."""
    return (
        f'<span class="badge rounded-pill text-bg-{STATE_COLOURS[state]} kb-cadence-{state}" '
        f'title="{escape(title)}">{escape(labels[state])}</span>'
    )


def badge_template_html(state: str, title: str) -> str:
    """The same badge through its template (the customer page and the lists use it)."""
    context = {"state": state, "title": title, "labels": state_labels(), "colours": STATE_COLOURS}
    return get_template(BADGE_TEMPLATE).render(context).strip()


class CadenceBadge:
    """Badges with their tooltip (which contact is due when), the page's texts looked up once."""

    def __init__(self, day: DayText | None = None) -> None:
        self.labels = state_labels()
        self.kinds = {kind: str(label).capitalize() for kind, label in ContactKind.choices}
        self.never = _("%(kind)s: never logged")
        self.due = _("%(kind)s due %(date)s")
        self.day = day or DayText()

    def title(self, kind: str, due_on: date | None) -> str:
        label = self.kinds.get(kind, kind)
        if due_on is None:
            return self.never % {"kind": label}
        return self.due % {"kind": label, "date": self.day(due_on)}

    def __call__(self, state: str, kind: str, due_on: date | None) -> str:
        return badge_html(state, self.title(kind, due_on), self.labels)


@dataclass(frozen=True)
class ToContactItem:
    """One row of the "To contact" list, every text ready (the badge is safe HTML)."""

    customer_id: int
    name: str
    url: str
    log_url: str
    log_label: str
    badge: SafeString
    meta: str
    kind: str
    when: str
    late: str
    overdue: bool  # the late text is shown strong


def to_contact_items(
    rows: Sequence[ToContactRow], *, here: str, management: bool
) -> list[ToContactItem]:
    """The page's rows as display texts, in the active language."""
    day = DayText()
    badge = CadenceBadge(day)
    detail = reverse("scoring:customer-detail", args=[PLACEHOLDER]).split(PLACEHOLDER)
    log = reverse("relations:contact-log", args=[PLACEHOLDER]).split(PLACEHOLDER)
    next_part = "?next=" + quote(here, safe="/")
    never = _("never logged")
    today_text = "(" + _("due today") + ")"
    no_manager = _("without account manager")
    log_label = _("Log a contact with %(customer)s")
    last_due = _("last %(last)s, due %(due)s")
    items = []
    for row in rows:
        meta = [row.segment]
        if management:
            meta.append(row.account_manager or no_manager)
        if row.sector:
            meta.append(row.sector)
        when, late, overdue = never, "", False
        if row.due_on is not None:
            when = last_due % {"last": day(row.last_on), "due": day(row.due_on)}
            if row.days_late and row.days_late > 0:
                count = row.days_late
                text = ngettext("%(counter)s day late", "%(counter)s days late", count)
                late, overdue = f"({text % {'counter': count}})", True
            elif row.days_late == 0:
                late = today_text
        items.append(
            ToContactItem(
                customer_id=row.customer_id,
                name=row.name,
                url=f"{detail[0]}{row.customer_id}{detail[1]}",
                log_url=f"{log[0]}{row.customer_id}{log[1]}{next_part}",
                log_label=log_label % {"customer": row.name},
                badge=mark_safe(badge(row.state, row.kind_code, row.due_on)),  # escaped
                meta=" · ".join(meta),
                kind=row.kind.capitalize(),
                when=when,
                late=late,
                overdue=overdue,
            )
        )
    return items


ROW_TEMPLATE = "relations/_to_contact_row.html"


def to_contact_row_html(row: ToContactItem, log_text: str) -> str:
    """One row of the list as ``relations/_to_contact_row.html`` renders it (tests compare)."""
    late = ""
    if row.late:
        late = f" <strong>{escape(row.late)}</strong>" if row.overdue else f" {escape(row.late)}"
    return (
        f'<li class="list-group-item d-flex flex-wrap gap-2 align-items-center to-contact-row" '
        f'data-customer="{row.customer_id}"><div class="flex-grow-1" style="min-width: 14rem">'
        f'<a href="{escape(row.url)}" class="fw-semibold">{escape(row.name)}</a> {row.badge}'
        f'<div class="small text-muted">{escape(row.meta)}</div>'
        f'<div class="small">{escape(row.kind)}: {escape(row.when)}{late}</div></div>'
        f'<a class="btn btn-sm btn-outline-primary" href="{escape(row.log_url)}" '
        f'aria-label="{escape(row.log_label)}">{escape(log_text)}</a></li>'
    )


def to_contact_rows_html(items: Sequence[ToContactItem]) -> SafeString:
    """The list's rows as one piece of HTML; every text in it is escaped."""
    log_text = _("Log contact")
    return mark_safe("\n".join(to_contact_row_html(item, log_text) for item in items))
