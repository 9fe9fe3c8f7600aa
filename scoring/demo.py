"""A realistic, deterministic demo portfolio for ``seed_demo``, the benchmarks and the tests.

Everything is drawn from one seeded NumPy generator, so the same seed gives the same portfolio.
Each customer has a hidden "true" binding per element that drifts over time; staff, customers
and experts see it through their own bias and noise, and sometimes say "don't know".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from scoring import selectors, services
from scoring.models import (
    Assessment,
    Contact,
    ContactRole,
    Customer,
    Element,
    MarketExpert,
    RespondentKind,
)
from scoring.roles import ACCOUNT_MANAGERS, MANAGEMENT

DEMO_PASSWORD = "klantbinding-demo"

SECTORS = [
    "Bouw",
    "Logistiek",
    "Zorg",
    "Retail",
    "Industrie",
    "Agrifood",
    "ICT",
    "Energie",
    "Onderwijs",
    "Overheid",
    "Financiële diensten",
    "Chemie",
]
STEMS = [
    "Van Dijk",
    "De Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "De Boer",
    "Mulder",
    "De Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Van Leeuwen",
    "Dekker",
    "Brouwer",
    "De Wit",
    "Dijkstra",
    "Smits",
    "De Graaf",
    "Van der Meer",
    "Van der Linden",
    "Kok",
    "Jacobs",
    "De Haan",
    "Vermeulen",
    "Van den Berg",
    "Van der Heijden",
    "Schouten",
    "Hollandse",
    "Brabantse",
    "Friese",
    "Zeeuwse",
    "Limburgse",
    "Gelderse",
    "Drentse",
    "Noord",
    "Zuid",
    "Oost",
    "West",
    "Rijnmond",
    "Delta",
    "Polder",
    "Dijkzicht",
    "Maasland",
    "Waddenzee",
    "Veluwe",
    "Kempen",
    "Twentse",
    "Amstel",
    "IJssel",
    "Lek",
    "Waal",
    "Eem",
    "Groene Hart",
    "Randstad",
    "Noorderlicht",
    "Zuiderzee",
    "Kennemer",
]
TRADES = [
    "Installatietechniek",
    "Transport",
    "Bouwgroep",
    "Zorggroep",
    "Metaalbewerking",
    "Voedingsmiddelen",
    "Automatisering",
    "Energie",
    "Verpakkingen",
    "Groothandel",
    "Kunststoffen",
    "Machinebouw",
    "Logistiek",
    "Schoonmaak",
    "Elektrotechniek",
    "Staal",
    "Tuinbouw",
    "Zuivel",
    "Drukkerij",
    "Meubelen",
    "Farma",
    "Beveiliging",
    "Glas",
    "Koeltechniek",
    "Recycling",
    "Laboratoria",
    "Bakkerijen",
    "Houthandel",
    "Textiel",
    "Software",
    "Adviesgroep",
    "Distributie",
    "Vastgoedbeheer",
    "Onderhoud",
    "Chemie",
    "Dakwerken",
    "Infra",
    "Scheepvaart",
    "Opleidingen",
    "Catering",
]
FORMS = ["B.V.", "B.V.", "B.V.", "Groep", "N.V.", "& Zn.", "Holding", "Nederland"]
# A customer's first contact person decides, the second uses what we deliver, the third is
# our champion (the demo makes one to three per customer).
DEMO_CONTACT_ROLES = [ContactRole.DECISION_MAKER, ContactRole.USER, ContactRole.CHAMPION]
FIRST_NAMES = [
    "Anne",
    "Bart",
    "Chantal",
    "Daan",
    "Eva",
    "Femke",
    "Gert",
    "Hanneke",
    "Ingrid",
    "Joost",
    "Karin",
    "Lars",
    "Marloes",
    "Niels",
    "Olga",
    "Pieter",
    "Renske",
    "Sander",
    "Tessa",
    "Ruben",
    "Wouter",
    "Yvonne",
    "Bram",
    "Lotte",
    "Sven",
    "Iris",
    "Thijs",
    "Noor",
    "Koen",
    "Sanne",
]
LAST_NAMES = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Kok",
    "Jacobs",
    "Vermeulen",
]
ACCOUNT_MANAGERS_DEMO = [
    ("anne", "Anne", "de Jong"),
    ("bart", "Bart", "Visser"),
    ("chantal", "Chantal", "Bakker"),
    ("daan", "Daan", "Mulder"),
    ("eva", "Eva", "Smit"),
]
# Staff see themselves a little rosier on satisfaction than customers do; experts are sober.
KIND_BIAS: dict[str, dict[str, float]] = {
    RespondentKind.STAFF: {"satisfaction": 0.6, "alternatives": 0.2, "investment": 0.0},
    RespondentKind.CUSTOMER: {"satisfaction": -0.2, "alternatives": -0.3, "investment": 0.1},
    RespondentKind.EXPERT: {"satisfaction": 0.0, "alternatives": -0.4, "investment": -0.1},
}
DONT_KNOW: dict[str, float] = {
    RespondentKind.STAFF: 0.05,
    RespondentKind.CUSTOMER: 0.12,
    RespondentKind.EXPERT: 0.2,
}


@dataclass
class DemoSummary:
    customers: int
    contacts: int
    experts: int
    assessments: int
    element_scores: int
    snapshots: int
    logins: list[tuple[str, str, str]]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower().replace("&", "en"))


def ensure_demo_users() -> tuple[list, list[tuple[str, str, str]]]:
    """The demo's users (admin, management, five account managers); returns AMs and logins."""
    User = get_user_model()
    management = Group.objects.get(name=MANAGEMENT)
    account_managers_group = Group.objects.get(name=ACCOUNT_MANAGERS)
    logins = [
        ("admin", DEMO_PASSWORD, "administrator"),
        ("directie", DEMO_PASSWORD, "management"),
    ]
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"email": "admin@klantbinding.example", "is_staff": True, "is_superuser": True},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    boss, created = User.objects.get_or_create(
        username="directie",
        defaults={
            "email": "directie@klantbinding.example",
            "first_name": "Mira",
            "last_name": "Hendriks",
        },
    )
    if created:
        boss.set_password(DEMO_PASSWORD)
        boss.save()
    boss.groups.add(management)
    account_managers = []
    for username, first, last in ACCOUNT_MANAGERS_DEMO:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@klantbinding.example",
                "first_name": first,
                "last_name": last,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(account_managers_group)
        account_managers.append(user)
        logins.append((username, DEMO_PASSWORD, "account manager"))
    return account_managers, logins


def _company_names(rng: np.random.Generator, count: int) -> list[str]:
    combos = len(STEMS) * len(TRADES) * len(FORMS)
    picks = rng.choice(combos, size=count, replace=count > combos)
    names = []
    for n, pick in enumerate(picks):
        stem, rest = divmod(int(pick), len(TRADES) * len(FORMS))
        trade, form = divmod(rest, len(FORMS))
        name = f"{STEMS[stem]} {TRADES[trade]} {FORMS[form]}"
        names.append(name if count <= combos else f"{name} {n + 1}")
    return names


def seed_portfolio(
    *,
    customers: int,
    seed: int,
    now: datetime | None = None,
    history_months: int = 12,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoSummary:
    """Create ``customers`` demo customers with contacts, experts and assessment history."""
    now = now or timezone.now()
    rng = np.random.default_rng(seed)
    report = progress or (lambda stage, done, total: None)
    scoring_model = selectors.scoring_model_active()
    elements = list(Element.objects.filter(scoring_model=scoring_model).order_by("order"))
    element_factor = np.array([e.factor for e in elements])
    asked = {kind: np.array([e.is_asked(kind) for e in elements]) for kind in RespondentKind.values}
    account_managers, logins = ensure_demo_users()

    # Customers: revenue with a Pareto-like spread (a fifth of the customers brings most).
    names = _company_names(rng, customers)
    revenue = np.minimum((rng.pareto(1.2, customers) + 1.0) * 25_000, 60_000_000).round(-2)
    potential = (revenue * rng.lognormal(0.25, 0.55, customers)).round(-2)
    margin = np.clip(rng.normal(18, 9, customers), -10, 65).round(1)
    payment = rng.choice(["good", "average", "poor"], size=customers, p=[0.7, 0.2, 0.1])
    sectors = rng.choice(SECTORS, size=customers)
    managers = rng.integers(0, len(account_managers), customers)
    active = rng.random(customers) > 0.02
    customer_objects = [
        Customer(
            external_id=f"K{i + 1:06d}",
            name=names[i],
            account_manager=account_managers[managers[i]],
            sector=str(sectors[i]),
            annual_revenue=float(revenue[i]),
            revenue_potential=float(potential[i]),
            margin_pct=float(margin[i]),
            payment_behaviour=str(payment[i]),
            active=bool(active[i]),
        )
        for i in range(customers)
    ]
    with transaction.atomic():
        Customer.objects.bulk_create(customer_objects, batch_size=2000)
        report("customers", customers, customers)

        contacts: list[Contact] = []
        contact_emails: list[list[str]] = []
        for i, customer in enumerate(customer_objects):
            domain = f"{_slug(names[i])[:24] or 'klant'}{i + 1}.example"
            emails = []
            for _ in range(int(rng.integers(1, 4))):
                first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
                last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
                email = f"{_slug(first)}.{_slug(last)}@{domain}"
                if email in emails:
                    continue
                emails.append(email)
                contacts.append(
                    Contact(
                        customer=customer,
                        name=f"{first} {last}",
                        email=email,
                        role=DEMO_CONTACT_ROLES[len(emails) - 1],
                        language="nl" if rng.random() < 0.85 else "en",
                    )
                )
            contact_emails.append(emails)
        Contact.objects.bulk_create(contacts, batch_size=5000)

        experts = []
        for n in range(max(5, min(40, customers // 250 + 8))):
            first = FIRST_NAMES[n % len(FIRST_NAMES)]
            last = LAST_NAMES[(n * 7) % len(LAST_NAMES)]
            experts.append(
                MarketExpert(
                    name=f"{first} {last}",
                    email=f"{_slug(first)}.{_slug(last)}{n + 1}@marktinzicht.example",
                    organisation=["Marktinzicht", "Branchevereniging", "Sectoranalyse"][n % 3],
                    language="nl" if n % 5 else "en",
                    sectors=[SECTORS[n % len(SECTORS)], SECTORS[(n + 5) % len(SECTORS)]],
                )
            )
        MarketExpert.objects.bulk_create(experts)
        experts_by_sector: dict[str, list[str]] = {}
        for expert in experts:
            for sector in expert.sectors:
                experts_by_sector.setdefault(sector, []).append(expert.email)

        n_assessments, n_scores = _seed_assessments(
            rng=rng,
            now=now,
            scoring_model=scoring_model,
            elements=elements,
            element_factor=element_factor,
            asked=asked,
            customers=customer_objects,
            contact_emails=contact_emails,
            experts_by_sector=experts_by_sector,
            report=report,
        )

    snapshots = 0
    if history_months > 0:
        moments = [now - timedelta(days=30 * m) for m in range(history_months, 0, -1)]
        report("scoring", 0, history_months + 1)
        snapshots += services.scores_backfill(moments=moments)
    snapshots += services.scores_refresh(now=now).changed
    report("scoring", history_months + 1, history_months + 1)
    return DemoSummary(
        customers=customers,
        contacts=len(contacts),
        experts=len(experts),
        assessments=n_assessments,
        element_scores=n_scores,
        snapshots=snapshots,
        logins=logins,
    )


def _seed_assessments(
    *,
    rng: np.random.Generator,
    now: datetime,
    scoring_model,
    elements: list[Element],
    element_factor: np.ndarray,
    asked: dict[str, np.ndarray],
    customers: list[Customer],
    contact_emails: list[list[str]],
    experts_by_sector: dict[str, list[str]],
    report: Callable[[str, int, int], None],
) -> tuple[int, int]:
    """Assessment history for every customer; element scores are written in bulk."""
    n_elements = len(elements)
    element_ids = [e.id for e in elements]
    headers: list[Assessment] = []
    values_per_assessment: list[np.ndarray] = []
    total = len(customers)
    for i, customer in enumerate(customers):
        # The customer's hidden binding per element, and how it drifts per year.
        level = rng.beta(2.6, 2.0) * 6
        truth = np.clip(level + rng.normal(0, 1.1, n_elements), 0, 6)
        drift = rng.normal(0, 0.6, n_elements)
        profile = rng.random()
        if profile < 0.06:  # stale: nothing in the last fifteen months
            end_days, years = int(rng.integers(460, 700)), 1.0
        else:
            end_days, years = int(rng.integers(0, 40)), float(rng.uniform(1, 3))
        thin = 0.06 <= profile < 0.14  # one sparse staff assessment only
        start_days = end_days + int(years * 365)

        schedule: list[tuple[str, str, int]] = []
        staff_email = customer.account_manager.email if customer.account_manager else ""
        if thin:
            schedule.append((RespondentKind.STAFF, staff_email, end_days))
        else:
            day = start_days
            while day >= end_days:
                schedule.append((RespondentKind.STAFF, staff_email, day))
                day -= int(rng.integers(150, 260))
            emails = contact_emails[i]
            if emails and rng.random() < 0.75:
                day = start_days - int(rng.integers(0, 120))
                while day >= end_days:
                    schedule.append(
                        (RespondentKind.CUSTOMER, emails[int(rng.integers(len(emails)))], day)
                    )
                    day -= int(rng.integers(300, 420))
            experts = experts_by_sector.get(customer.sector) or []
            if experts and rng.random() < 0.5:
                schedule.append(
                    (
                        RespondentKind.EXPERT,
                        experts[int(rng.integers(len(experts)))],
                        end_days + int(rng.integers(0, 200)),
                    )
                )

        for kind, email, days_ago in schedule:
            elapsed_years = (start_days - days_ago) / 365
            bias = np.array([KIND_BIAS[kind][f] for f in element_factor])
            seen = truth + drift * elapsed_years + bias + rng.normal(0, 0.7, n_elements)
            values = np.clip(np.rint(seen), 0, 6)
            dont_know = rng.random(n_elements) < (0.5 if thin else DONT_KNOW[kind])
            values[dont_know | ~asked[kind]] = np.nan
            values[~asked[kind]] = -1  # marks "not asked": no row at all
            assessed_at = now - timedelta(days=days_ago, hours=int(rng.integers(8, 17)))
            satisfaction = np.nanmean(np.where(element_factor == "satisfaction", seen, np.nan))
            headers.append(
                Assessment(
                    customer=customer,
                    scoring_model=scoring_model,
                    respondent_kind=kind,
                    respondent_email=email,
                    respondent_name="",
                    user=customer.account_manager if kind == RespondentKind.STAFF else None,
                    assessed_at=assessed_at,
                    nps=int(np.clip(round(satisfaction * 10 / 6 + rng.normal(0, 1.2)), 0, 10))
                    if kind == RespondentKind.CUSTOMER
                    else None,
                    source=Assessment.Source.DEMO,
                )
            )
            values_per_assessment.append(values)
        if (i + 1) % 500 == 0 or i + 1 == total:
            report("generating", i + 1, total)

    batch = 5000
    n_scores = 0
    for start in range(0, len(headers), batch):
        created = Assessment.objects.bulk_create(headers[start : start + batch])
        rows = [
            (assessment.pk, element_id, None if np.isnan(value) else int(value), "")
            for assessment, values in zip(
                created, values_per_assessment[start : start + batch], strict=True
            )
            for element_id, value in zip(element_ids, values, strict=True)
            if value != -1  # not asked of this kind: no row at all
        ]
        services.element_scores_insert(rows)
        n_scores += len(rows)
        report("writing", min(start + batch, len(headers)), len(headers))
    return len(headers), n_scores
