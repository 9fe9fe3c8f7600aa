"""Database triggers: assessments and element scores are append-only, score snapshots keep
their values (only is_current may change). The SQL lives in klantbinding.lib.triggers."""

from django.db import migrations

from klantbinding.lib import triggers

APPEND_ONLY = ("Assessment", "ElementScore")


def create(apps, schema_editor):
    connection = schema_editor.connection
    for name in APPEND_ONLY:
        triggers.append_only_create(connection, apps.get_model("scoring", name)._meta.db_table)
    snapshot = apps.get_model("scoring", "ScoreSnapshot")
    triggers.keep_values_create(
        connection,
        snapshot._meta.db_table,
        [f.column for f in snapshot._meta.concrete_fields],
        changeable=["is_current"],
    )


def drop(apps, schema_editor):
    connection = schema_editor.connection
    for name in APPEND_ONLY:
        triggers.append_only_drop(connection, apps.get_model("scoring", name)._meta.db_table)
    triggers.keep_values_drop(connection, apps.get_model("scoring", "ScoreSnapshot")._meta.db_table)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0006_history_and_imported_by")]

    operations = [migrations.RunPython(create, drop)]
