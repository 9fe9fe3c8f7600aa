"""The tables the relations' dashboard panels read count their writes (klantbinding.lib.versions),
so a cached panel is drawn again after any write to them, bulk or not."""

from django.db import migrations

from klantbinding.lib import versions

TABLES = (
    "relations_cadencestatus",
    "relations_contactmoment",
    "relations_cadencetarget",
    "relations_customersegment",
    "relations_relationshipbelief",
    "relations_relationshipwish",
    "relations_relationshiptype",
    "relations_segmenthistory",
    "relations_segment",
    "auth_user",
)


def watch(apps, schema_editor):
    for table in TABLES:
        versions.watch(schema_editor.connection, table)


def unwatch(apps, schema_editor):
    for table in TABLES:
        versions.unwatch(schema_editor.connection, table)


class Migration(migrations.Migration):
    dependencies = [("relations", "0005_contact_action"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(watch, unwatch)]
