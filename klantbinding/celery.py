"""The Celery app: Redis broker, JSON, settings from Django's CELERY_* settings.

Start a worker with ``celery -A klantbinding worker`` and beat with
``celery -A klantbinding beat --scheduler django_celery_beat.schedulers:DatabaseScheduler``
(the schedule lives in the database, editable in the admin).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantbinding.settings")

app = Celery("klantbinding", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
