"""The default rules of the triggers on the actions and relations apps' facts (an action
overdue, lost touch, a departure recorded), active on a new install like the first seven.

Written out rather than read from alerts.triggers: a migration keeps what it made.
"""

from django.db import migrations

RULES = [
    # trigger, severity, parameters
    ("action_overdue", "info", {"days": 1.0}),
    ("contact_lost", "warning", {"days": 1.0}),
    ("departure", "warning", {"days": 30.0}),
]


def create_rules(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for trigger, severity, params in RULES:
        if not AlertRule.objects.filter(trigger=trigger).exists():
            AlertRule.objects.create(
                trigger=trigger, severity=severity, scope="all", params=params, active=True
            )


def remove_rules(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertRule.objects.filter(trigger__in=[t for t, *_ in RULES], alerts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0003_beat_schedule")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
