"""The tables the surveys' dashboard panel reads count their writes (klantbinding.lib.versions),
so a cached panel is drawn again after any write to them, bulk or not."""

from django.db import migrations

from klantbinding.lib import versions

TABLES = ("surveys_invitation", "surveys_round", "surveys_campaign")


def watch(apps, schema_editor):
    for table in TABLES:
        versions.watch(schema_editor.connection, table)


def unwatch(apps, schema_editor):
    for table in TABLES:
        versions.unwatch(schema_editor.connection, table)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0008_historical_campaign_element_codes")]

    operations = [migrations.RunPython(watch, unwatch)]
