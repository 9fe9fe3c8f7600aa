"""The relations part of the demo portfolio (a ``seed_demo`` step): a year of contacts, the
segments and a year of their monthly history, relationship types believed and wanted, and
departures with the three sets of reasons. Deterministic for a seed; bulk writes only.

The reasons follow the well-known survey: customers who left named service about 70 % of the
time and price 25 %; the sellers believed 20 % service and 50 % price.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, DateTimeField, Value, When
from django.utils import timezone

from relations import calculations
from relations.models import (
    CadenceTarget,
    ContactKind,
    ContactMoment,
    CustomerSegment,
    Departure,
    DepartureReason,
    Perspective,
    ReasonSet,
    RelationshipBelief,
    RelationshipType,
    RelationshipWish,
    Segment,
    SegmentHistory,
)
from relations.selectors.segments import month_start, rule_specs, segment_frame
from relations.services.cadence import cadence_refresh
from relations.services.segments import segments_assign
from scoring.calculations import state_at
from scoring.models import Assessment, Contact, Customer, RespondentKind, ScoreSnapshot
from scoring.roles import MANAGEMENT

SUMMARIES = {
    ContactKind.VISIT: [
        "Kwartaaloverleg op locatie",
        "Kennismaking nieuwe inkoper",
        "Rondleiding productie, nieuwe lijn besproken",
        "Evaluatie leveringen afgelopen periode",
        "Jaarplan en volumes doorgenomen",
    ],
    ContactKind.CALL: [
        "Even bijgepraat over de bestellingen",
        "Vraag over levertijd beantwoord",
        "Nagebeld na levering",
        "Prijsafspraken voor volgend kwartaal",
        "Klacht over verpakking opgevolgd",
    ],
    ContactKind.VIDEO_CALL: ["Teams-overleg over het project", "Online demo nieuw assortiment"],
    ContactKind.EMAIL: ["Offerte nagestuurd", "Nieuwsbrief met persoonlijke noot", "Factuurvraag"],
    ContactKind.EVENT: ["Gesproken op de vakbeurs", "Klantendag bezocht", "Netwerkborrel"],
    ContactKind.NOTE: ["Interne notitie: risico op vertrek", "Intern: prijsverhoging voorbereiden"],
}
COMPETITORS = ["Van Leeuwen Groep", "NordSupply", "Delta Partners", "Budgetgroothandel", ""]
# How well each customer is kept in touch: a contact every target × factor days.
DILIGENCE = {"regular": (0.65, 0.8), "slipping": (0.25, 1.4), "neglected": (0.10, 3.5)}
STATED = {"service": 0.70, "price": 0.25, "quality": 0.25, "competitor_offer": 0.15,
          "champion_left": 0.15, "contract_end": 0.08, "no_longer_needed": 0.05}  # fmt: skip
BELIEVED = {"price": 0.50, "competitor_offer": 0.35, "service": 0.20, "quality": 0.10,
            "contract_end": 0.12, "champion_left": 0.08, "no_longer_needed": 0.05}  # fmt: skip


def seed_relations(
    *,
    seed: int,
    now: datetime,
    progress: Callable[[str, int, int], None] | None = None,
    contacts_total: int | None = None,
) -> str:
    """Add the relations demo data; ``contacts_total`` caps the contacts (the benchmark asks
    for exactly that many by giving a larger mean)."""
    rng = np.random.default_rng(seed + 14)
    report = progress or (lambda stage, done, total: None)
    today = timezone.localdate(now)
    segments_assign(now=now, refresh_cadence="none")
    contacts = _seed_contacts(rng, now, today, contacts_total, report)
    departures = _seed_departures(rng, now, today)
    history = _seed_segment_history(rng, now, today)
    cadence_refresh(now=now)
    beliefs, wishes = _seed_types(rng, now)
    return (
        f"Relations: {contacts} contacts, {history} monthly segment records, {beliefs} believed "
        f"and {wishes} wanted relationship types, {departures} departures."
    )


def _seed_contacts(
    rng: np.random.Generator,
    now: datetime,
    today: date,
    contacts_total: int | None,
    report: Callable[[str, int, int], None],
) -> int:
    customers = list(
        Customer.objects.filter(active=True)
        .order_by("pk")
        .values_list("pk", "account_manager_id", "segment_assignment__segment_id")
    )
    targets: dict[int, list[tuple[str, int]]] = {}
    for segment_id, kind, target in CadenceTarget.objects.values_list(
        "segment_id", "kind", "target_days"
    ):
        targets.setdefault(segment_id, []).append((kind, target))
    persons: dict[int, list[int]] = {}
    for pk, customer_id in Contact.objects.values_list("pk", "customer_id"):
        persons.setdefault(customer_id, []).append(pk)
    names, weights = zip(*[(k, w) for k, (w, _f) in DILIGENCE.items()], strict=True)
    factors = {k: f for k, (_w, f) in DILIGENCE.items()}
    extra_kinds = [ContactKind.EMAIL, ContactKind.VIDEO_CALL, ContactKind.EVENT, ContactKind.NOTE]
    rows: list[tuple[int, str, float, int | None]] = []  # customer, kind, days ago, manager
    for customer_id, manager_id, segment_id in customers:
        habit = names[rng.choice(len(names), p=np.array(weights) / sum(weights))]
        factor = factors[habit]
        for kind, target in targets.get(segment_id, []):
            step = target * factor
            # The last one: recent for a regular habit, long ago for a neglected one.
            day = rng.uniform(0, step * 1.1)
            while day < 365:
                rows.append((customer_id, kind, day, manager_id))
                day += max(1.0, rng.normal(step, step * 0.25))
        for _ in range(int(rng.poisson(4))):
            kind = extra_kinds[int(rng.integers(len(extra_kinds)))]
            rows.append((customer_id, kind, float(rng.uniform(0, 365)), manager_id))
    if contacts_total is not None and len(rows) > contacts_total:
        keep = np.sort(rng.choice(len(rows), size=contacts_total, replace=False))
        rows = [rows[i] for i in keep]
    elif contacts_total is not None and customers:
        while len(rows) < contacts_total:  # more e-mails and events, spread over everyone
            customer_id, manager_id, _segment = customers[int(rng.integers(len(customers)))]
            kind = extra_kinds[int(rng.integers(len(extra_kinds)))]
            rows.append((customer_id, kind, float(rng.uniform(0, 365)), manager_id))
    user_field = f"{get_user_model()._meta.model_name}_id"
    staff_through = ContactMoment.staff.through
    persons_through = ContactMoment.contact_persons.through
    batch = 20_000
    written = 0
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        hours = rng.integers(8, 18, len(part))
        moments = [
            ContactMoment(
                customer_id=customer_id,
                kind=kind,
                at=now - timedelta(days=float(days), hours=int(hour) - 12),
                summary=SUMMARIES[ContactKind(kind)][
                    int(rng.integers(len(SUMMARIES[ContactKind(kind)])))
                ],
                logged_by_id=manager_id,
                source=ContactMoment.Source.DEMO,
            )
            for (customer_id, kind, days, manager_id), hour in zip(part, hours, strict=True)
        ]
        for moment in moments:  # never in the future, whatever the hour
            moment.at = min(moment.at, now)
        with transaction.atomic():
            created = ContactMoment.objects.bulk_create(moments, batch_size=5000)
            staff_through.objects.bulk_create(
                [
                    staff_through(contactmoment_id=m.pk, **{user_field: m.logged_by_id})
                    for m in created
                    if m.logged_by_id
                ],
                batch_size=10_000,
            )
            links = []
            for m in created:
                people = persons.get(m.customer_id)
                if people and m.kind != ContactKind.NOTE and rng.random() < 0.6:
                    links.append(
                        persons_through(
                            contactmoment_id=m.pk, contact_id=people[int(rng.integers(len(people)))]
                        )
                    )
            persons_through.objects.bulk_create(links, batch_size=10_000)
        written += len(created)
        report("contacts", written, len(rows))
    return written


def _seed_segment_history(rng: np.random.Generator, now: datetime, today: date) -> int:
    """Twelve months back plus this one: the rules over the values of then (revenue drifts,
    payment behaviour changes now and then) and the band of then."""
    frame = segment_frame()
    if frame.empty:
        return 0
    rules = rule_specs()
    snapshots = pd.DataFrame(
        list(
            ScoreSnapshot.objects.filter(customer_id__in=list(frame.index))
            .order_by("customer_id", "computed_at")
            .values_list("customer_id", "computed_at", "binding_score", "band")
        ),
        columns=["customer_id", "computed_at", "binding_score", "band"],
    )
    snapshots["computed_at"] = pd.to_datetime(snapshots["computed_at"], utc=True)
    overrides = dict(
        CustomerSegment.objects.filter(override__isnull=False).values_list(
            "customer_id", "override_id"
        )
    )
    rows = []
    payments = np.array(["good", "average", "poor"], dtype=object)
    month = month_start(today)
    for back in range(12, -1, -1):
        index = month.year * 12 + month.month - 1 - back
        first = date(index // 12, index % 12 + 1, 1)
        moment = timezone.make_aware(datetime.combine(first, time(3)))
        then = frame.copy()
        if back:
            drift = rng.lognormal(0, 0.08 * back**0.5, len(then))
            then["revenue"] = then["revenue"] * drift
            changed = rng.random(len(then)) < 0.015 * back
            then.loc[changed, "payment"] = payments[rng.integers(0, 3, int(changed.sum()))]
        bands = state_at(snapshots, min(moment, now))["band"] if len(snapshots) else pd.Series()
        then["band"] = bands.reindex(then.index).fillna("").astype(object)
        segment_ids, _which = calculations.assign_segments(then, rules)
        for customer_id, segment_id, band in zip(
            then.index, segment_ids, then["band"], strict=True
        ):
            segment = overrides.get(int(customer_id), int(segment_id) if segment_id >= 0 else None)
            rows.append(
                SegmentHistory(
                    customer_id=int(customer_id), month=first, segment_id=segment, band=band
                )
            )
    # This month is the segments in force now, as the monthly task records them.
    current = dict(CustomerSegment.objects.values_list("customer_id", "segment_id"))
    for row in rows:
        if row.month == month:
            row.segment_id = current.get(row.customer_id, row.segment_id)
    with transaction.atomic():
        SegmentHistory.objects.bulk_create(rows, batch_size=10_000, ignore_conflicts=True)
    return len(rows)


def _seed_types(rng: np.random.Generator, now: datetime) -> tuple[int, int]:
    """Types believed for most customers; the newest customer answer of many customers says
    which one they want (the same in about two cases out of three)."""
    types = list(RelationshipType.objects.filter(active=True).order_by("order"))
    if not types:
        return 0, 0
    weights = np.array([3, 3, 2, 1, 1, 1][: len(types)], dtype=float)
    weights = np.pad(weights, (0, len(types) - len(weights)), constant_values=1)
    weights /= weights.sum()
    customers = list(
        Customer.objects.filter(active=True).order_by("pk").values_list("pk", "account_manager_id")
    )
    believed: dict[int, int] = {}
    beliefs = []
    for customer_id, manager_id in customers:
        if rng.random() < 0.75:
            pick = types[int(rng.choice(len(types), p=weights))]
            believed[customer_id] = pick.pk
            beliefs.append(
                RelationshipBelief(
                    customer_id=customer_id,
                    type=pick,
                    set_by_id=manager_id,
                    set_at=now - timedelta(days=float(rng.uniform(5, 200))),
                )
            )
    latest: dict[int, tuple[int, datetime]] = {}
    for pk, customer_id, at in (
        Assessment.objects.filter(respondent_kind=RespondentKind.CUSTOMER, customer__active=True)
        .order_by("customer_id", "assessed_at")
        .values_list("pk", "customer_id", "assessed_at")
    ):
        latest[customer_id] = (pk, at)
    wishes = []
    for customer_id, (assessment_id, at) in latest.items():
        if rng.random() >= 0.7:
            continue
        same = believed.get(customer_id)
        if same is not None and rng.random() < 0.65:
            type_id = same
        else:
            type_id = types[int(rng.choice(len(types), p=weights))].pk
        wishes.append(
            RelationshipWish(
                assessment_id=assessment_id,
                customer_id=customer_id,
                type_id=type_id,
                answered_at=at,
            )
        )
    with transaction.atomic():
        RelationshipBelief.objects.bulk_create(beliefs, batch_size=5000)
        RelationshipWish.objects.bulk_create(wishes, batch_size=5000)
    return len(beliefs), len(wishes)


def _reasons(rng: np.random.Generator, chances: dict[str, float], codes: set[str]) -> list[str]:
    """One to three reasons, each named with its chance (at least the likeliest one)."""
    picked = [code for code, p in chances.items() if code in codes and rng.random() < p]
    if not picked:
        names = [c for c in chances if c in codes]
        p = np.array([chances[c] for c in names])
        picked = [names[int(rng.choice(len(names), p=p / p.sum()))]]
    return picked[:3]


def _seed_departures(rng: np.random.Generator, now: datetime, today: date) -> int:
    """Every inactive customer left fully; a few active ones left partly or downgraded. Most
    have the three sets of reasons; some wait for one."""
    codes = set(DepartureReason.objects.filter(active=True).values_list("code", flat=True))
    if not codes:
        return 0
    boss = get_user_model().objects.filter(groups__name=MANAGEMENT).order_by("pk").first()
    segment_of = dict(CustomerSegment.objects.values_list("customer_id", "segment_id"))
    default_segment = Segment.objects.order_by("order").values_list("pk", flat=True).first()
    leavers = list(
        Customer.objects.filter(active=False)
        .order_by("pk")
        .values_list("pk", "account_manager_id", "annual_revenue")
    )
    active = list(
        Customer.objects.filter(active=True)
        .order_by("pk")
        .values_list("pk", "account_manager_id", "annual_revenue")
    )
    # Besides the customers that are inactive already, a few more leave fully and a few
    # leave partly or downgrade (those stay active).
    count = min(len(active), max(4, len(active) // 50))
    picked = (
        [active[int(i)] for i in rng.choice(len(active), 2 * count, replace=False)]
        if len(active) >= 2 * count
        else []
    )
    leaving, partial = picked[:count], picked[count:]
    if leaving:
        Customer.objects.filter(pk__in=[row[0] for row in leaving]).update(active=False)
    plans = [(row, Departure.Kind.FULL) for row in [*leavers, *leaving]] + [
        (row, Departure.Kind.PARTIAL if n % 2 else Departure.Kind.DOWNGRADE)
        for n, row in enumerate(partial)
    ]
    departures = []
    for n, ((customer_id, manager_id, revenue), kind) in enumerate(plans):
        left = today - timedelta(days=int(rng.integers(10, 330)))
        if n >= len(plans) - 2:  # two left in the last weeks: their alerts are still open
            left = today - timedelta(days=int(rng.integers(3, 21)))
        share = Decimal(1) if kind == Departure.Kind.FULL else Decimal(str(rng.uniform(0.2, 0.6)))
        departures.append(
            Departure(
                customer_id=customer_id,
                kind=kind,
                decided_on=left - timedelta(days=int(rng.integers(7, 90))),
                left_on=left,
                revenue_lost=(Decimal(revenue) * share).quantize(Decimal("1")),
                competitor=COMPETITORS[int(rng.integers(len(COMPETITORS)))],
                segment_id=segment_of.get(customer_id, default_segment),
                account_manager_id=manager_id,
                recorded_by=boss,
            )
        )
    with transaction.atomic():
        created = Departure.objects.bulk_create(departures)
        # Recorded the afternoon they left (``recorded_at`` is set on saving): the alerts'
        # "departure recorded" rule then sees the recent ones as it would have at the time.
        Departure.objects.filter(pk__in=[d.pk for d in created]).update(
            recorded_at=Case(
                *[
                    When(
                        pk=d.pk,
                        then=Value(
                            min(timezone.make_aware(datetime.combine(d.left_on, time(15))), now)
                        ),
                    )
                    for d in created
                ],
                output_field=DateTimeField(),
            )
        )
        sets = []
        for departure in created:
            recorded = timezone.make_aware(datetime.combine(departure.left_on, time(15)))
            recorded = min(recorded + timedelta(days=int(rng.integers(1, 20))), now)
            if rng.random() < 0.9:
                sets.append(
                    ReasonSet(
                        departure=departure,
                        perspective=Perspective.ACCOUNT_MANAGER,
                        reasons=_reasons(rng, BELIEVED, codes),
                        source=ReasonSet.Source.DEMO,
                        recorded_by_id=departure.account_manager_id,
                        recorded_at=recorded,
                    )
                )
            if rng.random() < 0.9:
                sets.append(
                    ReasonSet(
                        departure=departure,
                        perspective=Perspective.MANAGEMENT,
                        reasons=_reasons(rng, BELIEVED, codes),
                        source=ReasonSet.Source.DEMO,
                        recorded_by=boss,
                        recorded_at=recorded,
                    )
                )
            if rng.random() < 0.85:
                sets.append(
                    ReasonSet(
                        departure=departure,
                        perspective=Perspective.STATED,
                        reasons=_reasons(rng, STATED, codes),
                        source=ReasonSet.Source.DEMO,
                        recorded_by=boss,
                        recorded_at=min(recorded + timedelta(days=7), now),
                    )
                )
        ReasonSet.objects.bulk_create(sets)
    return len(created)


def link_contacts_to_actions(
    *, seed: int, now: datetime, progress: Callable[[str, int, int], None] | None = None
) -> str:
    """A ``seed_demo`` step after the actions and the contacts exist: about two in three
    decided actions get the first visit or call with their customer after the decision as the
    contact that served them (and a second one now and then). Bulk writes only."""
    from actions.models import DECIDED_STATUSES, Action

    rng = np.random.default_rng(seed + 1415)
    decided = list(
        Action.objects.filter(status__in=DECIDED_STATUSES, decided_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "customer_id", "decided_at")
    )
    if not decided:
        return "Relations: no decided actions to link contacts to."
    customers = sorted({customer_id for _, customer_id, _ in decided})
    earliest = min(at for _, _, at in decided if at is not None)
    contacts = pd.DataFrame(
        list(
            ContactMoment.objects.filter(
                customer_id__in=customers,
                at__gte=earliest,
                kind__in=[ContactKind.VISIT, ContactKind.CALL, ContactKind.VIDEO_CALL],
                action__isnull=True,
            )
            .order_by("customer_id", "at", "pk")
            .values_list("pk", "customer_id", "at")
        ),
        columns=["pk", "customer_id", "at"],
    )
    by_customer = {c: rows for c, rows in contacts.groupby("customer_id")} if len(contacts) else {}
    taken: set[int] = set()
    links: list[ContactMoment] = []
    for action_id, customer_id, decided_at in decided:
        if rng.random() >= 2 / 3 or customer_id not in by_customer:
            continue
        rows = by_customer[customer_id]
        after = [
            int(pk)
            for pk, at in zip(rows["pk"], rows["at"], strict=True)
            if at >= decided_at and int(pk) not in taken
        ]
        for pk in after[: 2 if rng.random() < 0.3 else 1]:
            taken.add(pk)
            links.append(ContactMoment(pk=pk, action_id=action_id))
    ContactMoment.objects.bulk_update(links, ["action"], batch_size=2000)
    if progress:
        progress("contacts for actions", 1, 1)
    return f"Relations: {len(links)} contacts linked to the actions they served."
