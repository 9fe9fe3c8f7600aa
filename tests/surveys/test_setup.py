"""How Celery, beat and `make run` are set up."""

from __future__ import annotations

import logging

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from klantbinding.celery import app as celery_app
from surveys import services, tasks
from surveys.management.commands.runall import FILESYSTEM_BROKER, choose_broker
from surveys.models import Invitation
from tests.surveys.support import free_port, make_campaign, use_broker, wait_for


def test_the_send_tasks_survive_a_lost_worker_and_celery_speaks_json():
    for task in (tasks.invitations_send, tasks.reminders_send):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert 0 < celery_app.conf.task_soft_time_limit < celery_app.conf.task_time_limit


def test_the_visibility_timeout_outlasts_any_retry_countdown():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > settings.SURVEYS_RETRY_MAX_SECONDS + settings.CELERY_TASK_TIME_LIMIT


def test_the_beat_schedule_is_in_the_database_and_runs_registered_tasks(db):
    celery_app.loader.import_default_modules()
    scheduled = {t.task: t for t in PeriodicTask.objects.filter(name__startswith="Surveys:")}
    assert set(scheduled) == {
        "surveys.rounds_open_due",
        "surveys.invitations_sweep",
        "surveys.reminders_send_due",
        "surveys.invitations_expire",
    }
    assert all(name in celery_app.tasks for name in scheduled)
    assert all(task.enabled for task in scheduled.values())
    assert scheduled["surveys.invitations_sweep"].interval.every == 1


def test_queueing_with_the_broker_away_logs_and_does_not_fail(db, portfolio, caplog):
    use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    portfolio(2)
    opened = services.round_open(campaign=make_campaign())
    ids = list(opened.round.invitations.values_list("pk", flat=True))
    with caplog.at_level(logging.WARNING, logger="surveys"):
        assert services.enqueue_sends(ids) == 0
    assert "not queued" in caplog.text
    assert not Invitation.objects.filter(queued_at__isnull=False).exists()


def test_make_run_uses_redis_when_it_answers(broker):
    url, line = choose_broker(broker.url)
    assert url == broker.url
    assert "Celery broker: redis://" in line


def test_make_run_falls_back_to_the_filesystem_broker_and_says_so():
    url, line = choose_broker(f"redis://127.0.0.1:{free_port()}/0")
    assert url == FILESYSTEM_BROKER
    assert "No Redis answers" in line and "filesystem" in line


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_redis_surveys_still_go_out_over_the_filesystem_broker(smtp, portfolio, tmp_path):
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = dict(celery_app.conf.broker_transport_options)
    celery_app.conf.broker_transport_options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
    }
    try:
        use_broker(FILESYSTEM_BROKER)
        portfolio(3)
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            services.round_open(campaign=make_campaign())
            wait_for(
                lambda: Invitation.objects.filter(status="sent").count() == 3,
                what="the filesystem broker's worker to send the round",
            )
        assert len(smtp.inbox.messages) == 3
    finally:
        celery_app.conf.broker_transport_options = options
