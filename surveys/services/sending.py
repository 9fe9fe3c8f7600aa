"""Writes: opening rounds, sending invitations and reminders, answers, opt-outs and expiry.

The invitation table is the outbox. Every e-mail is preceded by a conditional UPDATE that
claims the row (pending → sending for the first e-mail, reminders_sent n → n+1 for a
reminder); whoever loses the claim sends nothing. So a send task that runs twice, is
redelivered, or races a sweep never mails the same invitation twice.
"""

from __future__ import annotations

import calendar
import logging
import math
import random
import smtplib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import formataddr
from itertools import groupby

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from klantbinding.lib import db
from scoring.models import Assessment, Contact, MarketExpert, RespondentKind
from scoring.services import assessment_submit
from surveys import selectors
from surveys.models import OPEN_STATUSES, Campaign, Invitation, InvitationLink, Round
from surveys.tokens import token_new

logger = logging.getLogger(__name__)

Status = Invitation.Status
# A valid token proves the e-mail arrived, so an invitation whose send was reported as
# interrupted (failed) can still be answered through it.
ANSWERABLE = (Status.SENT, Status.SENDING, Status.FAILED)
# A claim older than this belongs to a worker that died mid-send (longer than any task runs).
STALE_CLAIM = timedelta(minutes=15)
# The sweep leaves a pending invitation alone this long after its task was queued.
REQUEUE_AFTER = timedelta(minutes=10)
SWEEP_LIMIT = 20_000
# A send task records its outcome every this many e-mails (one commit each, not one per mail).
MARK_EVERY = 10
# A staff member's e-mail lists this many of their customers; the rest are on the page of
# their invitations.
STAFF_DIGEST_LISTED = 25
# Answers through a link are stored under a key derived from the invitation: a resubmit
# returns the same assessment instead of a second one.
SUBMISSION_NAMESPACE = uuid.UUID("4f0b8f4e-8a55-4c55-9a8c-6a7e1f1c2d3b")


# --------------------------------------------------------------------------------------------
# Periods and rounds
# --------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_start(campaign: Campaign, today: date) -> date | None:
    """The start of the campaign's period that ``today`` falls in (None before its start)."""
    if today < campaign.starts_on:
        return None
    months = (today.year - campaign.starts_on.year) * 12 + today.month - campaign.starts_on.month
    k = months // campaign.cadence_months
    start = add_months(campaign.starts_on, k * campaign.cadence_months)
    while start > today:
        k -= 1
        start = add_months(campaign.starts_on, k * campaign.cadence_months)
    return start


@dataclass
class OpenedRound:
    round: Round
    created: bool
    invited: int = 0


def round_open(
    *,
    campaign: Campaign,
    period: date | None = None,
    now: datetime | None = None,
    user: object | None = None,
) -> OpenedRound:
    """Open the campaign's round for ``period`` (default: the current one) and queue its mail.

    One invitation per (customer, recipient e-mail). Opening a period that is already open
    returns the existing round and writes nothing. After commit one task is queued that queues
    the round's send tasks; with the broker away the round still opens and the sweep sends
    later.
    """
    now = now or timezone.now()
    if period is None:
        period = period_start(campaign, timezone.localdate(now))
        if period is None:
            raise ValidationError(
                _("This campaign starts on %(date)s; no round can open before that.")
                % {"date": campaign.starts_on.isoformat()}
            )
    existing = Round.objects.filter(campaign=campaign, period=period).first()
    if existing is not None:
        return OpenedRound(existing, created=False)
    recipients = selectors.round_recipients(campaign)
    closes_at = now + timedelta(days=campaign.expires_after_days)
    try:
        with transaction.atomic():
            round_ = Round.objects.create(
                campaign=campaign,
                period=period,
                opened_at=now,
                closes_at=closes_at,
                opened_by=user if getattr(user, "pk", None) else None,
            )
            invited = invitations_insert(round_=round_, recipients=recipients, now=now)
            transaction.on_commit(lambda: enqueue_round(round_.pk))
    except IntegrityError:
        # Another process opened the same period at the same moment: theirs stands.
        existing = Round.objects.filter(campaign=campaign, period=period).first()
        if existing is None:
            raise
        return OpenedRound(existing, created=False)
    return OpenedRound(round_, created=True, invited=invited)


_INVITATION_COLUMNS = (
    "round_id",
    "customer_id",
    "respondent_kind",
    "user_id",
    "contact_id",
    "expert_id",
    "email",
    "name",
    "language",
    "public_id",
    "token_hash",
    "status",
    "created_at",
    "expires_at",
    "reminders_sent",
    "attempts",
    "last_error",
)


def invitations_insert(
    *, round_: Round, recipients: Sequence[selectors.Recipient], now: datetime
) -> int:
    """Write the round's pending invitations in bulk (``rows_insert``), in the caller's
    transaction: the ORM's bulk_create spends seconds building 20,000 model objects."""
    rows = [
        (
            round_.pk,
            r.customer_id,
            r.kind,
            r.user_id,
            r.contact_id,
            r.expert_id,
            r.email,
            r.name[:200],
            r.language if r.language in ("nl", "en") else "nl",
            uuid.uuid4(),
            "",
            Status.PENDING.value,
            now,
            round_.closes_at,
            0,
            0,
            "",
        )
        for r in recipients
    ]
    db.rows_insert(Invitation._meta.db_table, _INVITATION_COLUMNS, rows)
    return len(rows)


def rounds_open_due(*, now: datetime | None = None) -> list[OpenedRound]:
    """Open the current period's round of every active campaign that has none yet."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    opened = []
    for campaign in Campaign.objects.filter(active=True, starts_on__lte=today):
        period = period_start(campaign, today)
        if period is None or campaign.rounds.filter(period=period).exists():
            continue
        result = round_open(campaign=campaign, period=period, now=now)
        if result.created:
            logger.info("Opened round %s with %d invitations", result.round, result.invited)
            opened.append(result)
    return opened


def round_close(*, round_: Round, now: datetime | None = None) -> int:
    """Close a round early: its open invitations expire and their links stop working."""
    now = now or timezone.now()
    with transaction.atomic():
        Round.objects.filter(pk=round_.pk, closed_at__isnull=True).update(closed_at=now)
        expired = Invitation.objects.filter(round=round_, status__in=OPEN_STATUSES).update(
            status=Status.EXPIRED, expires_at=now
        )
    round_.refresh_from_db()
    return expired


# --------------------------------------------------------------------------------------------
# Queueing (the broker may be away: the sweep finds whatever did not get queued)
# --------------------------------------------------------------------------------------------


def _batches(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def enqueue_sends(ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Queue send tasks for these invitations in batches; stop at the first broker error.

    Marks what was queued, so the sweep leaves it alone for a while. Returns how many
    invitations were queued.
    """
    from surveys import tasks

    return _enqueue(tasks.invitations_send, ids, mark_queued=True, now=now)


def enqueue_round(round_id: int) -> bool:
    """Queue the task that queues a new round's send tasks (a web request queues one task)."""
    from surveys import tasks

    if tasks.round_dispatch.apply_async((round_id,)) is None:
        return False  # the broker is away; the sweep finds the round's pending invitations
    Invitation.objects.filter(
        round_id=round_id, status=Status.PENDING, queued_at__isnull=True
    ).update(queued_at=timezone.now())
    return True


def round_dispatch(*, round_id: int) -> int:
    """Queue send tasks for the round's pending invitations, in batches."""
    ids = list(
        Invitation.objects.filter(round_id=round_id, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return enqueue_sends(ids) if ids else 0


def enqueue_reminders(ids: Sequence[int]) -> int:
    from surveys import tasks

    return _enqueue(tasks.reminders_send, ids, mark_queued=False)


def _enqueue(task, ids: Sequence[int], *, mark_queued: bool, now: datetime | None = None) -> int:
    from klantbinding.celery import app

    queued: list[int] = []
    batches = _batches(ids, max(1, settings.SURVEYS_SEND_BATCH_SIZE))
    try:
        with app.producer_or_acquire() as producer:
            for batch in batches:
                if task.apply_async((batch,), producer=producer) is None:
                    break  # the broker is away; the task class has logged it
                queued.extend(batch)
    except Exception as exc:  # never let the broker break the caller
        logger.warning("Could not queue %s: %s; the outbox sweep sends later", task.name, exc)
    if queued and mark_queued:
        stamp = now or timezone.now()
        for chunk in _batches(queued, 5000):
            Invitation.objects.filter(pk__in=chunk, status=Status.PENDING).update(queued_at=stamp)
    if len(queued) < len(ids):
        logger.warning(
            "%d of %d invitations not queued (broker unreachable); the sweep will send them",
            len(ids) - len(queued),
            len(ids),
        )
    return len(queued)


def invitations_sweep(*, now: datetime | None = None) -> int:
    """The outbox sweep: queue pending invitations that are due and not waiting in the queue;
    give up on claims of workers that died mid-send (marked failed, for management to see)."""
    now = now or timezone.now()
    invitations_recover(now=now)
    ids = selectors.pending_due_ids(now=now, requeue_after=REQUEUE_AFTER, limit=SWEEP_LIMIT)
    if not ids:
        return 0
    return enqueue_sends(ids, now=now)


def invitations_recover(*, now: datetime) -> tuple[int, int]:
    """Sort out the claims of send tasks whose worker died mid-batch.

    A task records its outcome every MARK_EVERY e-mails, in the order of the rows, so of a
    dead claim's rows the first MARK_EVERY may have gone out (marked failed, for management
    to see and resend) and the rest were never tried (put back to pending). Returns both counts.
    """
    stale = list(
        Invitation.objects.filter(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
        .order_by("claim_id", "pk")
        .values_list("claim_id", "pk")
    )
    unknown: list[int] = []
    untried: list[int] = []
    for _claim, rows in groupby(stale, key=lambda row: row[0]):
        pks = [pk for _claim_id, pk in rows]
        unknown.extend(pks[:MARK_EVERY])
        untried.extend(pks[MARK_EVERY:])
    sending = Q(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    if unknown:
        Invitation.objects.filter(sending, pk__in=unknown).update(
            status=Status.FAILED,
            claim_id=None,
            # Technical, like the SMTP replies next to it: not translated.
            last_error="Sending was interrupted (the worker stopped); delivery is unknown.",
        )
    if untried:
        Invitation.objects.filter(sending, pk__in=untried).update(
            status=Status.PENDING, claim_id=None, claimed_at=None, token_hash=""
        )
    return len(unknown), len(untried)


def invitations_expire(*, now: datetime | None = None) -> int:
    """Expire unanswered invitations past their date and close rounds past theirs."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = Invitation.objects.filter(status__in=OPEN_STATUSES, expires_at__lte=now).update(
            status=Status.EXPIRED
        )
        Round.objects.filter(closed_at__isnull=True, closes_at__lte=now).update(
            closed_at=F("closes_at")
        )
    return expired


def invitation_resend(*, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """Send a failed invitation again, to the recipient's current address."""
    now = now or timezone.now()
    if invitation.status != Status.FAILED:
        raise ValidationError(_("Only a failed invitation can be sent again."))
    if invitation.round.closed_at is not None or invitation.expires_at <= now:
        raise ValidationError(_("This round is closed; its invitations cannot be sent again."))
    email, name, language = invitation.email, invitation.name, invitation.language
    if invitation.contact_id:
        contact = invitation.contact
        if contact.opted_out:
            raise ValidationError(_("This contact person has opted out of surveys."))
        email, name, language = contact.email.strip().lower(), contact.name, contact.language
    elif invitation.expert_id:
        expert = invitation.expert
        if expert.opted_out:
            raise ValidationError(_("This market expert has opted out of surveys."))
        email, name, language = expert.email.strip().lower(), expert.name, expert.language
    elif invitation.user_id and invitation.user.email:
        email = invitation.user.email.strip().lower()
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
            if updated:
                transaction.on_commit(lambda: enqueue_sends([invitation.pk]))
    except IntegrityError as exc:
        raise ValidationError(
            _("Another invitation in this round already goes to %(email)s.") % {"email": email}
        ) from exc
    invitation.refresh_from_db()
    return invitation


# --------------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------------


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
    headers = {"List-Unsubscribe": unsubscribe, "Auto-Submitted": "auto-generated"}
    if not staff:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.SURVEYS_FROM_EMAIL,
        to=[
            formataddr((invitation.name, invitation.email)) if invitation.name else invitation.email
        ],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def _address_of(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1] or sender


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
    return ("round__campaign", "customer")


def invitations_send(*, invitation_ids: Iterable[int]) -> SendResult:
    """Send the first e-mail of these pending invitations, over one SMTP connection.

    One conditional UPDATE claims the batch (pending → sending, each row with the hash of its
    new token); rows someone else claimed, answered or closed are skipped. The outcome is
    recorded every MARK_EVERY e-mails, so a worker that dies mid-batch leaves at most that many
    rows whose delivery is unknown (the sweep marks them failed) and puts the rest back.
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
    fields = ("pk", "respondent_kind", "round_id", "email")
    due = {row[0]: row for row in pending_due.filter(pk__in=ids).values_list(*fields)}
    # A staff member's pending invitations of a round go out in one e-mail: the batch claims
    # them all, also those queued in another batch (which then finds them claimed).
    staff = [(r, e) for _pk, kind, r, e in due.values() if kind == RespondentKind.STAFF]
    if staff:
        colleagues = pending_due.filter(_staff_groups(staff), respondent_kind=RespondentKind.STAFF)
        due.update({row[0]: row for row in colleagues.values_list(*fields)})
    tokens = {
        pk: token_new() for pk, kind, _round, _email in due.values() if kind != RespondentKind.STAFF
    }
    claim = uuid.uuid4()
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

    def put_back(rows: Sequence[Invitation], retry_at: datetime | None) -> None:
        if rows:
            Invitation.objects.filter(mine, pk__in=[i.pk for i in rows]).update(
                status=Status.PENDING,
                token_hash="",
                claim_id=None,
                claimed_at=None,
                next_attempt_at=retry_at,
            )

    mailer = get_connection()
    position = 0
    try:
        for position, unit in enumerate(units):
            first = unit[0]
            pks = [i.pk for i in unit]
            try:
                message = invitation_message(
                    first,
                    token=tokens.get(first.pk, ("", ""))[0],
                    connection=mailer,
                    together=unit,
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
                        token_hash="",
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
                        token_hash="",
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


def reminders_enqueue_due(*, now: datetime | None = None) -> int:
    """Queue reminders for the sent, unanswered invitations whose reminder is due."""
    now = now or timezone.now()
    ids = selectors.reminder_due_ids(now=now, limit=SWEEP_LIMIT)
    return enqueue_reminders(ids) if ids else 0


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
            staff = first.respondent_kind == RespondentKind.STAFF
            token, hashed = ("", "") if staff else token_new()
            link = (
                None
                if staff
                else InvitationLink.objects.create(invitation=first, token_hash=hashed)
            )
            try:
                message = invitation_message(
                    first,
                    token=token,
                    reminder=True,
                    now=moment,
                    connection=mailer,
                    together=claimed,
                )
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


# --------------------------------------------------------------------------------------------
# Answers and opt-outs
# --------------------------------------------------------------------------------------------


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
        assessment = assessment_submit(
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
        Invitation.objects.filter(pk=invitation.pk).update(assessment=assessment)
    invitation.refresh_from_db()
    return assessment


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


# --------------------------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------------------------


def campaign_save(*, campaign: Campaign, customers: Sequence[object] = ()) -> Campaign:
    """Store a campaign checked by CampaignForm, with its hand-picked customers."""
    with transaction.atomic():
        campaign.save()
        selected = campaign.scope == Campaign.Scope.SELECTED
        campaign.customers.set(list(customers) if selected else [])
    return campaign
