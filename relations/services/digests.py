"""The weekly e-mail to each account manager listing their overdue customers.

One e-mail per account manager per week, in their language, none for one with nothing
overdue. Each is claimed first (a row per user and week), so a queue task that runs twice, a
redelivered task or a second beat sends nothing twice; a failed send is retried.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from relations.models import DigestPreference, OverdueDigest
from relations.selectors.cadence import managers_with_overdue, overdue_for
from relations.services.mail import overdue_digest_message

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def week_of(day: date) -> date:
    """The Monday of the week ``day`` falls in."""
    return day - timedelta(days=day.weekday())


def digest_preference(user: User) -> DigestPreference:
    """The user's choice, or the default (weekly, in the site's language) when they made none."""
    preference = DigestPreference.objects.filter(user=user).first()
    return preference or DigestPreference(
        user=user, weekly=True, language=settings.LANGUAGE_CODE[:2]
    )


def digest_preference_save(*, user: User, weekly: bool, language: str) -> DigestPreference:
    """Save whether (and in which language) the user gets the weekly e-mail."""
    preference, _created = DigestPreference.objects.update_or_create(
        user=user,
        defaults={"weekly": weekly, "language": language if language in ("nl", "en") else "nl"},
    )
    return preference


def overdue_digests_queue(*, today: date | None = None) -> int:
    """Queue one send task per account manager with an overdue customer (not opted out)."""
    from relations import tasks

    today = today or timezone.localdate()
    week = week_of(today)
    opted_out = set(DigestPreference.objects.filter(weekly=False).values_list("user_id", flat=True))
    sent = set(
        OverdueDigest.objects.filter(week=week, status=OverdueDigest.Status.SENT).values_list(
            "user_id", flat=True
        )
    )
    queued = 0
    for user_id in managers_with_overdue(today=today):
        if user_id in opted_out or user_id in sent:
            continue
        tasks.overdue_digest_send.delay(user_id, week.isoformat())
        queued += 1
    return queued


def _claim(user_id: int, week: date, now: datetime) -> bool:
    """Take this week's e-mail for the user: a new row, or a failed one to try again."""
    try:
        with transaction.atomic():
            OverdueDigest.objects.create(user_id=user_id, week=week, claimed_at=now, attempts=1)
        return True
    except IntegrityError:
        retried = OverdueDigest.objects.filter(
            user_id=user_id,
            week=week,
            status=OverdueDigest.Status.FAILED,
            attempts__lt=MAX_ATTEMPTS,
        ).update(status=OverdueDigest.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        return retried == 1


def overdue_digest_send(
    *, user_id: int, week: date | None = None, today: date | None = None
) -> bool:
    """Send the account manager this week's e-mail of overdue customers; True when sent.

    Nothing is sent (and nothing claimed) when they have no overdue customer, no e-mail
    address or opted out; a second call in the same week sends nothing.
    """
    now = timezone.now()
    today = today or timezone.localdate()
    week = week or week_of(today)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not (user.email or "").strip():
        return False
    preference = digest_preference(user)
    if not preference.weekly:
        return False
    statuses = overdue_for(user_id, today=today)
    if not statuses:
        return False
    if not _claim(user_id, week, now):
        return False
    try:
        overdue_digest_message(
            user=user,
            statuses=statuses,
            total=len(statuses),
            language=preference.language,
            today=today,
        ).send()
    except (smtplib.SMTPException, OSError) as error:
        OverdueDigest.objects.filter(user_id=user_id, week=week).update(
            status=OverdueDigest.Status.FAILED, last_error=str(error)[:500]
        )
        logger.warning("Weekly overdue e-mail to user %s not sent: %s", user_id, error)
        raise
    OverdueDigest.objects.filter(user_id=user_id, week=week).update(
        status=OverdueDigest.Status.SENT, sent_at=timezone.now(), customers=len(statuses)
    )
    return True


def overdue_digest_off(user: User) -> None:
    """No more weekly e-mail (its unsubscribe link, klantbinding/unsubscribe.py)."""
    language = digest_preference(user).language
    digest_preference_save(user=user, weekly=False, language=language)
