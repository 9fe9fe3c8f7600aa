"""The default lists: the olive-oil example's three value segments with their rules and contact
rhythms, the relationship types and the reasons to leave (all editable by management)."""

from decimal import Decimal

from django.db import migrations

SEGMENTS = [
    # code, order, nl, en, description nl, description en
    (
        "thriving", 1, "Bloeiend", "Thriving",
        "Bestelt regelmatig, brengt veel marge en betaalt op tijd. Maandelijks bezoeken, "
        "wekelijks bellen: goede klanten die nooit klagen lopen stilletjes weg als niemand "
        "contact houdt.",
        "Orders regularly, brings a large share of the margin and pays on time. Visit monthly, "
        "call weekly: good customers who never complain walk away quietly if nobody keeps in "
        "touch.",
    ),
    (
        "engaging", 2, "Boeiend", "Engaging",
        "Lagere marges, maar een goede naam en connecties. Om de twee maanden bezoeken, elke "
        "twee à drie weken bellen.",
        "Lower margins, but a good name and connections. Visit every two months, call every "
        "two to three weeks.",
    ),
    (
        "draining", 3, "Vermoeiend", "Draining",
        "Weinig bijdrage en veel gedoe, zoals achter betalingen aan. Alleen bezoeken als je in "
        "de buurt bent.",
        "Little contribution and much hassle, such as chasing payments. Visit only when nearby.",
    ),
]
# segment, order, conditions
RULES = [
    ("thriving", 10, {"contribution_top": Decimal(80), "payment": ["good"]}),
    ("draining", 20, {"contribution_tail": Decimal(80), "payment": ["poor"]}),
    ("engaging", 30, {}),
]
CADENCE = {
    "thriving": {"visit": (30, 45), "call": (7, 14)},
    "engaging": {"visit": (60, 90), "call": (21, 30)},
    "draining": {"visit": (180, 365), "call": (90, 180)},
}
TYPES = [
    (
        "basic_exchange", "Basisruil", "Basic exchange",
        "U levert, wij betalen een eerlijke prijs; meer hoeft niet.",
        "You deliver, we pay a fair price; no more is needed.",
    ),
    (
        "contractual", "Contractueel", "Contractual",
        "Heldere afspraken op papier, en die komen we allebei na.",
        "Clear agreements on paper, and we both keep to them.",
    ),
    (
        "business_partner", "Zakenpartner", "Business partner",
        "We werken samen aan gezamenlijke doelen en delen plannen en risico's.",
        "We work together on shared goals and share plans and risks.",
    ),
    (
        "customer_is_king", "De klant is koning", "Customer is king",
        "Wij vragen, u levert: service en flexibiliteit gaan voor alles.",
        "We ask, you deliver: service and flexibility come first.",
    ),
    (
        "trusted_adviser", "Vertrouwd adviseur", "Trusted adviser",
        "U kent ons bedrijf en adviseert ons, ook buiten wat u verkoopt.",
        "You know our business and advise us, also beyond what you sell.",
    ),
    (
        "fling", "Kortstondig avontuur", "Fling",
        "Voor nu, voor dit project of deze aanbieding; daarna zien we wel.",
        "For now, for this project or this offer; after that we will see.",
    ),
]
REASONS = [
    # code, nl, en, element code, needs a note
    ("price", "Prijs", "Price", "price_level", False),
    ("service", "Service en bereikbaarheid", "Service and reachability", "service", False),
    ("quality", "Kwaliteit of levering", "Quality or delivery", "performance", False),
    (
        "competitor_offer", "Aanbod van een concurrent", "A competitor's offer",
        "perceived_alternatives", False,
    ),
    ("contract_end", "Contract liep af", "The contract ended", "contract", False),
    (
        "champion_left", "Onze vaste contactpersoon vertrok", "Our champion left",
        "personal_bond", False,
    ),
    ("no_longer_needed", "Geen behoefte meer", "No longer needed", "", False),
    ("other", "Anders", "Other", "", True),
]


def create_defaults(apps, schema_editor):
    Segment = apps.get_model("relations", "Segment")
    SegmentRule = apps.get_model("relations", "SegmentRule")
    CadenceTarget = apps.get_model("relations", "CadenceTarget")
    RelationshipType = apps.get_model("relations", "RelationshipType")
    DepartureReason = apps.get_model("relations", "DepartureReason")
    segments = {}
    for code, order, nl, en, description_nl, description_en in SEGMENTS:
        segments[code], _ = Segment.objects.get_or_create(
            code=code,
            defaults={
                "order": order, "name_nl": nl, "name_en": en,
                "description_nl": description_nl, "description_en": description_en,
            },
        )
    if not SegmentRule.objects.exists():
        for code, order, conditions in RULES:
            SegmentRule.objects.create(segment=segments[code], order=order, **conditions)
    for code, kinds in CADENCE.items():
        for kind, (target, maximum) in kinds.items():
            CadenceTarget.objects.get_or_create(
                segment=segments[code], kind=kind,
                defaults={"target_days": target, "max_days": maximum},
            )
    for order, (code, nl, en, description_nl, description_en) in enumerate(TYPES, start=1):
        RelationshipType.objects.get_or_create(
            code=code,
            defaults={
                "order": order, "name_nl": nl, "name_en": en,
                "description_nl": description_nl, "description_en": description_en,
            },
        )
    for order, (code, nl, en, element, needs_note) in enumerate(REASONS, start=1):
        DepartureReason.objects.get_or_create(
            code=code,
            defaults={
                "order": order, "name_nl": nl, "name_en": en, "element_code": element,
                "needs_note": needs_note,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("relations", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
