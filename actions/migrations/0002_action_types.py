"""The catalogue's first action types, from the product's domain (management edits them later).

Each aims at one element of the default scoring model (or the whole binding) and carries an
ordered checklist in Dutch and English. Existing types with the same code are left alone.
"""

from django.db import migrations

TYPES = [
    {
        "code": "satisfaction-followup",
        "name_en": "Customer satisfaction survey follow-up",
        "name_nl": "Opvolging klanttevredenheidsonderzoek",
        "description_en": "Discuss the customer's survey answers with them and agree on what "
        "we improve.",
        "description_nl": "Bespreek de antwoorden uit het onderzoek met de klant en spreek af "
        "wat we verbeteren.",
        "element_code": "perception",
        "default_duration_days": 45,
        "expected_gain": "0.5",
        "checklist": [
            {"en": "Read the customer's latest survey answers", "nl": "Lees de laatste "
             "antwoorden van de klant"},
            {"en": "Plan a follow-up meeting", "nl": "Plan een opvolggesprek"},
            {"en": "Agree on two improvements", "nl": "Spreek twee verbeteringen af"},
            {"en": "Confirm the agreements in writing", "nl": "Bevestig de afspraken schriftelijk"},
        ],
    },
    {
        "code": "knowledge-event",
        "name_en": "Knowledge event",
        "name_nl": "Kennisevent",
        "description_en": "Invite the customer to a knowledge session that shows where we are "
        "ahead of the market.",
        "description_nl": "Nodig de klant uit voor een kennissessie die laat zien waar wij de "
        "markt voor zijn.",
        "element_code": "knowledge_advantage",
        "default_duration_days": 60,
        "expected_gain": "1.0",
        "checklist": [
            {"en": "Send the invitation", "nl": "Verstuur de uitnodiging"},
            {"en": "Confirm who attends", "nl": "Bevestig wie er komt"},
            {"en": "Attend together with the customer", "nl": "Neem samen met de klant deel"},
            {"en": "Follow up within two weeks", "nl": "Volg binnen twee weken op"},
        ],
    },
    {
        "code": "relationship-event",
        "name_en": "Relationship event",
        "name_nl": "Relatie-evenement",
        "description_en": "An informal event that builds the personal relationship.",
        "description_nl": "Een informeel evenement dat de persoonlijke relatie versterkt.",
        "element_code": "personal_bond",
        "default_duration_days": 60,
        "expected_gain": "0.5",
        "checklist": [
            {"en": "Choose the event and the guests", "nl": "Kies het evenement en de gasten"},
            {"en": "Send the invitation", "nl": "Verstuur de uitnodiging"},
            {"en": "Host the customer at the event", "nl": "Ontvang de klant op het evenement"},
        ],
    },
    {
        "code": "it-integration",
        "name_en": "IT-integration project",
        "name_nl": "IT-integratieproject",
        "description_en": "Connect our systems to the customer's (ordering, invoicing, "
        "reporting), so that working with us is part of their process.",
        "description_nl": "Koppel onze systemen aan die van de klant (bestellen, factureren, "
        "rapporteren), zodat samenwerken met ons deel wordt van hun proces.",
        "element_code": "it_integration",
        "default_duration_days": 120,
        "expected_gain": "1.5",
        "checklist": [
            {"en": "Map the customer's systems", "nl": "Breng de systemen van de klant in kaart"},
            {"en": "Agree on the scope and a planning", "nl": "Spreek scope en planning af"},
            {"en": "Build and test the link", "nl": "Bouw en test de koppeling"},
            {"en": "Go live", "nl": "Ga live"},
            {"en": "Evaluate after one month", "nl": "Evalueer na een maand"},
        ],
    },
    {
        "code": "contract-renewal",
        "name_en": "Contract renewal talk",
        "name_nl": "Gesprek over contractverlenging",
        "description_en": "Talk about a longer contract, with terms that suit both sides.",
        "description_nl": "Bespreek een langer contract, met voorwaarden die beide kanten "
        "passen.",
        "element_code": "contract",
        "default_duration_days": 60,
        "expected_gain": "1.0",
        "checklist": [
            {"en": "Prepare the proposal", "nl": "Bereid het voorstel voor"},
            {"en": "Hold the talk", "nl": "Voer het gesprek"},
            {"en": "Send the offer", "nl": "Verstuur de offerte"},
            {"en": "Sign the contract", "nl": "Onderteken het contract"},
        ],
    },
    {
        "code": "executive-visit",
        "name_en": "Executive visit",
        "name_nl": "Directiebezoek",
        "description_en": "Our management visits the customer's management.",
        "description_nl": "Onze directie bezoekt de directie van de klant.",
        "element_code": "",
        "default_duration_days": 45,
        "expected_gain": "2.0",
        "checklist": [
            {"en": "Brief our director", "nl": "Informeer onze directeur"},
            {"en": "Plan the visit", "nl": "Plan het bezoek"},
            {"en": "Report the visit", "nl": "Leg het bezoek vast"},
        ],
    },
]


def create_types(apps, schema_editor):
    ActionType = apps.get_model("actions", "ActionType")
    for order, fields in enumerate(TYPES, start=1):
        ActionType.objects.get_or_create(
            code=fields["code"], defaults={**fields, "order": order * 10}
        )


def remove_types(apps, schema_editor):
    ActionType = apps.get_model("actions", "ActionType")
    ActionType.objects.filter(code__in=[t["code"] for t in TYPES], actions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("actions", "0001_initial")]

    operations = [migrations.RunPython(create_types, remove_types)]
