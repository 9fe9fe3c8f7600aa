"""A scoring model's name and notes in Dutch and English, as its elements' texts are; the
default model's notes become product text in both languages (they were a developer's note)."""

from django.db import migrations, models

OLD_NOTES = "The default model of DESIGN.md §1: 12 elements under three binding factors."

DEFAULT = {
    "name_nl": "Standaardmodel klantbinding",
    "name_en": "Standard customer binding model",
    "notes_nl": (
        "Twaalf onderdelen onder de drie bindingsfactoren: klanttevredenheid, kwaliteit van de "
        "alternatieven en omvang van de investeringen. Elk onderdeel krijgt een score van 0 "
        "(slecht voor de binding) tot 6 (goed voor de binding); IT-integratie weegt het "
        "zwaarst, aanwezigheid bij de klant het lichtst. Andere gewichten of onderdelen maakt "
        "u in een nieuwe versie."
    ),
    "notes_en": (
        "Twelve elements under the three binding factors: customer satisfaction, quality of "
        "the alternatives and size of the investment. Each element is scored from 0 (bad for "
        "binding) to 6 (good for binding); IT integration weighs most, presence at the "
        "customer least. Other weights or elements go into a new version."
    ),
}


def texts_in_both_languages(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    for model in ScoringModel.objects.all():
        if model.version == 1 and model.notes_nl == OLD_NOTES:
            for field, text in DEFAULT.items():
                setattr(model, field, text)
        else:
            # Until now one name and one note served both languages.
            model.name_en = model.name_nl
            model.notes_en = model.notes_nl
        model.save(update_fields=list(DEFAULT))


def one_language_again(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    ScoringModel.objects.filter(version=1, notes_nl=DEFAULT["notes_nl"]).update(
        notes_nl=OLD_NOTES
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0013_import_jobs"),
    ]

    operations = [
        migrations.RenameField("scoringmodel", "name", "name_nl"),
        migrations.RenameField("scoringmodel", "notes", "notes_nl"),
        migrations.RenameField("historicalscoringmodel", "name", "name_nl"),
        migrations.RenameField("historicalscoringmodel", "notes", "notes_nl"),
        migrations.AlterField(
            "scoringmodel",
            "name_nl",
            models.CharField(max_length=200, verbose_name="name (Dutch)"),
        ),
        migrations.AlterField(
            "scoringmodel", "notes_nl", models.TextField(blank=True, verbose_name="notes (Dutch)")
        ),
        migrations.AlterField(
            "historicalscoringmodel",
            "name_nl",
            models.CharField(max_length=200, verbose_name="name (Dutch)"),
        ),
        migrations.AlterField(
            "historicalscoringmodel",
            "notes_nl",
            models.TextField(blank=True, verbose_name="notes (Dutch)"),
        ),
        migrations.AddField(
            "scoringmodel",
            "name_en",
            models.CharField(default="", max_length=200, verbose_name="name (English)"),
            preserve_default=False,
        ),
        migrations.AddField(
            "scoringmodel",
            "notes_en",
            models.TextField(blank=True, verbose_name="notes (English)"),
        ),
        migrations.AddField(
            "historicalscoringmodel",
            "name_en",
            models.CharField(default="", max_length=200, verbose_name="name (English)"),
            preserve_default=False,
        ),
        migrations.AddField(
            "historicalscoringmodel",
            "notes_en",
            models.TextField(blank=True, verbose_name="notes (English)"),
        ),
        migrations.RunPython(texts_in_both_languages, one_language_again),
    ]
