"""The alert jobs in django-celery-beat's schedule (editable afterwards in the admin).

The nightly sweep evaluates every rule (time-based triggers, look-backs that slid, re-arming
by time); the daily digest goes out at 07:00 and management's weekly summary on Monday 07:00,
Amsterdam time; immediate e-mails the broker missed are swept every ten minutes.
"""

import json

from django.db import migrations

TIME_ZONE = "Europe/Amsterdam"

TASKS = [
    (
        "Alerts: nightly evaluation",
        "alerts.sweep",
        {"minute": "30", "hour": "2", "day_of_week": "*"},
        "Evaluates every alert rule for every customer; snoozes that ran out return.",
    ),
    (
        "Alerts: daily digest",
        "alerts.send_digests",
        {"minute": "0", "hour": "7", "day_of_week": "*"},
        "One e-mail per user with the alerts of the last 24 hours they chose for the digest.",
    ),
    (
        "Alerts: weekly summary",
        "alerts.send_weekly",
        {"minute": "0", "hour": "7", "day_of_week": "1"},
        "Management's summary of the alerts of the past week.",
    ),
    (
        "Alerts: send missed immediate e-mails",
        "alerts.immediate_sweep",
        {"minute": "*/10", "hour": "*", "day_of_week": "*"},
        "Sends alert e-mails that were not sent at once (broker or SMTP trouble).",
    ),
]


def create_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    for name, task, arguments, description in TASKS:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            day_of_month="*", month_of_year="*", timezone=TIME_ZONE, **arguments
        )
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
                "description": description,
                "crontab": schedule,
                "interval": None,
            },
        )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0002_default_rules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
