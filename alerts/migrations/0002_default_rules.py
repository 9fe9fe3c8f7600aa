"""The default alert rules, active on a new install (management edits them under Alerts).

Written out rather than read from alerts.triggers: a migration keeps what it made.
"""

from django.db import migrations

RULES = [
    # trigger, severity, parameters
    ("band_down", "critical", {}),
    ("score_drop", "warning", {"points": 5.0, "days": 90.0}),
    ("element_drop", "warning", {"points": 1.5}),
    ("perception_gap", "info", {"points": 2.0}),
    ("nps_detractor", "warning", {"maximum": 6.0}),
    ("stale", "info", {"days": 180.0}),
    ("provisional", "info", {}),
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
    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
