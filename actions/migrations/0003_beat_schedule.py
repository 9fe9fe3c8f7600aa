"""The actions' daily tasks in django-celery-beat's schedule (editable afterwards in the admin).

The reminder digest goes out at half past seven in the morning (Amsterdam time); the survey
rounds that measure actions after their horizon are asked for at six.
"""

import json

from django.db import migrations

TIME_ZONE = "Europe/Amsterdam"

TASKS = [
    # name, task, crontab, description
    (
        "Actions: send the reminder digests",
        "actions.digests_send_due",
        {"minute": "30", "hour": "7"},
        "E-mails each owner their actions due within 7 days and overdue, once a day.",
    ),
    (
        "Actions: ask for measurements after the horizon",
        "actions.measurements_request_due",
        {"minute": "0", "hour": "6"},
        "Opens a survey round for the treated customers and their controls at decision + horizon.",
    ),
]


def create_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    for name, task, arguments, description in TASKS:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            day_of_week="*", day_of_month="*", month_of_year="*", timezone=TIME_ZONE, **arguments
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
    # Tell a running beat that the schedule changed.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0002_action_types"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
