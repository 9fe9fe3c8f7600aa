"""The default scoring model of DESIGN.md §1 (version 1, active) and the two role groups.

The texts are frozen here on purpose: later versions of the model are made in the app.
"""

from django.db import migrations
from django.utils import timezone

# code, factor, weight, name_en, name_nl, (g0_en, g3_en, g6_en), (g0_nl, g3_nl, g6_nl),
# questions {kind: (en, nl)}, kinds not asked
ELEMENTS = [
    (
        "performance", "satisfaction", 3,
        "Performance and delivery reliability", "Prestaties en leverbetrouwbaarheid",
        ("Deliveries are often late or wrong; the customer complains regularly.",
         "Mostly on time and right, with incidents now and then.",
         "Always on time and right; the customer counts on us without checking."),
        ("Leveringen zijn vaak te laat of fout; de klant klaagt regelmatig.",
         "Meestal op tijd en goed, af en toe een incident.",
         "Altijd op tijd en goed; de klant rekent op ons zonder te controleren."),
        {
            "staff": ("How well do we perform and deliver for this customer?",
                      "Hoe goed presteren en leveren wij voor deze klant?"),
            "customer": ("How satisfied are you with our performance and delivery reliability?",
                         "Hoe tevreden bent u over onze prestaties en leverbetrouwbaarheid?"),
            "expert": ("How reliable is our delivery to this customer compared with the market?",
                       "Hoe betrouwbaar leveren wij aan deze klant, vergeleken met de markt?"),
        },
        (),
    ),
    (
        "service", "satisfaction", 3,
        "Service and reachability", "Service en bereikbaarheid",
        ("Hard to reach; questions stay unanswered for days.",
         "Reachable in office hours; answers within a day or two.",
         "Always reachable; problems are solved before the customer notices them."),
        ("Slecht bereikbaar; vragen blijven dagen liggen.",
         "Bereikbaar tijdens kantooruren; antwoord binnen een à twee dagen.",
         "Altijd bereikbaar; problemen zijn opgelost voordat de klant ze merkt."),
        {
            "staff": ("How good are our service and reachability for this customer?",
                      "Hoe goed zijn onze service en bereikbaarheid voor deze klant?"),
            "customer": ("How satisfied are you with our service and how easily you reach us?",
                         "Hoe tevreden bent u over onze service en onze bereikbaarheid?"),
            "expert": ("How does our service to this customer compare with the market?",
                       "Hoe verhoudt onze service aan deze klant zich tot de markt?"),
        },
        (),
    ),
    (
        "price_level", "satisfaction", 2,
        "Price level", "Prijsniveau",
        ("The customer finds us clearly too expensive and says so.",
         "Our price is accepted as market conform.",
         "The customer finds our price fair for the value and does not shop around."),
        ("De klant vindt ons duidelijk te duur en zegt dat ook.",
         "Onze prijs wordt als marktconform geaccepteerd.",
         "De klant vindt onze prijs eerlijk voor de waarde en kijkt niet rond."),
        {
            "staff": ("How content is this customer with our price level?",
                      "Hoe tevreden is deze klant over ons prijsniveau?"),
            "customer": ("How fair do you find our prices for what you get?",
                         "Hoe redelijk vindt u onze prijzen voor wat u krijgt?"),
            "expert": ("How attractive is our price level for this customer, against the market?",
                       "Hoe aantrekkelijk is ons prijsniveau voor deze klant, naast de markt?"),
        },
        (),
    ),
    (
        "perception", "satisfaction", 2,
        "Customer perception", "Klantperceptie",
        ("The customer sees us as a necessary evil.",
         "The customer sees us as one of several decent suppliers.",
         "The customer sees us as the best partner and tells others so."),
        ("De klant ziet ons als noodzakelijk kwaad.",
         "De klant ziet ons als een van meerdere redelijke leveranciers.",
         "De klant ziet ons als de beste partner en vertelt dat aan anderen."),
        {
            "staff": ("How positively does this customer see us as a supplier?",
                      "Hoe positief ziet deze klant ons als leverancier?"),
            "customer": ("How would you rate us overall as a supplier?",
                         "Hoe beoordeelt u ons als leverancier in het geheel?"),
            "expert": ("How positive is our reputation with this customer?",
                       "Hoe positief is onze reputatie bij deze klant?"),
        },
        (),
    ),
    (
        "competition", "alternatives", 2,
        "Competitive pressure", "Concurrentiedruk",
        ("Competitors visit the customer actively and make sharp offers.",
         "Competitors are around but not pushing.",
         "Hardly any competitor targets this customer."),
        ("Concurrenten bezoeken de klant actief en doen scherpe aanbiedingen.",
         "Concurrenten zijn er, maar dringen niet aan.",
         "Vrijwel geen concurrent richt zich op deze klant."),
        {
            "staff": ("How low is the competitive pressure on this customer?",
                      "Hoe laag is de concurrentiedruk bij deze klant?"),
            "customer": ("How rarely do other suppliers approach you with offers?",
                         "Hoe zelden benaderen andere leveranciers u met aanbiedingen?"),
            "expert": ("How low is the competitive pressure around this customer?",
                       "Hoe laag is de concurrentiedruk rond deze klant?"),
        },
        ("customer",),
    ),
    (
        "distinctiveness", "alternatives", 3,
        "Distinctiveness of our offer", "Onderscheidend vermogen",
        ("Our offer is interchangeable with any competitor's.",
         "We stand out on a few points the customer values.",
         "Nobody else offers what we offer this customer."),
        ("Ons aanbod is inwisselbaar met dat van elke concurrent.",
         "Wij onderscheiden ons op enkele punten die de klant waardeert.",
         "Niemand anders biedt deze klant wat wij bieden."),
        {
            "staff": ("How distinctive is our offer for this customer?",
                      "Hoe onderscheidend is ons aanbod voor deze klant?"),
            "customer": ("How hard would it be to get what we offer from someone else?",
                         "Hoe moeilijk zou u wat wij bieden elders kunnen krijgen?"),
            "expert": ("How distinctive is our offer in this market?",
                       "Hoe onderscheidend is ons aanbod in deze markt?"),
        },
        (),
    ),
    (
        "knowledge_advantage", "alternatives", 2,
        "Knowledge advantage", "Kennisvoorsprong",
        ("Competitors know the customer's business as well as or better than we do.",
         "We know the customer's business somewhat better than others.",
         "Our knowledge of the customer's processes is unmatched and hard to build up."),
        ("Concurrenten kennen het bedrijf van de klant even goed of beter dan wij.",
         "Wij kennen het bedrijf van de klant iets beter dan anderen.",
         "Onze kennis van de processen van de klant is ongeëvenaard en moeilijk op te bouwen."),
        {
            "staff": ("How large is our knowledge advantage at this customer?",
                      "Hoe groot is onze kennisvoorsprong bij deze klant?"),
            "customer": ("How much better do we know your business than other suppliers?",
                         "Hoeveel beter kennen wij uw bedrijf dan andere leveranciers?"),
            "expert": ("How large is our knowledge advantage over competitors here?",
                       "Hoe groot is onze kennisvoorsprong op concurrenten hier?"),
        },
        (),
    ),
    (
        "perceived_alternatives", "alternatives", 2,
        "Alternatives as the customer sees them", "Waargenomen alternatieven",
        ("The customer sees several good alternatives and knows them.",
         "The customer knows alternatives but doubts they are as good.",
         "The customer sees no real alternative to us."),
        ("De klant ziet meerdere goede alternatieven en kent ze.",
         "De klant kent alternatieven maar twijfelt of ze even goed zijn.",
         "De klant ziet geen echt alternatief voor ons."),
        {
            "staff": ("How weak are the alternatives as this customer sees them?",
                      "Hoe zwak zijn de alternatieven zoals deze klant ze ziet?"),
            "customer": ("How hard would it be for you to find an equally good supplier?",
                         "Hoe moeilijk zou het voor u zijn een even goede leverancier te vinden?"),
            "expert": ("How weak are the alternatives available to this customer?",
                       "Hoe zwak zijn de alternatieven die deze klant heeft?"),
        },
        (),
    ),
    (
        "it_integration", "investment", 4,
        "IT integration", "IT-integratie",
        ("No integration: orders come by e-mail or phone.",
         "Some links, such as EDI ordering or a portal the customer uses.",
         "Our systems are woven into the customer's processes; leaving means a project."),
        ("Geen integratie: bestellingen komen per e-mail of telefoon.",
         "Enkele koppelingen, zoals EDI-bestellen of een portaal dat de klant gebruikt.",
         "Onze systemen zijn verweven met de processen van de klant; vertrekken is een project."),
        {
            "staff": ("How deeply are our systems integrated with this customer's?",
                      "Hoe diep zijn onze systemen geïntegreerd met die van deze klant?"),
            "customer": ("How much work would it be to disconnect our systems from yours?",
                         "Hoeveel werk zou het zijn onze systemen van de uwe los te koppelen?"),
            "expert": ("How deep is the IT integration between us and this customer?",
                       "Hoe diep is de IT-integratie tussen ons en deze klant?"),
        },
        (),
    ),
    (
        "contract", "investment", 3,
        "Contract length and terms", "Contractduur en -voorwaarden",
        ("No contract, or one that can be ended at any time.",
         "A yearly contract with normal notice periods.",
         "A long contract with terms that make leaving costly."),
        ("Geen contract, of een dat op elk moment kan worden opgezegd.",
         "Een jaarcontract met normale opzegtermijnen.",
         "Een lang contract met voorwaarden die vertrekken kostbaar maken."),
        {
            "staff": ("How strongly does the contract bind this customer to us?",
                      "Hoe sterk bindt het contract deze klant aan ons?"),
            "customer": ("How long and binding is your agreement with us?",
                         "Hoe lang en bindend is uw overeenkomst met ons?"),
            "expert": ("How binding are the contract terms for this customer?",
                       "Hoe bindend zijn de contractvoorwaarden voor deze klant?"),
        },
        ("expert",),
    ),
    (
        "presence", "investment", 1,
        "Presence and interaction at the customer", "Aanwezigheid en interactie",
        ("We are hardly ever seen at the customer.",
         "Regular visits and contact at a few levels.",
         "We are present daily or weekly, at every level of the organisation."),
        ("Wij zijn vrijwel nooit bij de klant te zien.",
         "Regelmatige bezoeken en contact op enkele niveaus.",
         "Wij zijn dagelijks of wekelijks aanwezig, op elk niveau van de organisatie."),
        {
            "staff": ("How present are we at this customer, and at how many levels?",
                      "Hoe aanwezig zijn wij bij deze klant, en op hoeveel niveaus?"),
            "customer": ("How often and at how many levels are we in touch with you?",
                         "Hoe vaak en op hoeveel niveaus hebben wij contact met u?"),
            "expert": ("How visible are we at this customer?",
                       "Hoe zichtbaar zijn wij bij deze klant?"),
        },
        ("expert",),
    ),
    (
        "personal_bond", "investment", 2,
        "Personal relationship and emotional bond", "Persoonlijke relatie en emotionele binding",
        ("The relationship is purely businesslike and could change any time.",
         "Good working relationships with a few people.",
         "Strong personal ties; people would feel it as a loss to leave us."),
        ("De relatie is puur zakelijk en kan elk moment veranderen.",
         "Goede werkrelaties met enkele mensen.",
         "Sterke persoonlijke banden; vertrekken zou als een verlies voelen."),
        {
            "staff": ("How strong is the personal bond with this customer?",
                      "Hoe sterk is de persoonlijke band met deze klant?"),
            "customer": ("How much would you miss the people you work with at our company?",
                         "Hoeveel zou u de mensen met wie u bij ons werkt missen?"),
            "expert": ("How strong is the personal bond between us and this customer?",
                       "Hoe sterk is de persoonlijke band tussen ons en deze klant?"),
        },
        ("expert",),
    ),
]

GROUPS = {
    "Account managers": [
        ("scoring", "view_customer"),
        ("scoring", "view_contact"),
        ("scoring", "add_contact"),
        ("scoring", "change_contact"),
        ("scoring", "view_assessment"),
        ("scoring", "add_assessment"),
        ("scoring", "view_scoringmodel"),
        ("scoring", "view_element"),
    ],
    "Management": [
        ("scoring", "view_customer"),
        ("scoring", "add_customer"),
        ("scoring", "change_customer"),
        ("scoring", "view_contact"),
        ("scoring", "add_contact"),
        ("scoring", "change_contact"),
        ("scoring", "view_marketexpert"),
        ("scoring", "add_marketexpert"),
        ("scoring", "change_marketexpert"),
        ("scoring", "view_assessment"),
        ("scoring", "add_assessment"),
        ("scoring", "view_elementscore"),
        ("scoring", "view_scoringmodel"),
        ("scoring", "add_scoringmodel"),
        ("scoring", "change_scoringmodel"),
        ("scoring", "view_element"),
        ("scoring", "add_element"),
        ("scoring", "change_element"),
        ("scoring", "view_scoresnapshot"),
    ],
}


def create_default_model(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    Element = apps.get_model("scoring", "Element")
    if ScoringModel.objects.exists():
        return
    model = ScoringModel.objects.create(
        version=1,
        name="Standaardmodel klantbinding",
        notes="The default model of DESIGN.md §1: 12 elements under three binding factors.",
        is_active=True,
        published_at=timezone.now(),
    )
    for order, (code, factor, weight, name_en, name_nl, g_en, g_nl, questions, not_asked) in (
        enumerate(ELEMENTS, start=1)
    ):
        Element.objects.create(
            scoring_model=model,
            code=code,
            factor=factor,
            weight=weight,
            order=order,
            name_en=name_en,
            name_nl=name_nl,
            guidance_0_en=g_en[0],
            guidance_3_en=g_en[1],
            guidance_6_en=g_en[2],
            guidance_0_nl=g_nl[0],
            guidance_3_nl=g_nl[1],
            guidance_6_nl=g_nl[2],
            question_staff_en=questions["staff"][0],
            question_staff_nl=questions["staff"][1],
            question_customer_en=questions["customer"][0],
            question_customer_nl=questions["customer"][1],
            question_expert_en=questions["expert"][0],
            question_expert_nl=questions["expert"][1],
            asked_staff="staff" not in not_asked,
            asked_customer="customer" not in not_asked,
            asked_expert="expert" not in not_asked,
        )


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, codename in codenames:
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_default_model, migrations.RunPython.noop),
        migrations.RunPython(create_groups, migrations.RunPython.noop),
    ]
