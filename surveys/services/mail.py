"""Building the e-mails: an invitation or a reminder, HTML and plain text, in the recipient's
language; a staff member's invitations of one round together in one e-mail.

Who is asking (klantbinding/company.py): the company's name and logo head every e-mail; a
customer's e-mail comes from their account manager ("Anne de Jong via Acme"), signed by
them, with their address as Reply-To.

Two ways to build the same e-mail. ``invitation_message`` renders the three templates for
one recipient: the reference, used for single e-mails. ``MessageBatch`` builds the e-mails of
a send batch: it renders the templates once per *shape* (language, kind, reminder, the
deadline, whether there is a name and a signer) with slot markers where the per-recipient
parts go, and fills each recipient's parts into that text (HTML-escaped in the HTML part,
as the template would); its messages are flattened by ``FlatMessage`` instead of the email
package's generator. Rendering and flattening were most of a message's cost, so a batch of a
hundred contacts of one round costs a few renders instead of three hundred.
tests/surveys/test_mail_batch.py checks that both give the same e-mail, byte for byte, for
many recipients.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from klantbinding.company import Company, company_get, signer_of, survey_sender
from klantbinding.lib.mail import FlatMessage, recipient
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


def _signer(invitation: Invitation) -> tuple[str, str]:
    """The account manager who signs a customer's e-mail (name, address), or empty."""
    if invitation.respondent_kind != RespondentKind.CUSTOMER:
        return "", ""
    return signer_of(invitation.customer.account_manager)


def _links(invitation: Invitation, token: str) -> tuple[str, str]:
    """The e-mail's link and opt-out link (none for staff: their invitations are work)."""
    if invitation.respondent_kind == RespondentKind.STAFF:
        return _matrix_link(invitation), ""
    return (
        site_url(reverse("surveys:link", args=[token])),
        site_url(reverse("surveys:opt-out-link", args=[token])),
    )


def _context(
    invitation: Invitation,
    *,
    link: str,
    opt_out: str,
    signer: str,
    company: Company,
    reminder: bool,
    now: datetime,
    together: Sequence[Invitation],
) -> dict[str, Any]:
    campaign = invitation.round.campaign
    return {
        "customer": {"name": invitation.customer.name},
        "name": invitation.name,
        "kind": invitation.respondent_kind,
        "staff": invitation.respondent_kind == RespondentKind.STAFF,
        "link": link,
        "opt_out": opt_out,
        "signer": signer,
        "company": company,
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


def _render(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    subject = render_to_string(f"emails/{name}-subject.txt", context)
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    return subject, text, html


def _assemble(
    invitation: Invitation,
    *,
    subject: str,
    text: str,
    html: str,
    opt_out: str,
    from_email: str,
    reply_to: list[str],
    connection: object | None,
    message_id_header: str,
    flat: bool = False,
) -> EmailMultiAlternatives:
    # Staff e-mails carry no List-Unsubscribe: an invitation to score a customer is work, and
    # there is no list to leave (a mailto nobody reads would be worse than none).
    headers = {"Auto-Submitted": "auto-generated", "Message-ID": message_id_header}
    if opt_out:
        headers["List-Unsubscribe"] = f"<{opt_out}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = (FlatMessage if flat else EmailMultiAlternatives)(
        subject=" ".join(subject.split()),
        body=text,
        from_email=from_email,
        to=[recipient(invitation.name, invitation.email)],
        reply_to=reply_to,
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


def invitation_message(
    invitation: Invitation,
    *,
    token: str,
    reminder: bool = False,
    now: datetime | None = None,
    connection: object | None = None,
    together: Sequence[Invitation] = (),
    company: Company | None = None,
) -> EmailMultiAlternatives:
    """The invitation or reminder e-mail, HTML and plain text, in the recipient's language.

    A staff member's invitations of one round go out ``together`` in one e-mail that lists
    the customers (the first STAFF_DIGEST_LISTED, each with its matrix link)."""
    now = now or timezone.now()
    company = company or company_get()
    together = sorted(together or [invitation], key=lambda i: (i.customer.name, i.customer_id))
    link, opt_out = _links(invitation, token)
    signer, signer_email = _signer(invitation)
    name = "reminder" if reminder else "invitation"
    with translation.override(invitation.language):
        context = _context(
            invitation,
            link=link,
            opt_out=opt_out,
            signer=signer,
            company=company,
            reminder=reminder,
            now=now,
            together=together,
        )
        subject, text, html = _render(name, context)
        from_email, reply_to = survey_sender(
            company, manager_name=signer, manager_email=signer_email
        )
    return _assemble(
        invitation,
        subject=subject,
        text=text,
        html=html,
        opt_out=opt_out,
        from_email=from_email,
        reply_to=reply_to,
        connection=connection,
        # A reminder is the one after those sent (the sender claims it before the e-mail).
        message_id_header=message_id(
            together, reminder=invitation.reminders_sent + 1 if reminder else 0
        ),
    )


# Stands for the token when a batch reverses the personal links once.
LINK_TOKEN = "KBTOKEN0123456789abcdefghijklmnopqrstuvwxyz"
# The per-recipient parts of a shape's text; each shape gets markers no recipient could guess.
SLOTS = ("name", "customer", "link", "opt_out", "signer")


@dataclass(frozen=True)
class _Shape:
    """A shape's three texts with slot markers, and the pattern that finds the markers."""

    subject: str
    text: str
    html: str
    markers: dict[str, str]  # marker → slot
    pattern: re.Pattern[str]


class MessageBatch:
    """The e-mails of one send batch, each shape's templates rendered once (see the module).

    A staff member's e-mail listing several customers is rare and built by
    ``invitation_message``."""

    def __init__(
        self,
        *,
        company: Company | None = None,
        now: datetime | None = None,
        connection: object | None = None,
    ) -> None:
        self.company = company or company_get()
        self.now = now or timezone.now()
        self.connection = connection
        self.shapes: dict[tuple[Any, ...], _Shape] = {}
        self.senders: dict[tuple[str, str, str], tuple[str, list[str]]] = {}
        self.link_pattern: tuple[str, str] | None = None

    def message(
        self,
        invitation: Invitation,
        *,
        token: str,
        reminder: bool = False,
        together: Sequence[Invitation] = (),
    ) -> EmailMultiAlternatives:
        if len(together) > 1:
            return invitation_message(
                invitation,
                token=token,
                reminder=reminder,
                now=self.now,
                connection=self.connection,
                together=together,
                company=self.company,
            )
        link, opt_out = self._links(invitation, token)
        signer, signer_email = _signer(invitation)
        values = {
            "name": invitation.name,
            "customer": invitation.customer.name,
            "link": link,
            "opt_out": opt_out,
            "signer": signer,
        }
        campaign = invitation.round.campaign
        key = (
            invitation.language,
            invitation.respondent_kind,
            reminder,
            days_left(invitation, self.now),
            invitation.expires_at,
            campaign.ask_nps,
            bool(invitation.name),
            bool(invitation.customer.name),
            bool(signer),
        )
        shape = self.shapes.get(key)
        if shape is None:
            shape = self.shapes[key] = self._shape(invitation, reminder=reminder, has=values)
        sender_key = (invitation.language, signer, signer_email)
        sender = self.senders.get(sender_key)
        if sender is None:
            with translation.override(invitation.language):
                sender = survey_sender(
                    self.company, manager_name=signer, manager_email=signer_email
                )
            self.senders[sender_key] = sender
        html_values: dict[str, str] = {slot: escape(value) for slot, value in values.items()}

        def fill(text: str, filled: dict[str, str]) -> str:
            return shape.pattern.sub(lambda m: filled[shape.markers[m.group(0)]], text)

        return _assemble(
            invitation,
            subject=fill(shape.subject, values),
            text=fill(shape.text, values),
            html=fill(shape.html, html_values),
            opt_out=opt_out,
            from_email=sender[0],
            reply_to=list(sender[1]),
            connection=self.connection,
            message_id_header=message_id(
                [invitation], reminder=invitation.reminders_sent + 1 if reminder else 0
            ),
            flat=True,
        )

    def _links(self, invitation: Invitation, token: str) -> tuple[str, str]:
        """``_links`` with the URLs reversed once per batch (a token is URL-safe base64)."""
        if invitation.respondent_kind == RespondentKind.STAFF or not token:
            return _links(invitation, token)
        if not self.link_pattern:
            self.link_pattern = _links(invitation, LINK_TOKEN)
        link, opt_out = self.link_pattern
        return link.replace(LINK_TOKEN, token), opt_out.replace(LINK_TOKEN, token)

    def _shape(self, invitation: Invitation, *, reminder: bool, has: dict[str, str]) -> _Shape:
        """Render the templates once, with a marker where a recipient's part goes (no marker
        for an empty part: the templates test those, and the key keeps them apart)."""
        tag = secrets.token_hex(8)
        slot_marker = {slot: f"KBSLOT{tag}{slot.upper()}" for slot in SLOTS}
        marked = {slot: slot_marker[slot] if has[slot] else "" for slot in SLOTS}
        with translation.override(invitation.language):
            context = _context(
                invitation,
                link=marked["link"],
                opt_out=marked["opt_out"],
                signer=marked["signer"],
                company=self.company,
                reminder=reminder,
                now=self.now,
                together=[invitation],
            )
            context["name"] = marked["name"]
            context["customer"] = {"name": marked["customer"]}
            subject, text, html = _render("reminder" if reminder else "invitation", context)
        markers = {marker: slot for slot, marker in slot_marker.items()}
        pattern = re.compile("|".join(re.escape(m) for m in markers))
        return _Shape(subject, text, html, markers, pattern)
