"""The relations' periodic tasks in django-celery-beat's schedule (editable in the admin).

Segments are assigned every night and recorded as the month's history on the 1st; the weekly
e-mail of overdue customers goes out on Monday morning; unsent exit surveys are swept every
quarter of an hour. Amsterdam time.
"""

import json

from django.db import migrations

TIME_ZONE = "Europe/Amsterdam"

TASKS = [
    (
        "Relations: assign segments",
        "relations.segments_assign",
        {"minute": "30", "hour": "2", "day_of_month": "*", "day_of_week": "*"},
        "Gives every active customer the segment of the first rule it meets; rhythms follow.",
    ),
    (
        "Relations: record the month's segments",
        "relations.segments_monthly",
        {"minute": "0", "hour": "3", "day_of_month": "1", "day_of_week": "*"},
        "On the 1st: assigns the segments and records them (with the band) for the month.",
    ),
    (
        "Relations: weekly overdue e-mails",
        "relations.overdue_digests_queue",
        {"minute": "0", "hour": "7", "day_of_month": "*", "day_of_week": "1"},
        "Monday morning: one e-mail per account manager listing their overdue customers.",
    ),
    (
        "Relations: sweep exit surveys",
        "relations.exit_surveys_sweep",
        {"minute": "*/15", "hour": "*", "day_of_month": "*", "day_of_week": "*"},
        "Queues exit survey e-mails that were not sent (broker or SMTP trouble).",
    ),
]


def create_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    for name, task, crontab, description in TASKS:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            month_of_year="*", timezone=TIME_ZONE, **crontab
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
        ("relations", "0003_lock_reason_sets"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
