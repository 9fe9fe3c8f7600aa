"""Reads about actions: who sees which, the baseline, "My actions", the board, one action.

Every page's read runs a fixed number of queries whatever the number of actions or customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation

from actions.models import (
    OPEN_STATUSES,
    Action,
    ActionCampaign,
    ActionStep,
    ActionType,
    CampaignAssignment,
)
from scoring.calculations import KINDS
from scoring.models import Customer, Element, ScoreSnapshot
from scoring.roles import is_management
from scoring.selectors import customers_visible_to, scoring_model_active

# Days before the due date an action counts as due soon, and past it as stuck.
DUE_SOON_DAYS = 7
STUCK_DAYS = 30
BASELINE_FIELDS = (
    "baseline_model_version",
    "baseline_score",
    "baseline_band",
    "baseline_coverage",
    "baseline_value",
    "baseline_staff",
    "baseline_customer",
    "baseline_expert",
)
BOARD_LIMIT = 50  # actions shown per status column


# --------------------------------------------------------------------------------------------
# Elements of the active model
# --------------------------------------------------------------------------------------------


def active_elements() -> list[Element]:
    """The active scoring model's elements in matrix order."""
    return list(
        Element.objects.filter(scoring_model=scoring_model_active()).order_by("order", "pk")
    )


def active_element_codes() -> list[str]:
    return [e.code for e in active_elements()]


def element_names() -> dict[str, str]:
    """Element code → name in the active language ("" → the whole binding)."""
    from django.utils.translation import gettext as _

    names = {e.code: e.name for e in active_elements()}
    names[""] = _("Whole binding")
    return names


def element_choices(*, whole_binding: bool = True) -> list[tuple[str, str]]:
    """The form choices for an action's element: the active model's, then the whole binding."""
    from django.utils.translation import gettext as _

    choices = [(e.code, e.name) for e in active_elements()]
    if whole_binding:
        choices.append(("", _("Whole binding")))
    return choices


# --------------------------------------------------------------------------------------------
# Visibility
# --------------------------------------------------------------------------------------------


def actions_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Action]:
    """All actions for management; an account manager's own customers' actions and the actions
    they own; nothing otherwise."""
    if is_management(user):
        return Action.objects.all()
    if not user.is_authenticated:
        return Action.objects.none()
    return Action.objects.filter(
        Q(customer__in=customers_visible_to(user).values("pk")) | Q(owner=user)
    )


# --------------------------------------------------------------------------------------------
# The state of a customer from its current stored score
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerState:
    """A customer's current stored score and its element values, overall and per kind."""

    binding_score: float | None
    band: str
    coverage: float | None
    model_version: int | None
    values: Mapping[str, Mapping[str, float | None]]  # block ("elements", kinds) → code → v

    def value(self, code: str, block: str = "elements") -> float | None:
        if not code:  # the whole binding: the score itself, no per-kind split
            return self.binding_score if block == "elements" else None
        return self.values.get(block, {}).get(code)


EMPTY_STATE = CustomerState(None, "", None, None, {})


def _codes_by_model(model_ids: Iterable[int]) -> dict[int, list[str]]:
    codes: dict[int, list[str]] = {}
    for model_id, code in (
        Element.objects.filter(scoring_model_id__in=set(model_ids))
        .order_by("scoring_model_id", "order", "pk")
        .values_list("scoring_model_id", "code")
    ):
        codes.setdefault(model_id, []).append(code)
    return codes


def customer_states(customer_ids: Sequence[int]) -> dict[int, CustomerState]:
    """Each customer's current stored score with its element values (two queries)."""
    snapshots = list(
        ScoreSnapshot.objects.filter(customer_id__in=list(customer_ids), is_current=True)
        .select_related("scoring_model")
        .only(
            "customer_id",
            "binding_score",
            "band",
            "coverage",
            "details",
            "scoring_model__id",
            "scoring_model__version",
        )
    )
    codes = _codes_by_model(s.scoring_model_id for s in snapshots)
    states = {}
    for snapshot in snapshots:
        model_codes = codes.get(snapshot.scoring_model_id, [])
        states[snapshot.customer_id] = CustomerState(
            binding_score=snapshot.binding_score,
            band=snapshot.band,
            coverage=snapshot.coverage,
            model_version=snapshot.scoring_model.version,
            values={
                block: snapshot.element_values(model_codes, block) for block in ("elements", *KINDS)
            },
        )
    return states


def _baseline(state: CustomerState, element_code: str) -> dict[str, object]:
    return {
        "baseline_model_version": state.model_version,
        "baseline_score": state.binding_score,
        "baseline_band": state.band or "",
        "baseline_coverage": state.coverage,
        "baseline_value": state.value(element_code),
        "baseline_staff": state.value(element_code, "staff"),
        "baseline_customer": state.value(element_code, "customer"),
        "baseline_expert": state.value(element_code, "expert"),
    }


def baseline_of(customer: Customer, element_code: str) -> dict[str, object]:
    """The baseline an action freezes when decided, from the customer's current stored score."""
    state = customer_states([customer.pk]).get(customer.pk, EMPTY_STATE)
    return _baseline(state, element_code)


def baselines_for(customer_ids: Sequence[int], element_code: str) -> dict[int, dict]:
    """The baselines of many customers at once (a campaign's launch)."""
    states = customer_states(customer_ids)
    return {pk: _baseline(states.get(pk, EMPTY_STATE), element_code) for pk in customer_ids}


# --------------------------------------------------------------------------------------------
# Campaign control groups
# --------------------------------------------------------------------------------------------


def blocking_campaign(
    *, customer_id: int, action_type_id: int, now: datetime
) -> tuple[ActionCampaign, datetime] | None:
    """The campaign whose control group holds this customer for this action type now, and
    until when; None when there is none."""
    assignments = CampaignAssignment.objects.filter(
        customer_id=customer_id,
        arm=CampaignAssignment.Arm.CONTROL,
        campaign__action_type_id=action_type_id,
        campaign__launched_at__lte=now,
    ).select_related("campaign")
    for assignment in assignments:
        campaign = assignment.campaign
        until = campaign.launched_at + timedelta(days=campaign.horizon_days)
        if now < until:
            return campaign, until
    return None


# --------------------------------------------------------------------------------------------
# "My actions"
# --------------------------------------------------------------------------------------------


def timeliness(due_on: date, today: date) -> str:
    """on_track, due_soon (within 7 days), overdue, or stuck (more than 30 days past due)."""
    if due_on < today - timedelta(days=STUCK_DAYS):
        return "stuck"
    if due_on < today:
        return "overdue"
    if due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "on_track"


TIMELINESS_ORDER = ("stuck", "overdue", "due_soon", "on_track")


@dataclass(frozen=True)
class ActionRow:
    """One action as a list shows it."""

    action: Action
    element_name: str
    timeliness: str  # "" for finished actions
    steps_done: int
    steps_total: int

    @property
    def days_late(self) -> int:
        return max(0, (timezone.localdate() - self.action.due_on).days)


@dataclass(frozen=True)
class MyActions:
    """An account manager's actions: running ones by timeliness (overdue first), proposals
    waiting for management, and those finished in the last 90 days."""

    running: tuple[ActionRow, ...]
    counts: Mapping[str, int]
    proposed: tuple[ActionRow, ...]
    finished: tuple[ActionRow, ...]


def _rows(actions: Sequence[Action], today: date) -> list[ActionRow]:
    """Actions with their element name, timeliness and checklist progress (one query)."""
    names = element_names()
    progress: dict[int, tuple[int, int]] = {
        pk: (done, total)
        for pk, done, total in ActionStep.objects.filter(action__in=[a.pk for a in actions])
        .values("action")
        .annotate(done=Count("pk", filter=Q(done_at__isnull=False)), total=Count("pk"))
        .values_list("action", "done", "total")
    }
    rows = []
    for action in actions:
        done, total = progress.get(action.pk, (0, 0))
        running = action.status in (Action.Status.OPEN, Action.Status.IN_PROGRESS)
        rows.append(
            ActionRow(
                action=action,
                element_name=names.get(action.element_code, action.element_code),
                timeliness=timeliness(action.due_on, today) if running else "",
                steps_done=done,
                steps_total=total,
            )
        )
    return rows


def my_actions(user: AbstractBaseUser, *, today: date | None = None) -> MyActions:
    """The actions the user owns, visible to them (a fixed number of queries)."""
    today = today or timezone.localdate()
    mine = (
        actions_visible_to(user)
        .filter(owner_id=user.pk)
        .select_related("customer", "action_type")
        .order_by("due_on", "pk")
    )
    running = list(mine.filter(status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS]))
    proposed = list(mine.filter(status=Action.Status.PROPOSED))
    finished = list(
        mine.filter(
            Q(status=Action.Status.DONE, completed_at__gte=timezone.now() - timedelta(days=90))
            | Q(
                status=Action.Status.CANCELLED,
                cancelled_at__gte=timezone.now() - timedelta(days=90),
            )
        ).order_by("-updated_at")
    )
    rows = _rows([*running, *proposed, *finished], today)
    running_rows = rows[: len(running)]
    running_rows.sort(key=lambda r: (TIMELINESS_ORDER.index(r.timeliness), r.action.due_on))
    counts = {key: 0 for key in TIMELINESS_ORDER}
    for row in running_rows:
        counts[row.timeliness] += 1
    return MyActions(
        running=tuple(running_rows),
        counts=counts,
        proposed=tuple(rows[len(running) : len(running) + len(proposed)]),
        finished=tuple(rows[len(running) + len(proposed) :]),
    )


# --------------------------------------------------------------------------------------------
# The board (management)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    element: str | None = None  # None: any; "" the whole binding
    owner_id: int | None = None
    action_type_id: int | None = None
    band: str = ""  # the customer's current band


@dataclass(frozen=True)
class BoardColumn:
    status: str
    label: str
    count: int
    rows: tuple[ActionRow, ...]


@dataclass(frozen=True)
class Board:
    columns: tuple[BoardColumn, ...]
    total: int


def board(filters: BoardFilters, *, today: date | None = None) -> Board:
    """All actions by status, filtered; each column its count and its first BOARD_LIMIT."""
    today = today or timezone.localdate()
    actions = Action.objects.all()
    if filters.element is not None:
        actions = actions.filter(element_code=filters.element)
    if filters.owner_id:
        actions = actions.filter(owner_id=filters.owner_id)
    if filters.action_type_id:
        actions = actions.filter(action_type_id=filters.action_type_id)
    if filters.band:
        actions = actions.filter(
            customer__snapshots__is_current=True, customer__snapshots__band=filters.band
        )
    counts = dict(actions.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    columns_rows: dict[str, list[Action]] = {}
    for status in Action.Status.values:
        order = ["due_on", "pk"] if status in OPEN_STATUSES else ["-updated_at", "-pk"]
        if not counts.get(status):
            columns_rows[status] = []
            continue
        columns_rows[status] = list(
            actions.filter(status=status)
            .select_related("customer", "action_type", "owner")
            .order_by(*order)[:BOARD_LIMIT]
        )
    every = [a for status in Action.Status.values for a in columns_rows[status]]
    rows = {row.action.pk: row for row in _rows(every, today)}
    columns = tuple(
        BoardColumn(
            status=status,
            label=str(label),
            count=counts.get(status, 0),
            rows=tuple(rows[a.pk] for a in columns_rows[status]),
        )
        for status, label in Action.Status.choices
    )
    return Board(columns=columns, total=sum(counts.values()))


# --------------------------------------------------------------------------------------------
# One action, and the customer page
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Baseline against today for one line (a kind, or the element's value, or the score)."""

    key: str
    label: str
    baseline: float | None
    today: float | None

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.today is None:
            return None
        return self.today - self.baseline


def comparisons(action: Action, state: CustomerState) -> list[Comparison]:
    """The action's baseline next to today's values: the element per kind, then the score."""
    from django.utils.translation import gettext as _

    from scoring.models import RespondentKind

    lines = []
    if action.element_code:
        lines.append(
            Comparison(
                "value", _("Element value"), action.baseline_value, state.value(action.element_code)
            )
        )
        for kind, label in RespondentKind.choices:
            lines.append(
                Comparison(
                    kind,
                    str(label),
                    getattr(action, f"baseline_{kind}"),
                    state.value(action.element_code, kind),
                )
            )
    lines.append(
        Comparison("score", _("Binding score"), action.baseline_score, state.binding_score)
    )
    lines.append(Comparison("coverage", _("Coverage"), action.baseline_coverage, state.coverage))
    return lines


@dataclass(frozen=True)
class ActionDetail:
    action: Action
    element_name: str
    steps: tuple[ActionStep, ...]
    comparisons: tuple[Comparison, ...]
    current_band: str
    timeliness: str
    blocked_reason: str | None = None
    campaign_arm: str = ""
    history: tuple[tuple[datetime, str, str], ...] = field(default_factory=tuple)


def action_detail(action: Action, *, today: date | None = None) -> ActionDetail:
    """What the action's page shows: its steps, baseline against today, its history."""
    from django.utils.translation import gettext as _

    today = today or timezone.localdate()
    state = customer_states([action.customer_id]).get(action.customer_id, EMPTY_STATE)
    steps = tuple(action.steps.select_related("done_by").order_by("position"))
    running = action.status in (Action.Status.OPEN, Action.Status.IN_PROGRESS)

    def who(user: Any) -> str:
        return str(user.get_full_name() or user.get_username()) if user else ""

    history = [(action.proposed_at, _("Proposed"), who(action.proposed_by))]
    if action.decided_at:
        history.append((action.decided_at, _("Decided"), who(action.decided_by)))
    if action.started_at:
        history.append((action.started_at, _("Started"), ""))
    if action.completed_at:
        history.append((action.completed_at, _("Done"), action.get_outcome_display()))
    if action.cancelled_at:
        history.append((action.cancelled_at, _("Cancelled"), who(action.cancelled_by)))
    return ActionDetail(
        action=action,
        element_name=element_names().get(action.element_code, action.element_code),
        steps=steps,
        comparisons=tuple(comparisons(action, state)),
        current_band=state.band,
        timeliness=timeliness(action.due_on, today) if running else "",
        history=tuple(history),
    )


@dataclass(frozen=True)
class CustomerActions:
    customer: object
    rows: tuple[tuple[ActionRow, tuple[Comparison, ...]], ...]
    open_count: int


def customer_actions(customer: Customer, *, today: date | None = None) -> CustomerActions:
    """The customer's actions, unfinished first, each with its baseline against today."""
    today = today or timezone.localdate()
    actions = list(
        Action.objects.filter(customer=customer)
        .select_related("action_type", "owner")
        .order_by("-proposed_at", "-pk")[:50]
    )
    actions.sort(key=lambda a: (not a.is_open, a.due_on if a.is_open else date.min))
    state = customer_states([customer.pk]).get(customer.pk, EMPTY_STATE)
    rows = _rows(actions, today)
    return CustomerActions(
        customer=customer,
        rows=tuple((row, tuple(comparisons(row.action, state))) for row in rows),
        open_count=sum(1 for a in actions if a.is_open),
    )


def action_types_active() -> QuerySet[ActionType]:
    return ActionType.objects.filter(active=True).order_by("order", "name_en", "pk")


def language() -> str:
    return (translation.get_language() or "nl")[:2]


@dataclass(frozen=True)
class Candidate:
    """A customer to propose an action for, with the element's value now."""

    customer: object
    value: float | None
    band: str
    binding_score: float | None


def propose_candidates(
    user: AbstractBaseUser, element_code: str, *, search: str = "", limit: int = 20
) -> list[Candidate]:
    """The visible active customers lowest on the element now (or matching ``search`` on name
    or external id), for choosing whom to propose an action for. Two queries."""
    customers = customers_visible_to(user).filter(active=True)
    search = search.strip()
    if search:
        customers = customers.filter(Q(name__icontains=search) | Q(external_id__iexact=search))
    ids = list(customers.values_list("pk", flat=True)[:5000])
    states = customer_states(ids)
    scored = [(state.value(element_code), pk, state) for pk, state in states.items() if state.band]
    scored.sort(key=lambda item: (item[0] is None, item[0] if item[0] is not None else 0, item[1]))
    chosen = scored[:limit]
    names = {c.pk: c for c in customers.filter(pk__in=[pk for _v, pk, _s in chosen])}
    return [
        Candidate(names[pk], value, state.band, state.binding_score)
        for value, pk, state in chosen
        if pk in names
    ]


def baselines_at(
    requests: Sequence[tuple[int, datetime, str]],
) -> list[dict[str, object]]:
    """Baselines as they stood at past moments: for each (customer id, moment, element code)
    the customer's stored score current at that moment (the latest snapshot computed at or
    before it). For imported actions decided in the past. Two queries whatever their number."""
    customer_ids = sorted({customer_id for customer_id, _moment, _code in requests})
    latest = max((moment for _c, moment, _code in requests), default=None)
    history: dict[int, list[ScoreSnapshot]] = {}
    if latest is not None:
        snapshots = (
            ScoreSnapshot.objects.filter(customer_id__in=customer_ids, computed_at__lte=latest)
            .select_related("scoring_model")
            .only(
                "customer_id",
                "computed_at",
                "binding_score",
                "band",
                "coverage",
                "details",
                "scoring_model__id",
                "scoring_model__version",
            )
            .order_by("customer_id", "computed_at", "pk")
        )
        for snapshot in snapshots:
            history.setdefault(snapshot.customer_id, []).append(snapshot)
    codes = _codes_by_model(
        {s.scoring_model_id for snapshots in history.values() for s in snapshots}
    )
    result = []
    for customer_id, moment, code in requests:
        before = [s for s in history.get(customer_id, []) if s.computed_at <= moment]
        if not before:
            result.append(_baseline(EMPTY_STATE, code))
            continue
        snapshot = before[-1]
        model_codes = codes.get(snapshot.scoring_model_id, [])
        state = CustomerState(
            binding_score=snapshot.binding_score,
            band=snapshot.band,
            coverage=snapshot.coverage,
            model_version=snapshot.scoring_model.version,
            values={
                block: snapshot.element_values(model_codes, block) for block in ("elements", *KINDS)
            },
        )
        result.append(_baseline(state, code))
    return result


def digest_actions(
    *, today: date, owner_ids: Sequence[int] | None = None
) -> dict[int, list[ActionRow]]:
    """Per owner, their running actions due within DUE_SOON_DAYS or overdue, late first
    (two queries whatever their number)."""
    actions = (
        Action.objects.filter(
            status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS],
            due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
        )
        .select_related("customer", "action_type", "owner")
        .order_by("owner_id", "due_on", "pk")
    )
    if owner_ids is not None:
        actions = actions.filter(owner_id__in=list(owner_ids))
    rows = _rows(list(actions), today)
    by_owner: dict[int, list[ActionRow]] = {}
    for row in rows:
        by_owner.setdefault(row.action.owner_id, []).append(row)
    return by_owner
