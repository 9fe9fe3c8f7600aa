"""The webhook sweep in django-celery-beat's schedule (editable afterwards in the admin):
every minute it collects new events and queues the deliveries that are due."""

import json

from django.db import migrations

TASKS = [
    (
        "Webhooks: collect events and deliver",
        "api.webhooks_sweep",
        "Turns new scores, alerts, overdue actions and departures into webhook events and "
        "queues every delivery that is due (also those the broker lost).",
    ),
]


def create_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    for name, task, description in TASKS:
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
                "description": description,
                "interval": schedule,
                "crontab": None,
            },
        )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
