"""Answers and opt-outs: a respondent's answer through their link becomes an assessment,
exactly once; a staff member's matrix answers their invitation; an opt-out ends the open
invitations of that contact or expert."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from scoring.models import Assessment, Contact, MarketExpert, RespondentKind
from scoring.services import assessment_submit
from surveys.models import OPEN_STATUSES, Invitation

Status = Invitation.Status
# A valid token proves the e-mail arrived, so an invitation whose send was reported as
# interrupted (failed) can still be answered through it.
ANSWERABLE = (Status.SENT, Status.SENDING, Status.FAILED)
# Answers through a link are stored under a key derived from the invitation: a resubmit
# returns the same assessment instead of a second one.
SUBMISSION_NAMESPACE = uuid.UUID("4f0b8f4e-8a55-4c55-9a8c-6a7e1f1c2d3b")


class InvitationClosedError(Exception):
    """The invitation can no longer be answered; ``status`` says why."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def closed_reason(invitation: Invitation, now: datetime) -> str | None:
    """Why this invitation cannot be answered now (a status), or None when it can."""
    if invitation.status in (Status.ANSWERED, Status.OPTED_OUT, Status.EXPIRED):
        return invitation.status
    if invitation.expires_at <= now or invitation.round.closed_at is not None:
        return Status.EXPIRED
    if invitation.status not in ANSWERABLE:
        return Status.EXPIRED
    return None


def invitation_answer(
    *,
    invitation: Invitation,
    values: Mapping[str, int | None],
    comments: Mapping[str, str] | None = None,
    comment: str = "",
    nps: int | None = None,
    now: datetime | None = None,
) -> Assessment:
    """Store a respondent's answer as an assessment of their kind, exactly once.

    The caller has checked the link's token. The claim (a conditional UPDATE to answered)
    and the assessment are one transaction: of concurrent submits one wins, the others
    raise InvitationClosedError; invalid values raise ValidationError and write nothing.
    """
    now = now or timezone.now()
    reason = closed_reason(invitation, now)
    if reason:
        raise InvitationClosedError(reason)
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, status__in=ANSWERABLE, expires_at__gt=now
        ).update(status=Status.ANSWERED, answered_at=now)
        if claimed != 1:
            invitation.refresh_from_db()
            raise InvitationClosedError(closed_reason(invitation, now) or Status.ANSWERED)
        submitted = assessment_submit(
            customer=invitation.customer,
            respondent_kind=invitation.respondent_kind,
            respondent_email=invitation.email,
            respondent_name=invitation.name,
            values=dict(values),
            comments=dict(comments or {}),
            comment=comment,
            nps=nps if invitation.respondent_kind == RespondentKind.CUSTOMER else None,
            source=Assessment.Source.SURVEY,
            submission_key=uuid.uuid5(SUBMISSION_NAMESPACE, str(invitation.public_id)),
            now=now,
        )
        Invitation.objects.filter(pk=invitation.pk).update(assessment=submitted.assessment)
    invitation.refresh_from_db()
    return submitted.assessment


def invitation_opt_out(*, invitation: Invitation, now: datetime | None = None) -> int:
    """The contact or expert is not asked again: their open invitations end as opted out."""
    now = now or timezone.now()
    with transaction.atomic():
        if invitation.contact_id:
            Contact.objects.filter(pk=invitation.contact_id).update(
                opted_out=True, opted_out_at=now
            )
            theirs = Q(contact_id=invitation.contact_id)
        elif invitation.expert_id:
            MarketExpert.objects.filter(pk=invitation.expert_id).update(
                opted_out=True, opted_out_at=now
            )
            theirs = Q(expert_id=invitation.expert_id)
        else:
            theirs = Q(pk=invitation.pk)
        return Invitation.objects.filter(theirs, status__in=OPEN_STATUSES).update(
            status=Status.OPTED_OUT
        )


def staff_invitations_answer(*, assessment: Assessment, now: datetime | None = None) -> int:
    """A staff member scored the customer in the matrix: their open invitation is answered."""
    if assessment.respondent_kind != RespondentKind.STAFF:
        return 0
    now = now or timezone.now()
    recipient = Q(email=assessment.respondent_email.strip().lower())
    if assessment.user_id:
        recipient |= Q(user_id=assessment.user_id)
    return Invitation.objects.filter(
        recipient,
        customer_id=assessment.customer_id,
        respondent_kind=RespondentKind.STAFF,
        status__in=(*OPEN_STATUSES, Status.FAILED),
        expires_at__gt=now,
    ).update(status=Status.ANSWERED, answered_at=now, assessment=assessment)
