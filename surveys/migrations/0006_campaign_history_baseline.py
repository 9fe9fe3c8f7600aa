"""A first history record of every campaign as it is now."""

from django.db import migrations

from klantbinding.audit import history_baseline


def baseline(apps, schema_editor):
    history_baseline(
        apps.get_model("surveys", "Campaign"), apps.get_model("surveys", "HistoricalCampaign")
    )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0005_campaign_history")]

    operations = [migrations.RunPython(baseline, migrations.RunPython.noop)]
