"""The inbox's alert cards as one piece of HTML, built in Python.

The inbox shows 20 cards; through the template engine they cost several times the rest of
the page (about 1,300 nodes resolved per request), which kept the page over its goal of 3x
a page with base.html only. ``cards_html`` gives the same HTML as
``templates/alerts/_alert_card.html`` (tests/alerts/test_rendering.py holds them equal);
every text from the database or a translation is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from alerts.selectors import AlertRow

BADGE = {"critical": "text-bg-danger", "warning": "text-bg-warning"}


@dataclass(frozen=True)
class CardLabels:
    """What every card on a page shares: labels in the active language."""

    score: str
    to: str
    why: str
    propose: str
    contact: str
    acknowledge: str
    snooze: str

    @classmethod
    def for_page(cls) -> CardLabels:
        return cls(
            score=_("Binding score"),
            to=_("to"),
            why=_("Why it moved"),
            propose=_("Propose an action"),
            contact=_("Log a contact"),
            acknowledge=_("Acknowledge"),
            snooze=_("Snooze"),
        )


def _card(row: AlertRow, labels: CardLabels, csrf: str, here: str) -> str:
    alert = row.alert
    e = escape
    name = e(row.customer_name)
    parts = [
        f'<article class="list-group-item alert-item severity-{e(alert.severity)}" '
        f'data-alert="{alert.pk}" data-trigger="{e(alert.trigger)}" '
        f'aria-labelledby="alert-{alert.pk}-title">'
        '<div class="d-flex flex-wrap justify-content-between gap-2"><div class="flex-grow-1">'
        f'<h2 class="h6 mb-1" id="alert-{alert.pk}-title">'
        f'<span class="badge severity-badge {BADGE.get(alert.severity, "text-bg-secondary")}">'
        f"{e(capfirst(str(alert.get_severity_display())))}</span> "
        f'<a href="{e(row.url)}">{name}</a> · {e(row.trigger_label)}</h2>'
        f'<p class="mb-1">{e(row.headline)}</p>'
    ]
    if row.after_text:
        score = f'<p class="small mb-1"><span class="text-muted">{e(labels.score)}:</span> '
        if row.before_text:
            score += (
                f'<span class="badge badge-band score band-{e(alert.band_before)}" '
                f'title="{e(row.band_before_label)}">{e(row.before_text)}</span> '
                f'<span aria-hidden="true">→</span><span class="visually-hidden">'
                f"{e(labels.to)}</span> "
            )
        score += (
            f'<span class="badge badge-band score band-{e(alert.band_after)}" '
            f'title="{e(row.band_after_label)}">{e(row.after_text)}</span>'
        )
        if row.change_text:
            score += (
                f' <span class="score fw-semibold {row.change_tone}">{e(row.change_text)}</span>'
            )
        parts.append(score + "</p>")
    if row.lines:
        items = "".join(
            f'<li class="list-inline-item{" text-muted" if line.is_rest else ""}" '
            f'data-code="{e(line.code)}">{e(line.name)} '
            f'<span class="score {line.tone}">{e(line.text)}</span></li>'
            for line in row.lines
        )
        parts.append(
            f'<ul class="list-inline small mb-1 why-lines" aria-label="{e(labels.why)}">'
            f"{items}</ul>"
        )
    status = e(str(alert.get_status_display()))
    if alert.status == "snoozed":
        until = _("until %(date)s") % {"date": row.snoozed_text}
        status += f" {e(until)} ({e(str(alert.get_snooze_reason_display()))})"
    parts.append(
        f'<div class="small text-muted"><time datetime="{e(row.opened_iso)}">'
        f"{e(row.opened_text)}</time> · {status}</div></div>"
        '<div class="d-flex flex-wrap align-items-start gap-1">'
    )
    hidden_name = f'<span class="visually-hidden"> · {name}</span>'
    if row.propose_url:
        parts.append(
            f'<a class="btn btn-sm btn-outline-primary propose-action" '
            f'href="{e(row.propose_url)}">{e(labels.propose)}{hidden_name}</a>'
        )
    parts.append(
        f'<a class="btn btn-sm btn-outline-primary log-contact" href="{e(row.contact_url)}'
        f'?next={e(quote(here, safe="/"))}">{e(labels.contact)}{hidden_name}</a>'
    )
    if alert.status != "resolved":
        if alert.status != "acknowledged":
            parts.append(
                f'<form method="post" action="{e(row.acknowledge_url)}">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(csrf)}">'
                f'<input type="hidden" name="next" value="{e(here)}">'
                f'<button class="btn btn-sm btn-outline-secondary" type="submit">'
                f"{e(labels.acknowledge)}{hidden_name}</button></form>"
            )
        parts.append(
            f'<a class="btn btn-sm btn-outline-secondary" href="{e(row.snooze_url)}">'
            f"{e(labels.snooze)}{hidden_name}</a>"
        )
    parts.append("</div></div></article>")
    return "".join(parts)


def cards_html(rows: Sequence[AlertRow], request: HttpRequest, labels: CardLabels) -> SafeString:
    """The cards of these rows, as the card template renders them."""
    csrf = get_token(request)
    here = request.get_full_path()
    return mark_safe("".join(_card(row, labels, csrf, here) for row in rows))  # all escaped
