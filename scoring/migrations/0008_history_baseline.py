"""A first history record of every customer, contact person, scoring model and element as it
is now, so that the first recorded change shows what it was before."""

from django.db import migrations

from klantbinding.audit import history_baseline

MODELS = ("Customer", "Contact", "ScoringModel", "Element")


def baseline(apps, schema_editor):
    for name in MODELS:
        history_baseline(
            apps.get_model("scoring", name), apps.get_model("scoring", f"Historical{name}")
        )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0007_append_only_triggers")]

    operations = [migrations.RunPython(baseline, migrations.RunPython.noop)]
