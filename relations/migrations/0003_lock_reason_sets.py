"""A saved set of reasons is locked: the database refuses any UPDATE of its row."""

from django.db import migrations

from klantbinding.lib.triggers import allow_updates, forbid_updates

TABLE = "relations_reasonset"


def lock(apps, schema_editor):
    forbid_updates(schema_editor, TABLE, "a saved set of reasons is locked")


def unlock(apps, schema_editor):
    allow_updates(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("relations", "0002_defaults")]

    operations = [migrations.RunPython(lock, unlock)]
