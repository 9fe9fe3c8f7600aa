"""The relations e-mails, HTML and plain text, in the recipient's language.

The exit survey goes to a customer's contact person, so it names who is asking as the survey
invitations do (klantbinding/company.py): the company's name and logo, from the customer's
account manager ("Anne de Jong via Acme") with their address as Reply-To and their signature,
or from the company and its reply-to address when the customer has no (active) account
manager."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from email.utils import formataddr
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from klantbinding.company import company_get, signer_of, survey_sender
from klantbinding.lib.mail import recipient
from klantbinding.unsubscribe import unsubscribe_headers, unsubscribe_url
from relations import calculations
from relations.conf import from_email, site_url
from relations.models import CadenceStatus, ContactKind, ExitSurvey

DIGEST_LISTED = 50  # customers listed in the weekly e-mail; the rest are on the page


def _message(
    name: str,
    context: dict,
    *,
    to: str,
    language: str,
    headers: dict[str, str] | None = None,
    sender: str = "",
    reply_to: Sequence[str] = (),
) -> EmailMultiAlternatives:
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender or from_email(),
        to=[to],
        reply_to=list(reply_to),
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    return message


def exit_survey_message(survey: ExitSurvey, *, token: str) -> EmailMultiAlternatives:
    """The question to a departed customer's contact person, with their personal link, from
    the customer's account manager via the company (see the module)."""
    company = company_get()
    customer = survey.departure.customer
    signer, signer_email = signer_of(customer.account_manager)
    with translation.override(survey.language):
        sender, reply_to = survey_sender(
            company, manager_name=signer, manager_email=signer_email, from_email=from_email()
        )
    context = {
        "name": survey.name,
        "customer": customer,
        "link": site_url(reverse("relations:exit-link", args=[token])),
        "expires_at": survey.expires_at,
        "company": company,
        "signer": signer,
    }
    return _message(
        "exit_survey",
        context,
        to=recipient(survey.name, survey.email),
        language=survey.language,
        sender=sender,
        reply_to=reply_to,
    )


def overdue_digest_message(
    *,
    user: Any,
    statuses: Sequence[CadenceStatus],
    total: int,
    language: str,
    today: date,
) -> EmailMultiAlternatives:
    """An account manager's weekly list of customers past a contact target."""
    with translation.override(language):
        labels = dict(ContactKind.choices)
        customers = []
        for status in statuses[:DIGEST_LISTED]:
            due_on = status.overdue_from - timedelta(days=1)
            never = status.overdue_from == calculations.NEVER
            customers.append(
                {
                    "name": status.customer.name,
                    "segment": status.segment.name,
                    "kind": str(labels.get(status.kind, status.kind)),
                    "lost": today >= status.lost_from,
                    "never": never,
                    "last_on": status.last_on,
                    "days_late": None if never else (today - due_on).days,
                    "link": site_url(reverse("scoring:customer-detail", args=[status.customer_id])),
                }
            )
        context = {
            "name": user.get_full_name() or user.get_username(),
            "customers": customers,
            "count": total,
            "more": max(0, total - DIGEST_LISTED),
            "overview": site_url(reverse("relations:to-contact")),
            "preferences": site_url(reverse("relations:digest-preference")),
            "unsubscribe_url": unsubscribe_url(user, "overdue-digest"),
            "today": today,
        }
    return _message(
        "overdue_digest",
        context,
        to=formataddr((context["name"], user.email)),
        language=language,
        headers=unsubscribe_headers(user, "overdue-digest"),
    )
