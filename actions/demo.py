"""The actions part of ``seed_demo``: a year of improvement actions with effects that are really
there in the data, so the effect report shows something true on ``make run``.

After the portfolio exists this step

1. simulates the survey rounds of the past 18 months (customers, experts and account managers
   answer every two months, not all of them every time), from each customer's hidden level of
   each element: the current stored value pulled towards the customer's mean, so customers
   picked for a low value drift back up by themselves (regression to the mean) as in life;
2. decides a year of actions on customers low on the targeted element, most of them finished,
   some overdue or stuck, a few only proposed;
3. launches one campaign (knowledge event) with a 20 % control group;
4. plants the effects in the answers given after each decision (from 30 days on): an
   IT-integration project +1.5 on IT integration, a knowledge event +1.0, a relationship event
   +0.6, a survey follow-up nothing, a contract renewal talk −0.6 (it backfires) and an
   executive visit +0.4 on every element; account managers score their own actions 0.8
   higher still, which is why staff's view is only information in the report;
5. freezes each action's baseline as the rule gave it at its decision, and refreshes the scores.

Deterministic for a seed, and quick: one pass of the rule per decision week.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from actions.models import (
    Action,
    ActionCampaign,
    ActionStep,
    ActionType,
    CampaignAssignment,
)
from actions.selectors import customer_states
from actions.services import arm_of, campaign_draw
from scoring import calculations, selectors, services
from scoring.conf import rule_params
from scoring.demo import KIND_BIAS
from scoring.models import (
    Assessment,
    Contact,
    Customer,
    Element,
    MarketExpert,
    RespondentKind,
    ScoringModel,
)

DAY = timedelta(days=1)
# Planted effect per action type on what customers and experts score (0–6 scale).
EFFECTS = {
    "it-integration": 1.5,
    "knowledge-event": 1.0,
    "relationship-event": 0.6,
    "satisfaction-followup": 0.0,
    "contract-renewal": -0.6,
    "executive-visit": 0.4,  # on every element: the whole binding
}
STAFF_OPTIMISM = 0.8  # account managers see their own action work better than it does
EFFECT_AFTER = 30  # days from the decision before the effect shows in answers
WAVE_DAYS = list(range(540, -1, -60))  # survey rounds, days before now
CAMPAIGN_DAYS_AGO = 250
SHRINK = 0.6  # hidden level = SHRINK × stored value + (1 − SHRINK) × the customer's mean
Progress = Callable[[str, int, int], None]


@dataclass
class _Treated:
    """Who got which action when: (customer id) → list of (decided_at, code, effect)."""

    effects: dict[int, list[tuple[datetime, str, float]]] = field(default_factory=dict)

    def add(self, customer_id: int, moment: datetime, code: str, effect: float) -> None:
        self.effects.setdefault(customer_id, []).append((moment, code, effect))

    def shift(self, customer_id: int, moment: datetime, codes: list[str]) -> np.ndarray:
        """The planted change of each element in an answer given at ``moment``."""
        change = np.zeros(len(codes))
        for decided_at, code, effect in self.effects.get(customer_id, []):
            if moment >= decided_at + EFFECT_AFTER * DAY:
                if code:
                    change[codes.index(code)] += effect
                else:
                    change += effect
        return change


def _rng(seed: int) -> np.random.Generator:
    # A stream of its own: the portfolio's generator is not disturbed by this step.
    return np.random.default_rng(int(hashlib.sha256(f"actions:{seed}".encode()).hexdigest(), 16))


def _morning(now: datetime, days_ago: int, hour: int = 10) -> datetime:
    day = timezone.localtime(now - days_ago * DAY)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def seed_actions(
    *,
    seed: int,
    now: datetime,
    progress: Progress | None = None,
    per_type: int | None = None,
    campaign_size: int | None = None,
    **_: object,
) -> str:
    """Add the demo's actions, campaign and survey answers; return the summary line.

    ``per_type`` (actions decided by hand per action type) and ``campaign_size`` (customers in
    the campaign) default to a share of the portfolio; the benchmark sets them."""
    report = progress or (lambda stage, done, total: None)
    rng = _rng(seed)
    users = get_user_model().objects
    boss = users.filter(username="directie").first() or users.filter(is_superuser=True).first()
    types = {t.code: t for t in ActionType.objects.all()}
    if boss is None or not all(code in types for code in EFFECTS):
        return "Actions: skipped (the demo users or the seeded action types are missing)."
    model = selectors.scoring_model_active()
    elements = list(Element.objects.filter(scoring_model=model).order_by("order", "pk"))
    codes = [e.code for e in elements]
    factor_of = np.array([e.factor for e in elements])
    asked = {k: np.array([e.is_asked(k) for e in elements]) for k in RespondentKind.values}

    customers = list(
        Customer.objects.filter(active=True, account_manager__isnull=False)
        .select_related("account_manager")
        .order_by("pk")
    )
    states = customer_states([c.pk for c in customers])
    levels: dict[int, np.ndarray] = {}
    for customer in customers:
        state = states.get(customer.pk)
        if state is None:
            continue
        stored = np.array(
            [np.nan if state.value(c) is None else state.value(c) for c in codes], dtype=float
        )
        if np.isnan(stored).all():
            continue
        mean = float(np.nanmean(stored))
        levels[customer.pk] = np.where(
            np.isnan(stored), mean, SHRINK * np.nan_to_num(stored, nan=mean) + (1 - SHRINK) * mean
        )
    pool = [c for c in customers if c.pk in levels]
    if len(pool) < 20:
        return "Actions: skipped (too few scored customers)."
    by_pk = {c.pk: c for c in pool}
    report("actions", 0, 5)

    # The campaign: knowledge event for customers low on knowledge advantage, 20 % control.
    treated = _Treated()
    launched = _morning(now, CAMPAIGN_DAYS_AGO, 9)
    knowledge = types["knowledge-event"]
    stored_k = {
        pk: states[pk].value(knowledge.element_code) for pk in by_pk if states.get(pk) is not None
    }
    target = [pk for pk, v in stored_k.items() if v is not None and v <= 3.5]
    if campaign_size is not None and len(target) < campaign_size:
        # Fill up with the next lowest, so the campaign has the size asked for.
        rest = sorted((v, pk) for pk, v in stored_k.items() if v is not None and pk not in target)
        target += [pk for _v, pk in rest[: campaign_size - len(target)]]
    target = sorted(target)[: campaign_size or max(60, len(pool) // 4)]
    campaign_members = set(target)

    # Manual actions: management picks customers low on the element, spread over a year.
    per_type = per_type or int(np.clip(round(0.12 * len(pool)), 12, 400))
    plans: list[dict] = []
    for code, effect in EFFECTS.items():
        kind = types[code]
        element = kind.element_code
        candidates = [
            pk
            for pk in by_pk
            if not (code == "knowledge-event" and pk in campaign_members)
            and (
                states[pk].value(element) is not None
                if element
                else states[pk].binding_score is not None
            )
        ]
        if element:
            candidates.sort(key=lambda pk: (states[pk].value(element), pk))
        else:
            candidates.sort(key=lambda pk: (states[pk].binding_score, pk))
        low = candidates[: max(per_type, len(candidates) // 2)]
        chosen = rng.choice(len(low), size=min(per_type, len(low)), replace=False)
        for position in sorted(chosen):
            pk = low[int(position)]
            days_ago = int(rng.integers(25, 420))
            plans.append(
                {
                    "customer": pk,
                    "type": kind,
                    "element": element,
                    "decided_at": _morning(now, days_ago, 9 + int(rng.integers(0, 8))),
                    "effect": effect,
                }
            )
    for plan in plans:
        treated.add(plan["customer"], plan["decided_at"], plan["element"], plan["effect"])
    arms: dict[int, str] = {}
    campaign = ActionCampaign(
        name="Kennisdagen 2025",
        action_type=knowledge,
        element_code=knowledge.element_code,
        target_element_max=3.5,
        holdout_pct=20,
        horizon_days=180,
        due_on=timezone.localdate(launched) + timedelta(days=60),
        rationale="Klanten met een lage kennisvoorsprong uitnodigen voor de kennisdagen.",
        created_by=boss,
        launched_at=launched,
    )
    report("actions", 1, 5)

    with transaction.atomic():
        campaign.save()
        for pk in target:
            draw = campaign_draw(campaign.pk, pk)
            arms[pk] = arm_of(draw, campaign.holdout_pct)
            if arms[pk] == "action":
                treated.add(pk, launched, knowledge.element_code, EFFECTS["knowledge-event"])
        CampaignAssignment.objects.bulk_create(
            [
                CampaignAssignment(
                    campaign=campaign,
                    customer_id=pk,
                    arm=arms[pk],
                    draw=campaign_draw(campaign.pk, pk),
                    assigned_at=launched,
                )
                for pk in target
            ]
        )
        answers = _survey_waves(
            rng=rng,
            now=now,
            pool=pool,
            levels=levels,
            treated=treated,
            codes=codes,
            factor_of=factor_of,
            asked=asked,
            model=model,
            elements=elements,
        )
        report("actions", 2, 5)
        actions = _actions(
            rng=rng,
            now=now,
            plans=plans,
            campaign=campaign,
            campaign_treated=[pk for pk in target if arms[pk] == "action"],
            by_pk=by_pk,
            boss=boss,
        )
        report("actions", 3, 5)
        _freeze_baselines(actions, now=now)
        report("actions", 4, 5)
    services.scores_refresh(now=now)
    report("actions", 5, 5)
    control = sum(1 for arm in arms.values() if arm == "control")
    return (
        f"Actions: {len(actions)} improvement actions over a year, campaign "
        f"“{campaign.name}” with {len(target) - control} customers and a control group of "
        f"{control}, {answers} survey answers with the actions' effects in them."
    )


def _survey_waves(
    *,
    rng: np.random.Generator,
    now: datetime,
    pool: list[Customer],
    levels: dict[int, np.ndarray],
    treated: _Treated,
    codes: list[str],
    factor_of: np.ndarray,
    asked: dict[str, np.ndarray],
    model: ScoringModel,
    elements: list[Element],
) -> int:
    """Customers, experts and account managers answer every two months; returns the count."""
    contacts: dict[int, list[str]] = {}
    for customer_id, email in (
        Contact.objects.filter(customer__in=pool, opted_out=False)
        .order_by("customer_id", "pk")
        .values_list("customer_id", "email")
    ):
        contacts.setdefault(customer_id, []).append(email)
    experts_by_sector: dict[str, list[str]] = {}
    for expert in MarketExpert.objects.filter(active=True).order_by("pk"):
        for sector in expert.sectors or []:
            experts_by_sector.setdefault(str(sector), []).append(expert.email)
    many = len(pool) > 2000
    chance = {"customer": 0.25 if many else 0.4, "expert": 0.1 if many else 0.15, "staff": 0.2}
    bias = {k: np.array([KIND_BIAS[k][f] for f in factor_of]) for k in RespondentKind.values}
    headers: list[Assessment] = []
    values_list: list[np.ndarray] = []
    for days_ago in WAVE_DAYS:
        for customer in pool:
            pk = customer.pk
            for kind in ("customer", "expert", "staff"):
                if rng.random() >= chance[kind]:
                    continue
                if kind == "customer":
                    emails = contacts.get(pk)
                    if not emails:
                        continue
                    email = emails[int(rng.integers(len(emails)))]
                elif kind == "expert":
                    emails = experts_by_sector.get(customer.sector)
                    if not emails:
                        continue
                    email = emails[int(rng.integers(len(emails)))]
                else:
                    email = cast(User, customer.account_manager).email
                moment = (
                    _morning(now, days_ago, 8 + int(rng.integers(0, 9)))
                    + int(rng.integers(0, 12)) * DAY
                )
                if moment > now:
                    moment = now - timedelta(minutes=int(rng.integers(5, 600)))
                shift = treated.shift(pk, moment, codes)
                if kind == "staff":
                    shift = shift + np.where(shift != 0, STAFF_OPTIMISM, 0.0)
                seen = levels[pk] + bias[kind] + shift + rng.normal(0, 0.7, len(codes))
                values = np.clip(np.rint(seen), 0, 6)
                values[rng.random(len(codes)) < 0.1] = np.nan
                values[~asked[kind]] = -1  # not asked of this kind: no row at all
                headers.append(
                    Assessment(
                        customer=customer,
                        scoring_model=model,
                        respondent_kind=kind,
                        respondent_email=email,
                        user=customer.account_manager if kind == "staff" else None,
                        assessed_at=moment,
                        source=Assessment.Source.DEMO,
                    )
                )
                values_list.append(values)
    element_ids = [e.id for e in elements]
    for start in range(0, len(headers), 5000):
        # An assessment and its scores in one transaction, as the app writes them: a reader
        # never sees one without the other (the effect report packs each once).
        with transaction.atomic():
            created = Assessment.objects.bulk_create(headers[start : start + 5000])
            services.element_scores_insert(
                [
                    (a.pk, element_id, None if np.isnan(v) else int(v), "")
                    for a, values in zip(created, values_list[start : start + 5000], strict=True)
                    for element_id, v in zip(element_ids, values, strict=True)
                    if v != -1
                ]
            )
    return len(headers)


def _actions(
    *,
    rng: np.random.Generator,
    now: datetime,
    plans: list[dict],
    campaign: ActionCampaign,
    campaign_treated: list[int],
    by_pk: dict[int, Customer],
    boss: User | None,
) -> list[Action]:
    """The actions with their life so far: done, cancelled, running (some late) or proposed."""
    today = timezone.localdate(now)
    outcomes = ["achieved", "partly", "not", "unknown"]
    rows: list[Action] = []
    open_keys: set[tuple[int, int, str]] = set()
    items = [
        {
            "customer": pk,
            "type": campaign.action_type,
            "element": campaign.element_code,
            "decided_at": campaign.launched_at,
            "campaign": campaign,
        }
        for pk in campaign_treated
    ] + plans
    for item in sorted(items, key=lambda i: (i["decided_at"], i["customer"])):
        customer = by_pk[item["customer"]]
        kind: ActionType = item["type"]
        decided_at: datetime = item["decided_at"]
        due_on = timezone.localdate(decided_at) + timedelta(days=kind.default_duration_days)
        action = Action(
            customer=customer,
            action_type=kind,
            element_code=item["element"],
            title=(item.get("campaign").name if item.get("campaign") else kind.name_nl)[:200],
            rationale="",
            origin=Action.Origin.CAMPAIGN if item.get("campaign") else Action.Origin.WALL,
            campaign=item.get("campaign"),
            owner=customer.account_manager,
            due_on=due_on,
            proposed_by=boss,
            proposed_at=decided_at - int(rng.integers(0, 6)) * DAY,
            decided_by=boss,
            decided_at=decided_at,
        )
        draw = rng.random()
        late = due_on < today
        campaign_action = item.get("campaign") is not None
        if late and draw < 0.88:
            action.status = Action.Status.DONE
            action.started_at = decided_at + 3 * DAY
            finished = min(due_on + int(rng.integers(-20, 15)) * DAY, today)
            action.completed_at = timezone.make_aware(
                datetime.combine(finished, datetime.min.time()).replace(hour=16)
            )
            action.completed_at = max(action.completed_at, action.started_at)
            action.outcome = outcomes[int(rng.choice(4, p=[0.5, 0.25, 0.15, 0.1]))]
        elif not campaign_action and ((late and draw < 0.94) or (not late and draw < 0.05)):
            action.status = Action.Status.CANCELLED
            action.cancelled_at = min(decided_at + int(rng.integers(5, 40)) * DAY, now)
            action.cancelled_by = boss
            action.cancel_reason = "Klant had geen tijd."
        else:
            # Still running: late ones are overdue or stuck, recent ones on track.
            action.status = Action.Status.IN_PROGRESS if draw < 0.7 or late else Action.Status.OPEN
            if action.status == Action.Status.IN_PROGRESS:
                action.started_at = min(decided_at + 3 * DAY, now)
        key = (customer.pk, kind.pk, action.element_code)
        if action.status in (Action.Status.OPEN, Action.Status.IN_PROGRESS):
            if key in open_keys:
                action.status = Action.Status.CANCELLED
                action.cancelled_at = decided_at + DAY
                action.cancelled_by = boss
                action.started_at = None
            else:
                open_keys.add(key)
        rows.append(action)
    # A few fresh proposals that wait for management's decision.
    for customer_id in sorted(by_pk)[:: max(1, len(by_pk) // 6)][:6]:
        kind = ActionType.objects.get(code="relationship-event")
        key = (customer_id, kind.pk, kind.element_code)
        if key in open_keys:
            continue
        open_keys.add(key)
        rows.append(
            Action(
                customer=by_pk[customer_id],
                action_type=kind,
                element_code=kind.element_code,
                title=kind.name_nl,
                origin=Action.Origin.GAP,
                owner=by_pk[customer_id].account_manager,
                due_on=today + timedelta(days=kind.default_duration_days),
                proposed_by=boss,
                proposed_at=now - int(rng.integers(1, 10)) * DAY,
            )
        )
    created = Action.objects.bulk_create(rows, batch_size=1000)
    steps = []
    for action in created:
        checklist = action.action_type.checklist
        done_until = (
            len(checklist)
            if action.status == Action.Status.DONE
            else int(rng.integers(1, max(2, len(checklist))))
            if action.status == Action.Status.IN_PROGRESS
            else 0
        )
        for position, step in enumerate(checklist, start=1):
            ticked = position <= done_until
            steps.append(
                ActionStep(
                    action=action,
                    position=position,
                    text_nl=step.get("nl", ""),
                    text_en=step.get("en", ""),
                    done_at=cast(datetime, action.started_at or action.decided_at) + position * DAY
                    if ticked
                    else None,
                    done_by=action.owner if ticked else None,
                )
            )
    ActionStep.objects.bulk_create(steps, batch_size=5000)
    return created


def _decided(action: Action) -> datetime:
    """The decision moment of an action known to be decided."""
    return cast(datetime, action.decided_at)


def _freeze_baselines(actions: list[Action], *, now: datetime) -> None:
    """Each decided action's baseline as the rule gave it at the decision (one pass of the
    rule per decision week, over the customers decided that week)."""
    params = rule_params()
    decided = [a for a in actions if a.decided_at is not None]
    if not decided:
        return
    model = selectors.scoring_model_active()
    elements = selectors.elements_frame(model)
    first = min(_decided(a) for a in decided)
    customer_ids = sorted({a.customer_id for a in decided})
    assessments, scores = selectors.assessment_frames(
        start=params.window_start(first), end=now, customer_ids=customer_ids
    )
    by_week: dict[int, list[Action]] = {}
    for action in decided:
        by_week.setdefault(int((now - _decided(action)).days // 7), []).append(action)
    fields = [
        "baseline_model_version",
        "baseline_score",
        "baseline_band",
        "baseline_coverage",
        "baseline_value",
        "baseline_staff",
        "baseline_customer",
        "baseline_expert",
    ]
    for week in by_week.values():
        moment = max(_decided(a) for a in week)
        ids = sorted({a.customer_id for a in week})
        result = calculations.compute_portfolio(
            assessments, scores, elements, now=moment, params=params, customer_ids=ids
        )
        for action in week:
            row = result.scores.loc[action.customer_id]
            code = action.element_code

            def number(value: Any) -> float | None:
                return None if pd.isna(value) else float(value)

            score = number(row["binding_score"])
            action.baseline_model_version = model.version
            action.baseline_score = score
            action.baseline_band = str(row["band"] or "")
            action.baseline_coverage = number(row["coverage"])
            if code:
                action.baseline_value = number(result.element_values.loc[action.customer_id, code])
                for kind in ("staff", "customer", "expert"):
                    setattr(
                        action,
                        f"baseline_{kind}",
                        number(result.kind_means.loc[action.customer_id, (kind, code)]),
                    )
            else:
                action.baseline_value = score
    Action.objects.bulk_update(decided, fields, batch_size=1000)
