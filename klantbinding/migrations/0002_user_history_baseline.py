"""A first history record of every user as it is now."""

from django.conf import settings
from django.db import migrations

from klantbinding.audit import history_baseline


def baseline(apps, schema_editor):
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    history_baseline(
        apps.get_model(app_label, model_name),
        apps.get_model("klantbinding", f"Historical{model_name}"),
    )


class Migration(migrations.Migration):
    dependencies = [("klantbinding", "0001_user_history")]

    operations = [migrations.RunPython(baseline, migrations.RunPython.noop)]
