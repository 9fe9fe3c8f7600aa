"""Writes for the reminder digest: the owner's preference, and sending the day's digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from actions import selectors
from actions.models import DigestPreference, DigestSent
from klantbinding.unsubscribe import unsubscribe_headers, unsubscribe_url


def digest_preference_get(*, user: User, language: str) -> DigestPreference:
    """The user's digest preference, made in ``language`` the first time."""
    language = language[:2] if language[:2] in ("nl", "en") else "nl"
    preference, _created = DigestPreference.objects.get_or_create(
        user=user, defaults={"language": language}
    )
    return preference


def digest_preference_set(*, user: User, language: str, enabled: bool) -> DigestPreference:
    """Change the user's digest language and whether it is sent."""
    if language not in ("nl", "en"):
        raise ValidationError({"language": [_("Choose Dutch or English.")]})
    preference, _created = DigestPreference.objects.update_or_create(
        user=user, defaults={"language": language, "enabled": bool(enabled)}
    )
    return preference


@dataclass(frozen=True)
class DigestOutcome:
    """What one owner's digest came to: sent, nothing due, turned off, or sent already."""

    owner_id: int
    result: str  # "sent" | "nothing_due" | "disabled" | "already_sent"
    actions: int = 0


def digests_due_owners(*, today: date | None = None) -> list[int]:
    """The owners with running actions due within 7 days or overdue whose digest is on."""
    today = today or timezone.localdate()
    owners = sorted(selectors.digest_actions(today=today))
    disabled = set(
        DigestPreference.objects.filter(user_id__in=owners, enabled=False).values_list(
            "user_id", flat=True
        )
    )
    return [pk for pk in owners if pk not in disabled]


def _language(owner: User) -> str:
    preference = DigestPreference.objects.filter(user=owner).first()
    if preference is not None:
        return preference.language
    return settings.LANGUAGE_CODE[:2]


def digest_message(
    *, owner: User, rows: list[selectors.ActionRow], today: date
) -> EmailMultiAlternatives:
    """The digest e-mail, HTML and plain text, in the owner's language."""

    def link(path: str) -> str:
        return f"{settings.SITE_URL}{path}"

    late = [r for r in rows if r.timeliness in ("stuck", "overdue")]
    soon = [r for r in rows if r.timeliness == "due_soon"]
    with translation.override(_language(owner)):
        names = selectors.element_names()

        def item(row: selectors.ActionRow) -> dict:
            return {
                "title": row.action.title,
                "customer": row.action.customer.name,
                "element": names.get(row.action.element_code, row.action.element_code),
                "due_on": row.action.due_on,
                "days": abs((row.action.due_on - today).days),
                "stuck": row.timeliness == "stuck",
                "url": link(reverse("actions:action-detail", args=[row.action.pk])),
            }

        context = {
            "name": str(owner.get_full_name() or owner.get_username()),
            "late": [item(r) for r in late],
            "soon": [item(r) for r in soon],
            "overview": link(reverse("actions:mine")),
            "unsubscribe_url": unsubscribe_url(owner, "action-digest"),
        }
        subject = " ".join(render_to_string("emails/action-digest-subject.txt", context).split())
        text = render_to_string("emails/action-digest-body.txt", context)
        html = render_to_string("emails/action-digest-body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((str(context["name"]), owner.email))],
        headers={"Auto-Submitted": "auto-generated", **unsubscribe_headers(owner, "action-digest")},
    )
    message.attach_alternative(html, "text/html")
    return message


def digest_send(*, owner_id: int, today: date | None = None) -> DigestOutcome:
    """Send one owner today's digest, at most once a day.

    The day's row is claimed (inserted) before the e-mail goes out, so a second run, a
    redelivered task or a parallel worker sends nothing; when sending fails the claim is
    removed again and the task's retry (or tomorrow's run) sends it.
    """
    today = today or timezone.localdate()
    owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
    if owner is None or not owner.email:
        return DigestOutcome(owner_id, "nothing_due")
    if DigestPreference.objects.filter(user=owner, enabled=False).exists():
        return DigestOutcome(owner_id, "disabled")
    rows = selectors.digest_actions(today=today, owner_ids=[owner_id]).get(owner_id, [])
    if not rows:
        return DigestOutcome(owner_id, "nothing_due")
    try:
        with transaction.atomic():
            claim = DigestSent.objects.create(owner=owner, day=today, actions=len(rows))
    except IntegrityError:
        return DigestOutcome(owner_id, "already_sent", len(rows))
    try:
        digest_message(owner=owner, rows=rows, today=today).send()
    except Exception:
        claim.delete()  # not sent: let the retry have it
        raise
    DigestSent.objects.filter(pk=claim.pk).update(sent_at=timezone.now())
    return DigestOutcome(owner_id, "sent", len(rows))


def digest_off(user: User) -> None:
    """No more daily digest (its e-mail's unsubscribe link, klantbinding/unsubscribe.py)."""
    preference = digest_preference_get(user=user, language=_language(user))
    preference.enabled = False
    preference.save(update_fields=["enabled"])
