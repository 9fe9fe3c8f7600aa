"""Tests queue their tasks in memory, never on the shared Redis the settings name."""

from __future__ import annotations

from kombu.transport import memory

from klantbinding.celery import app as celery_app


def test_a_task_queued_by_a_test_lands_in_the_memory_broker():
    from alerts import tasks

    assert celery_app.conf.broker_url == "memory://"
    before = memory.Channel.queues.get("celery")
    waiting = before.qsize() if before is not None else 0
    assert tasks.alerts_evaluate.apply_async(([1, 2],)) is not None
    assert memory.Channel.queues["celery"].qsize() == waiting + 1
    memory.Channel.queues["celery"].get_nowait()  # leave the queue as it was


def test_with_the_settings_broker_a_task_would_go_to_redis(settings):
    # The settings still name Redis (what production uses); only the tests' app is moved.
    assert celery_app.conf.broker_url != settings.CELERY_BROKER_URL
