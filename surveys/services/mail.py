"""Building the e-mails: an invitation or a reminder, HTML and plain text, in the recipient's
language; a staff member's invitations of one round together in one e-mail."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from klantbinding.lib.mail import recipient
from scoring.models import RespondentKind
from surveys.models import Invitation

# A staff member's e-mail lists this many of their customers; the rest are on the page of
# their invitations.
STAFF_DIGEST_LISTED = 25


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def days_left(invitation: Invitation, now: datetime) -> int:
    return max(0, math.ceil((invitation.expires_at - now).total_seconds() / 86400))


def _matrix_link(invitation: Invitation) -> str:
    return site_url(reverse("scoring:customer-matrix", args=[invitation.customer_id]))


def invitation_message(
    invitation: Invitation,
    *,
    token: str,
    reminder: bool = False,
    now: datetime | None = None,
    connection: object | None = None,
    together: Sequence[Invitation] = (),
) -> EmailMultiAlternatives:
    """The invitation or reminder e-mail, HTML and plain text, in the recipient's language.

    A staff member's invitations of one round go out ``together`` in one e-mail that lists
    the customers (the first STAFF_DIGEST_LISTED, each with its matrix link)."""
    now = now or timezone.now()
    staff = invitation.respondent_kind == RespondentKind.STAFF
    together = sorted(together or [invitation], key=lambda i: (i.customer.name, i.customer_id))
    if staff:
        link = _matrix_link(invitation)
        opt_out = ""
        unsubscribe = f"<mailto:{_address_of(settings.SURVEYS_FROM_EMAIL)}?subject=unsubscribe>"
    else:
        link = site_url(reverse("surveys:link", args=[token]))
        opt_out = site_url(reverse("surveys:opt-out-link", args=[token]))
        unsubscribe = f"<{opt_out}>"
    campaign = invitation.round.campaign
    context = {
        "invitation": invitation,
        "customer": invitation.customer,
        "campaign": campaign,
        "name": invitation.name,
        "kind": invitation.respondent_kind,
        "staff": staff,
        "link": link,
        "opt_out": opt_out,
        "reminder": reminder,
        "days_left": min(days_left(i, now) for i in together),
        "expires_at": min(i.expires_at for i in together),
        "count": len(together),
        "customers": [
            {"name": i.customer.name, "link": _matrix_link(i)}
            for i in together[:STAFF_DIGEST_LISTED]
        ],
        "more": max(0, len(together) - STAFF_DIGEST_LISTED),
        "overview": site_url(reverse("surveys:my-invitations") + "?status=sent"),
        "ask_nps": campaign.ask_nps and invitation.respondent_kind == RespondentKind.CUSTOMER,
    }
    name = "reminder" if reminder else "invitation"
    with translation.override(invitation.language):
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    headers = {
        "List-Unsubscribe": unsubscribe,
        "Auto-Submitted": "auto-generated",
        # A reminder is the one after those sent (the sender claims it before the e-mail).
        "Message-ID": message_id(
            together, reminder=invitation.reminders_sent + 1 if reminder else 0
        ),
    }
    if not staff:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.SURVEYS_FROM_EMAIL,
        to=[recipient(invitation.name, invitation.email)],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def message_id(invitations: Sequence[Invitation], *, reminder: int = 0) -> str:
    """The same Message-ID on every try of one e-mail, so a receiving server or mail program
    can drop the second copy that a retry after a worker died may deliver.

    Built from the invitations' public ids (a staff e-mail lists several) and the reminder's
    number (0 for the first e-mail); the domain is the sender's."""
    ids = ",".join(sorted(str(i.public_id) for i in invitations))
    digest = hashlib.sha256(f"{ids}:{reminder}".encode()).hexdigest()[:40]
    kind = f"reminder{reminder}" if reminder else "invitation"
    domain = _address_of(settings.SURVEYS_FROM_EMAIL).rpartition("@")[2] or "klantbinding"
    return f"<{kind}.{digest}@{domain}>"


def _address_of(sender: str) -> str:
    return parseaddr(sender)[1] or sender
