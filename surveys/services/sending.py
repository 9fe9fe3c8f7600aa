"""Sending: the first e-mail of pending invitations and the due reminders, over one SMTP
connection per batch, and sending a failed invitation again.

The invitation table is the outbox. Every e-mail is preceded by a conditional UPDATE that
claims the row (pending → sending for the first e-mail, reminders_sent n → n+1 for a
reminder); whoever loses the claim sends nothing. So a send task that runs twice, is
redelivered, or races a sweep never mails the same invitation twice. Only a worker that dies
mid-send can cause a second copy: the sweep sends its unrecorded claim again, with the same link
and Message-ID (outbox.invitations_recover).
"""

from __future__ import annotations

import logging
import random
import smtplib
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.models import RespondentKind
from surveys import selectors
from surveys.models import Invitation, InvitationLink
from surveys.services import mail
from surveys.services.outbox import MARK_EVERY, enqueue_sends, stale_after
from surveys.tokens import token_for, token_new

logger = logging.getLogger(__name__)

Status = Invitation.Status


def smtp_error_permanent(exc: BaseException) -> bool:
    """A refusal the server means for good (5xx for the recipient or the message)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


def smtp_error_text(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def retry_delay(attempt: int) -> float:
    """Seconds before try ``attempt + 1``: exponential backoff with jitter, capped."""
    base = settings.SURVEYS_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1)
    return min(settings.SURVEYS_RETRY_MAX_SECONDS, base) * random.uniform(0.5, 1.0)


@dataclass
class SendResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)  # temporary trouble: try these again …
    retry_at: datetime | None = None  # … at this time


def _send_related() -> tuple[str, ...]:
    return ("round__campaign", "customer__account_manager")


def invitations_send(*, invitation_ids: Iterable[int]) -> SendResult:
    """Send the first e-mail of these pending invitations, over one SMTP connection.

    One conditional UPDATE claims the batch (pending → sending, each row with the hash of its
    token, the same on every try); rows someone else claimed, answered or closed are skipped.
    Every MARK_EVERY e-mails the outcome is recorded, so a worker that dies mid-batch leaves
    at most that many rows whose delivery is unknown; the sweep sends its whole claim again
    once it is SURVEYS_SEND_STALE_SECONDS old (same link, same Message-ID). The claim is
    refreshed at such a point once a tenth of that time has passed (claim_refresh_due); a
    task that then finds its claim taken back stops.
    A temporary SMTP problem puts the row back to pending with a backoff and stops the batch
    (the rest waits for the same retry); a permanent refusal marks it failed; after
    SURVEYS_SEND_MAX_ATTEMPTS tries it fails too.
    """
    ids = sorted(set(invitation_ids))
    result = SendResult()
    moment = timezone.now()
    pending_due = Invitation.objects.filter(status=Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment)
    )
    fields = ("pk", "respondent_kind", "round_id", "email", "public_id", "token_hash")
    due = {row[0]: row for row in pending_due.filter(pk__in=ids).values_list(*fields)}
    # A staff member's pending invitations of a round go out in one e-mail: the batch claims
    # them all, also those queued in another batch (which then finds them claimed).
    staff = [(r, e) for _pk, kind, r, e, *_ in due.values() if kind == RespondentKind.STAFF]
    if staff:
        colleagues = pending_due.filter(_staff_groups(staff), respondent_kind=RespondentKind.STAFF)
        due.update({row[0]: row for row in colleagues.values_list(*fields)})
    tokens = {row[0]: token_for(row[4]) for row in due.values() if row[1] != RespondentKind.STAFF}
    # A link mailed under an earlier token (one drawn at random before links were derived)
    # keeps working next to this one, as a reminder's does.
    earlier = [
        InvitationLink(invitation_id=pk, token_hash=row[5])
        for pk, row in due.items()
        if row[5] and pk in tokens and row[5] != tokens[pk][1]
    ]
    if earlier:
        InvitationLink.objects.bulk_create(earlier, ignore_conflicts=True)
    claim = uuid.uuid4()
    refreshed_at = time.monotonic()  # taken before the claim's claimed_at is written
    if due:
        hashes = Case(
            *(When(pk=pk, then=Value(hashed)) for pk, (_, hashed) in tokens.items()),
            default=Value(""),
            output_field=CharField(),
        )
        Invitation.objects.filter(pk__in=list(due), status=Status.PENDING).update(
            status=Status.SENDING, claimed_at=moment, claim_id=claim, token_hash=hashes
        )
    claimed = list(
        Invitation.objects.filter(claim_id=claim, status=Status.SENDING)
        .select_related(*_send_related())
        .order_by("pk")
    )
    result.skipped = sorted(set(ids) - {i.pk for i in claimed})
    if not claimed:
        return result
    units = _mail_units(claimed)
    mine = Q(status=Status.SENDING, claim_id=claim)
    marks: list[int] = []

    def record_sent() -> None:
        if marks:
            Invitation.objects.filter(mine, pk__in=marks).update(
                status=Status.SENT,
                sent_at=timezone.now(),
                attempts=F("attempts") + 1,
                next_attempt_at=None,
                last_error="",
                claim_id=None,
            )
            result.sent.extend(marks)
            marks.clear()

    def still_mine(rest: Sequence[list[Invitation]]) -> set[int]:
        """Refresh the claim of the rows not sent yet; those no longer claimed by this task
        (the sweep took them back from a task it thought dead) are left to their new sender."""
        pks = [i.pk for unit in rest for i in unit]
        refreshed = Invitation.objects.filter(mine, pk__in=pks).update(claimed_at=timezone.now())
        if refreshed == len(pks):
            return set(pks)
        logger.warning("Send claim %s was taken back; %d e-mails left to others", claim, len(pks))
        return set(Invitation.objects.filter(mine, pk__in=pks).values_list("pk", flat=True))

    def put_back(rows: Sequence[Invitation], retry_at: datetime | None) -> None:
        if rows:
            Invitation.objects.filter(mine, pk__in=[i.pk for i in rows]).update(
                status=Status.PENDING,
                claim_id=None,
                claimed_at=None,
                next_attempt_at=retry_at,
            )

    mailer = get_connection()
    batch = mail.MessageBatch(connection=mailer)
    position = 0
    owned: set[int] | None = None  # all of the claim, until a refresh says otherwise
    try:
        for position, unit in enumerate(units):
            first = unit[0]
            pks = [i.pk for i in unit]
            if owned is not None and not owned.issuperset(pks):
                result.skipped.extend(pks)
                continue
            try:
                message = batch.message(
                    first, token=tokens.get(first.pk, ("", ""))[0], together=unit
                )
                mailer.open()  # once: send_messages closes connections it opened itself
                message.send()
            except (smtplib.SMTPException, OSError) as exc:
                record_sent()
                attempts = max(i.attempts for i in unit) + 1
                error = smtp_error_text(exc)[:2000]
                permanent = smtp_error_permanent(exc)
                retry_at = timezone.now() + timedelta(seconds=retry_delay(attempts))
                if permanent or attempts >= settings.SURVEYS_SEND_MAX_ATTEMPTS:
                    Invitation.objects.filter(mine, pk__in=pks).update(
                        status=Status.FAILED,
                        attempts=attempts,
                        last_error=error,
                        claim_id=None,
                    )
                    result.failed.extend(pks)
                    logger.warning("Invitations %s failed for good: %s", pks, error)
                    if permanent:
                        continue  # the connection is fine; only this recipient is refused
                else:
                    Invitation.objects.filter(mine, pk__in=pks).update(
                        status=Status.PENDING,
                        attempts=attempts,
                        last_error=error,
                        claim_id=None,
                        claimed_at=None,
                        next_attempt_at=retry_at,
                    )
                    logger.info("Invitations %s: temporary failure (%s)", pks, error)
                    result.retry.extend(pks)
                rest = [i for later in units[position + 1 :] for i in later]
                put_back(rest, retry_at)
                result.retry.extend(i.pk for i in rest)
                result.retry_at = retry_at if result.retry else None
                return result
            marks.extend(pks)
            if len(marks) >= MARK_EVERY:
                record_sent()
                if claim_refresh_due(refreshed_at):
                    refreshed_at = time.monotonic()
                    owned = still_mine(units[position + 1 :])
        record_sent()
    except Exception:
        # Anything else (a template error, the soft time limit): record what went out, put
        # back what was never tried; the rows in hand stay claimed for the sweep to sort out.
        record_sent()
        put_back([i for later in units[position + 1 :] for i in later], None)
        raise
    finally:
        mailer.close()
    return result


def claim_refresh_due(refreshed_at: float) -> bool:
    """Whether a send task must refresh its claim (and check it still holds it) now.

    Refreshing rewrites claimed_at of every row of the batch not sent yet: done every
    MARK_EVERY e-mails, that was about ten row writes per e-mail and a fifth of a worker's
    time. The sweep takes a claim back only once it has not moved for
    SURVEYS_SEND_STALE_SECONDS, so until a tenth of that has passed since the last refresh
    (monotonic clock) no other task can hold these rows and there is nothing to check (a
    tenth, not more: ten slow e-mails between two refreshes must not let the claim go stale). The
    outcome is still recorded every MARK_EVERY e-mails: that bounds what a dead worker leaves
    uncertain, not this.
    """
    return time.monotonic() - refreshed_at >= stale_after().total_seconds() / 10


def _staff_groups(groups: Iterable[tuple[int, str]]) -> Q:
    """The invitations of these (round, staff e-mail address) pairs."""
    matches = Q(pk__in=[])
    for round_id, email in set(groups):
        matches |= Q(round_id=round_id, email=email)
    return matches


def _mail_units(invitations: Sequence[Invitation]) -> list[list[Invitation]]:
    """The e-mails to send, in order: a contact's or an expert's invitation alone, a staff
    member's invitations of one round together (where the first of them stood)."""
    units: list[list[Invitation]] = []
    staff: dict[tuple[int, str], list[Invitation]] = {}
    for invitation in invitations:
        if invitation.respondent_kind != RespondentKind.STAFF:
            units.append([invitation])
            continue
        key = (invitation.round_id, invitation.email)
        if key not in staff:
            staff[key] = []
            units.append(staff[key])
        staff[key].append(invitation)
    return units


def reminders_send(*, invitation_ids: Iterable[int]) -> SendResult:
    """Send the due reminder of each invitation, at most once per reminder number.

    The claim moves reminders_sent from n to n+1 before the e-mail; a temporary failure
    moves it back, so the next reminder sweep tries again. A staff member's due reminders of
    a round go out in one e-mail, like their invitations.
    """
    moment = timezone.now()
    result = SendResult()
    asked = sorted(set(invitation_ids))
    ids = selectors.reminder_due_ids(now=moment, limit=len(asked), among=asked)
    result.skipped = sorted(set(asked) - set(ids))
    staff = list(
        Invitation.objects.filter(pk__in=ids, respondent_kind=RespondentKind.STAFF).values_list(
            "round_id", "email"
        )
    )
    if staff:
        colleagues = list(
            Invitation.objects.filter(
                _staff_groups(staff), respondent_kind=RespondentKind.STAFF, status=Status.SENT
            ).values_list("pk", flat=True)
        )
        ids = sorted(
            set(ids)
            | set(selectors.reminder_due_ids(now=moment, limit=len(colleagues), among=colleagues))
        )
    candidates = list(
        Invitation.objects.filter(pk__in=ids).select_related(*_send_related()).order_by("pk")
    )
    if not candidates:
        return result
    units = _mail_units(candidates)
    mailer = get_connection()
    batch = mail.MessageBatch(now=moment, connection=mailer)
    try:
        for position, unit in enumerate(units):
            claimed = []
            for invitation in unit:
                n = invitation.reminders_sent
                if Invitation.objects.filter(
                    pk=invitation.pk, status=Status.SENT, reminders_sent=n
                ).update(reminders_sent=n + 1, last_reminded_at=timezone.now()):
                    claimed.append(invitation)
                else:
                    result.skipped.append(invitation.pk)
            if not claimed:
                continue
            first = claimed[0]
            to_staff = first.respondent_kind == RespondentKind.STAFF
            token, hashed = ("", "") if to_staff else token_new()
            link = (
                None
                if to_staff
                else InvitationLink.objects.create(invitation=first, token_hash=hashed)
            )
            try:
                message = batch.message(first, token=token, reminder=True, together=claimed)
                mailer.open()
                message.send()
            except (smtplib.SMTPException, OSError) as exc:
                error = smtp_error_text(exc)[:2000]
                if link is not None:
                    link.delete()
                if smtp_error_permanent(exc):
                    Invitation.objects.filter(pk__in=[i.pk for i in claimed]).update(
                        status=Status.FAILED, last_error=error
                    )
                    result.failed.extend(i.pk for i in claimed)
                    continue
                for invitation in claimed:
                    Invitation.objects.filter(
                        pk=invitation.pk, reminders_sent=invitation.reminders_sent + 1
                    ).update(
                        reminders_sent=invitation.reminders_sent,
                        last_reminded_at=invitation.last_reminded_at,
                        last_error=error,
                    )
                result.retry = [i.pk for later in units[position:] for i in later]
                break
            result.sent.extend(i.pk for i in claimed)
    finally:
        mailer.close()
    return result


def invitation_resend(*, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """Send a failed invitation again, to the recipient's current address, with the same link
    as before (an earlier e-mail that did arrive keeps working)."""
    now = now or timezone.now()
    if invitation.status != Status.FAILED:
        raise ValidationError(_("Only a failed invitation can be sent again."))
    if invitation.round.closed_at is not None or invitation.expires_at <= now:
        raise ValidationError(_("This round is closed; its invitations cannot be sent again."))
    email, name, language = invitation.email, invitation.name, invitation.language
    contact = invitation.contact if invitation.contact_id else None
    expert = invitation.expert if invitation.expert_id else None
    user = invitation.user if invitation.user_id else None
    if contact is not None:
        if contact.opted_out:
            raise ValidationError(_("This contact person has opted out of surveys."))
        if not contact.active:
            raise ValidationError(_("This contact person is deactivated."))
        email, name, language = contact.email.strip().lower(), contact.name, contact.language
    elif expert is not None:
        if expert.opted_out:
            raise ValidationError(_("This market expert has opted out of surveys."))
        email, name, language = expert.email.strip().lower(), expert.name, expert.language
    elif user is not None and user.email:
        email = user.email.strip().lower()
    try:
        with transaction.atomic():
            updated = Invitation.objects.filter(pk=invitation.pk, status=Status.FAILED).update(
                status=Status.PENDING,
                email=email,
                name=name,
                language=language,
                attempts=0,
                next_attempt_at=None,
                queued_at=None,
                claimed_at=None,
                last_error="",
            )
            # The failed e-mail may have arrived after all: the new one carries the same link
            # (and Message-ID), so the first e-mail's link keeps working.
            if updated:
                transaction.on_commit(lambda: enqueue_sends([invitation.pk]))
    except IntegrityError as exc:
        raise ValidationError(
            _("Another invitation in this round already goes to %(email)s.") % {"email": email}
        ) from exc
    invitation.refresh_from_db()
    return invitation
