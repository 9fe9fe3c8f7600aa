"""Small helpers for the survey pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from surveys.models import Invitation

register = template.Library()

STATUS_CLASSES: dict[str, str] = {
    Invitation.Status.PENDING: "text-bg-light border",
    Invitation.Status.SENDING: "text-bg-light border",
    Invitation.Status.SENT: "text-bg-info",
    Invitation.Status.ANSWERED: "text-bg-success",
    Invitation.Status.EXPIRED: "text-bg-secondary",
    Invitation.Status.FAILED: "text-bg-danger",
    Invitation.Status.OPTED_OUT: "text-bg-warning",
}


@register.simple_tag
def status_badge(invitation: Invitation) -> str:
    """The invitation's status as a coloured badge, in the user's language."""
    css = STATUS_CLASSES.get(invitation.status, "text-bg-light")
    return format_html(
        '<span class="badge {} invitation-status" data-status="{}">{}</span>',
        css,
        invitation.status,
        invitation.get_status_display(),
    )


@register.filter
def rate(value: float | None) -> str:
    """A response rate as a whole percentage; "–" when nobody was asked."""
    if value is None:
        return "–"
    return f"{round(value)} %"
