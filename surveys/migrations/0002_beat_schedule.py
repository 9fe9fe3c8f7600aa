"""The survey sweeps in django-celery-beat's schedule (editable afterwards in the admin).

Open due rounds and expire invitations every quarter of an hour, sweep the outbox every minute,
and send reminders hourly during office hours (Amsterdam time), so they do not arrive at night.
"""

import json

from django.db import migrations

TIME_ZONE = "Europe/Amsterdam"

TASKS = [
    # name, task, schedule (kind, arguments), description
    (
        "Surveys: open due rounds",
        "surveys.rounds_open_due",
        ("crontab", {"minute": "*/15", "hour": "*"}),
        "Opens the current round of every active campaign that has none yet.",
    ),
    (
        "Surveys: sweep the outbox",
        "surveys.invitations_sweep",
        ("interval", {"every": 1, "period": "minutes"}),
        "Queues pending invitations that were not sent (broker or SMTP trouble, retries).",
    ),
    (
        "Surveys: send due reminders",
        "surveys.reminders_send_due",
        ("crontab", {"minute": "0", "hour": "8-18"}),
        "Sends reminders to unanswered invitations whose reminder is due.",
    ),
    (
        "Surveys: expire old invitations",
        "surveys.invitations_expire",
        ("crontab", {"minute": "5,20,35,50", "hour": "*"}),
        "Expires unanswered invitations and closes rounds past their date.",
    ),
]


def create_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    for name, task, (kind, arguments), description in TASKS:
        if kind == "crontab":
            schedule, _ = CrontabSchedule.objects.get_or_create(
                day_of_week="*", day_of_month="*", month_of_year="*", timezone=TIME_ZONE,
                **arguments,
            )
            fields = {"crontab": schedule, "interval": None}
        else:
            schedule, _ = IntervalSchedule.objects.get_or_create(**arguments)
            fields = {"interval": schedule, "crontab": None}
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
                "description": description,
                **fields,
            },
        )
    # Tell a running beat that the schedule changed.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
