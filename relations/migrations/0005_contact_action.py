"""The contact's action becomes a foreign key to actions.Action (it was a plain id while the
two apps were built apart). Ids that name no action of the contact's customer are dropped."""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    ContactMoment = apps.get_model("relations", "ContactMoment")
    Action = apps.get_model("actions", "Action")
    linked = ContactMoment.objects.filter(action_ref__isnull=False)
    actions = dict(
        Action.objects.filter(pk__in=linked.values("action_ref")).values_list("pk", "customer_id")
    )
    for moment in linked.only("pk", "customer_id", "action_ref"):
        if actions.get(moment.action_ref) == moment.customer_id:
            ContactMoment.objects.filter(pk=moment.pk).update(action_id=moment.action_ref)


def copy_back(apps, schema_editor):
    ContactMoment = apps.get_model("relations", "ContactMoment")
    for pk, action_id in ContactMoment.objects.filter(action__isnull=False).values_list(
        "pk", "action_id"
    ):
        ContactMoment.objects.filter(pk=pk).update(action_ref=action_id)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0003_beat_schedule"),
        ("relations", "0004_beat_schedule"),
    ]

    operations = [
        migrations.RenameField("contactmoment", "action_id", "action_ref"),
        migrations.AddField(
            model_name="contactmoment",
            name="action",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="contact_moments",
                to="actions.action",
                verbose_name="action",
            ),
        ),
        migrations.RunPython(copy_links, copy_back),
        migrations.RemoveField("contactmoment", "action_ref"),
    ]
