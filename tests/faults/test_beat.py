"""Two beat processes by mistake: every periodic task is queued twice."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from surveys.models import Invitation, Round
from tests.faults.support import contacts
from tests.surveys.support import make_campaign, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SURVEY_SWEEPS = ["surveys.rounds_open_due", "surveys.invitations_sweep"]


def test_two_beats_still_open_one_round_and_send_one_e_mail_per_recipient(processes, sink, anne):
    addresses = contacts(anne, 30)
    make_campaign(starts_on=timezone.localdate())
    # The survey sweeps every second (not every quarter of an hour), the rest switched off.
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.exclude(task__in=SURVEY_SWEEPS).update(enabled=False)
    PeriodicTask.objects.filter(task__in=SURVEY_SWEEPS).update(
        interval=every_second, crontab=None, enabled=True
    )
    PeriodicTasks.update_changed()
    processes("worker")
    beats = [processes("beat"), processes("beat")]

    sent = Invitation.objects.filter(status="sent")
    wait_for(lambda: sent.count() == 30, timeout=120, what="the round sent")

    def opened_by_each(times: int) -> bool:
        return all(b.log.read_text().count("(surveys.rounds_open_due)") >= times for b in beats)

    wait_for(lambda: opened_by_each(3), timeout=60, what="both beats at work")
    assert Round.objects.count() == 1
    assert Invitation.objects.count() == 30
    assert sorted(sink.sink.per_recipient().elements()) == sorted(addresses)
