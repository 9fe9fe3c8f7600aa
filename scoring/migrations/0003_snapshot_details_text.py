"""ScoreSnapshot.details becomes one line of comma-separated numbers instead of JSON.

The dashboard reads the details of every customer, and PostgreSQL's jsonb-to-text output cost
more than the rest of that query; plain text also makes a full recompute cheaper to write.
Existing rows are converted: {"elements": [...], "staff": [...], ...} → "v,…,m,…".
"""

import json

from django.db import migrations, models

BLOCKS = ("elements", "staff", "customer", "expert")


def _number(value):
    return "" if value is None else str(round(float(value), 3))


def to_text(apps, schema_editor):
    ScoreSnapshot = apps.get_model("scoring", "ScoreSnapshot")
    changed = []
    for snapshot in ScoreSnapshot.objects.exclude(details="").only("id", "details").iterator():
        try:
            data = json.loads(snapshot.details)
        except (TypeError, ValueError):
            continue  # already in the new format
        if not isinstance(data, dict):
            continue
        width = len(data.get("elements") or [])
        fields = []
        for block in BLOCKS:
            values = data.get(block) or [None] * width
            fields.extend(_number(v) for v in values)
        snapshot.details = ",".join(fields)
        changed.append(snapshot)
        if len(changed) >= 2000:
            ScoreSnapshot.objects.bulk_update(changed, ["details"])
            changed = []
    ScoreSnapshot.objects.bulk_update(changed, ["details"])


class Migration(migrations.Migration):
    dependencies = [("scoring", "0002_default_model")]

    operations = [
        migrations.AlterField(
            model_name="scoresnapshot",
            name="details",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(to_text, migrations.RunPython.noop),
    ]
