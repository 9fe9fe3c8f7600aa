"""Like with like across a model publish: snapshots a publish wrote are marked (their
change carries the customer's last movement over), and a publish job counts what customers
notice as its preview does. The keep-values trigger is made again so it covers the new column
(SQLite rebuilds the table to add it, which drops its triggers)."""

from django.db import migrations, models

from klantbinding.lib import triggers


def keep_values(apps, schema_editor):
    snapshot = apps.get_model("scoring", "ScoreSnapshot")
    triggers.keep_values_create(
        schema_editor.connection,
        snapshot._meta.db_table,
        [f.column for f in snapshot._meta.concrete_fields],
        changeable=["is_current"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0011_contact_role_active_expert_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoresnapshot",
            name="reweighted",
            field=models.BooleanField(default=False, verbose_name="re-weighted by a model publish"),
        ),
        migrations.AddField(
            model_name="scoringjob",
            name="band_changes",
            field=models.PositiveIntegerField(default=0, verbose_name="band changes"),
        ),
        migrations.AddField(
            model_name="scoringjob",
            name="coverage_changes",
            field=models.PositiveIntegerField(default=0, verbose_name="coverage changes"),
        ),
        migrations.AddField(
            model_name="scoringjob",
            name="provisional_changes",
            field=models.PositiveIntegerField(default=0, verbose_name="provisional changes"),
        ),
        migrations.AddField(
            model_name="scoringjob",
            name="score_changes",
            field=models.PositiveIntegerField(default=0, verbose_name="score changes"),
        ),
        migrations.RunPython(keep_values, migrations.RunPython.noop),
    ]
