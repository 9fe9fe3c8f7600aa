"""The effect report is computed each morning by beat (editable afterwards in the admin).

Its version holds the date (the analysis moment moves pending actions into the estimate), so
without this the first reader of the day would see yesterday's report while a new one is
computed. At a quarter past six (Amsterdam time), after the measurements are asked for.
"""

import json

from django.db import migrations

TIME_ZONE = "Europe/Amsterdam"
NAME = "Actions: compute the effect report"


def create_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="6",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=TIME_ZONE,
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "actions.effect_report_rebuild",
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "enabled": True,
            "description": "Computes the day's effect report, so its first reader need not wait.",
            "crontab": schedule,
            "interval": None,
        },
    )
    # Tell a running beat that the schedule changed.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0005_assessment_lines"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
