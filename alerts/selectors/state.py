"""Reads for the evaluation: the state the triggers look at and the alerts in play.

A fixed number of queries whatever the number of customers: the active model, every model's
element codes, the current snapshots (with the ids of the previous one and of the one as it
stood N days ago per look-back, as subqueries), the customers without one, those older
snapshots, the NPS answers, what other apps' state readers add, and the alerts in play.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.db.models import CharField, F, Q, QuerySet, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from alerts import calculations as calc
from alerts.models import Alert, AlertRule, Scope
from klantbinding.lib import db
from scoring import selectors as scoring_selectors
from scoring.calculations import RuleParams
from scoring.conf import rule_params
from scoring.models import Assessment, Customer, Element, RespondentKind, ScoreSnapshot

StateReader = Callable[[np.ndarray, datetime], Mapping[str, np.ndarray]]
_state_readers: dict[str, StateReader] = {}


def register_state_reader(name: str, reader: StateReader) -> None:
    """``reader(customer_ids, now)`` returns named arrays aligned to ``customer_ids`` that a
    trigger of another app reads from ``State.extra`` (e.g. the days an action is overdue)."""
    _state_readers[name] = reader


def _as_text(field: str) -> Cast:
    """A moment read as text: psycopg builds a datetime object per value (about 40 µs each, a
    second and a half for the 40,000 moments of a 10,000-customer evaluation), while pandas
    parses the texts in one vectorised call."""
    return Cast(field, output_field=CharField())


def _seconds(texts: Iterable[str | None]) -> np.ndarray:
    """ISO texts (PostgreSQL's with an offset, SQLite's in UTC) as seconds since 1970."""
    moments = pd.to_datetime(pd.Series(list(texts), dtype=object), utc=True, format="ISO8601")
    return (moments - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=float)


_SNAPSHOT_FIELDS = (
    "id",
    "computed_at_text",
    "scoring_model_id",
    "binding_score",
    "band",
    "coverage",
    "provisional",
    "details",
)


def _snapshot_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        list(rows),
        columns=["id", "at", "model", "score", "band", "coverage", "provisional", "details"],
    )
    frame["at"] = _seconds(frame["at"])
    frame["score"] = frame["score"].astype(float)
    return frame


@dataclass(frozen=True)
class Scoped:
    """The customers of a state with what rule scopes select on."""

    manager: np.ndarray  # account manager id, -1 for none
    sector: np.ndarray  # object


def _newest_per_customer(snapshots: QuerySet[ScoreSnapshot]) -> QuerySet:
    """The newest of the snapshots per customer, in one statement (a window function ranks
    each customer's snapshots; a correlated subquery per customer cost PostgreSQL a JIT
    compilation of about a second for 10,000 customers)."""
    return (
        snapshots.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("customer_id")],
                order_by=[F("computed_at").desc(), F("pk").desc()],
            ),
            computed_at_text=_as_text("computed_at"),
        )
        .filter(rank=1)
        .values_list("customer_id", *_SNAPSHOT_FIELDS)
    )


def _per_chunk(queryset: QuerySet, customer_ids: Sequence[int] | None) -> list[tuple]:
    """The rows of the queryset for these customers (all without ids), in chunks of ids."""
    if customer_ids is None:
        return list(queryset)
    rows: list[tuple] = []
    for chunk in db.chunked(sorted(set(customer_ids))):
        rows.extend(queryset.filter(customer_id__in=chunk))
    return rows


def evaluation_state(
    *,
    customer_ids: Sequence[int] | None,
    now: datetime,
    lookbacks: Iterable[int] = (),
    params: RuleParams | None = None,
) -> tuple[calc.State, Scoped]:
    """The state of these customers (all with a current snapshot when None) at ``now``."""
    params = params or rule_params()
    model = scoring_selectors.scoring_model_active()
    elements = scoring_selectors.elements_frame(model)
    codes = elements["code"].tolist()
    weights = elements["weight"].to_numpy(dtype=float)
    model_codes: dict[int, list[str]] = {}
    for model_id, code in Element.objects.order_by("scoring_model_id", "order", "pk").values_list(
        "scoring_model_id", "code"
    ):
        model_codes.setdefault(model_id, []).append(code)

    lookbacks = sorted({int(d) for d in lookbacks})
    current_qs = (
        ScoreSnapshot.objects.filter(is_current=True)
        .annotate(
            computed_at_text=_as_text("computed_at"),
            last_assessed_text=_as_text("last_assessed_at"),
        )
        .values_list(
            "customer_id",
            *_SNAPSHOT_FIELDS,
            "last_assessed_text",
            "customer__active",
            "customer__account_manager_id",
            "customer__sector",
        )
        .order_by("customer_id")
    )
    wanted = None if customer_ids is None else set(customer_ids)
    if wanted is not None and len(wanted) > db.CHUNK_SIZE:
        # Most of the portfolio (a full recompute): reading everyone once and keeping the
        # wanted costs less than the same statements once per chunk of ids.
        customer_ids = None
    scored = _per_chunk(current_qs, customer_ids)
    # Customers without a score yet have no snapshot but may enter the triggers on the other
    # apps' facts (an overdue action, a lost touch, a departure): they join with no snapshot.
    unscored_qs = (
        Customer.objects.exclude(
            pk__in=ScoreSnapshot.objects.filter(is_current=True).values("customer_id")
        )
        .annotate(customer_id=F("pk"))
        .values_list("customer_id", "active", "account_manager_id", "sector")
        .order_by("pk")
    )
    unscored = _per_chunk(unscored_qs, customer_ids)
    if wanted is not None and customer_ids is None:
        scored = [r for r in scored if r[0] in wanted]
        unscored = [r for r in unscored if r[0] in wanted]
    # One row per customer: (id, last assessed, active, manager, sector), snapshots apart.
    rows = sorted(
        [(r[0], r[9], r[10], r[11], r[12]) for r in scored]
        + [(r[0], None, r[1], r[2], r[3]) for r in unscored],
        key=lambda r: r[0],
    )
    scored.sort(key=lambda r: r[0])
    n = len(rows)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    width = len(codes)
    common = {
        "codes": codes,
        "weights": weights,
        "model_codes": model_codes,
        "active_model": model.pk,
        "thresholds": params.band_thresholds,
        "provisional_coverage": params.provisional_coverage,
    }
    current = calc.snapshots_from_rows(
        _snapshot_frame([r[1:9] for r in scored]),
        np.searchsorted(ids, np.array([r[0] for r in scored], dtype=np.int64)),
        n,
        **common,
    )

    def latest(snapshots: QuerySet[ScoreSnapshot]) -> calc.Snapshots:
        """Per customer, the newest of these snapshots, placed at the customer's position."""
        found = [r for r in _per_chunk(_newest_per_customer(snapshots), customer_ids)]
        customers = np.array([r[0] for r in found], dtype=np.int64)
        positions = np.searchsorted(ids, customers)
        known = (positions < n) & (ids[np.minimum(positions, max(n - 1, 0))] == customers)
        frame = _snapshot_frame([r[1:] for r, keep in zip(found, known, strict=True) if keep])
        return calc.snapshots_from_rows(frame, positions[known], n, **common)

    if n:
        previous = latest(ScoreSnapshot.objects.filter(is_current=False))
        references = {
            days: latest(ScoreSnapshot.objects.filter(computed_at__lte=now - timedelta(days=days)))
            for days in lookbacks
        }
    else:
        previous, references = calc.empty_snapshots(0, width), {}
    nps_now, nps_before = _nps(ids, now=now, previous_at=previous.at, params=params)
    extra: dict[str, np.ndarray] = {}
    for reader in _state_readers.values():
        extra.update(reader(ids, now))
    state = calc.State(
        now=now.timestamp(),
        customer_ids=ids,
        active=np.array([bool(r[2]) for r in rows], dtype=bool),
        codes=codes,
        weights=weights,
        current=current,
        previous=previous,
        last_assessed=_seconds([r[1] for r in rows]),
        references=references,
        nps_now=nps_now,
        nps_before=nps_before,
        extra=extra,
    )
    scoped = Scoped(
        manager=np.array([r[3] if r[3] is not None else -1 for r in rows], dtype=np.int64),
        sector=np.array([r[4] or "" for r in rows], dtype=object),
    )
    return state, scoped


def _nps(
    customer_ids: np.ndarray, *, now: datetime, previous_at: np.ndarray, params: RuleParams
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer, the lowest of the contact persons' latest recommendation answers within
    the validity window, now and as it stood at the previous snapshot (NaN: no answer)."""
    n = len(customer_ids)
    now_worst, before_worst = np.full(n, np.nan), np.full(n, np.nan)
    if n == 0:
        return now_worst, before_worst
    window = float(params.validity_days) * calc.DAY
    known = previous_at[~np.isnan(previous_at)]
    start = min(now.timestamp(), float(known.min()) if len(known) else np.inf) - window
    start = max(start, now.timestamp() - 3 * window)  # bounds the read for long-idle customers
    answers = Assessment.objects.filter(
        respondent_kind=RespondentKind.CUSTOMER,
        nps__isnull=False,
        assessed_at__gte=datetime.fromtimestamp(start, tz=timezone.get_current_timezone()),
        assessed_at__lte=now,
    ).values_list("id", "customer_id", "respondent_email", _as_text("assessed_at"), "nps")
    if n <= db.CHUNK_SIZE:
        answers = answers.filter(customer_id__in=customer_ids.tolist())
    frame = pd.DataFrame(list(answers), columns=["id", "customer", "respondent", "at", "nps"])
    if frame.empty:
        return now_worst, before_worst
    frame["at"] = _seconds(frame["at"])
    frame["respondent"] = frame["respondent"].str.lower()
    frame["position"] = np.searchsorted(customer_ids, frame["customer"].to_numpy())
    frame = frame[
        (frame["position"] < n)
        & (customer_ids[np.minimum(frame["position"], n - 1)] == frame["customer"])
    ]
    frame = frame.sort_values(["at", "id"], kind="stable")

    def worst(rows: pd.DataFrame) -> np.ndarray:
        latest = rows.drop_duplicates(["position", "respondent"], keep="last")
        lowest = latest.groupby("position")["nps"].min()
        result = np.full(n, np.nan)
        result[lowest.index.to_numpy(dtype=np.int64)] = lowest.to_numpy(dtype=float)
        return result

    at = frame["at"].to_numpy()
    now_worst = worst(frame[at >= now.timestamp() - window])
    until = previous_at[frame["position"].to_numpy()]
    with np.errstate(invalid="ignore"):
        before_worst = worst(frame[(at <= until) & (at >= until - window)])
    return now_worst, before_worst


ALERT_FIELDS = (
    "id",
    "rule_id",
    "customer_id",
    "status",
    "resolved_at",
    "clear_since",
    "band_before",
    "value_before",
    "value_after",
    "element_code",
    "respondent_kind",
)


def alerts_in_play(rules: Sequence[AlertRule], customer_ids: Sequence[int] | None) -> pd.DataFrame:
    """The rules' unresolved alerts and their resolved ones that have not re-armed yet."""
    queryset = Alert.objects.filter(rule__in=rules).filter(
        Q(resolved_at__isnull=True) | Q(rearmed_at__isnull=True)
    )
    wanted = None if customer_ids is None else set(customer_ids)
    if wanted is not None and len(wanted) > db.CHUNK_SIZE:
        customer_ids = None  # most of the portfolio: one statement, then keep the wanted
    rows = _per_chunk(queryset.values_list(*ALERT_FIELDS), customer_ids)
    if wanted is not None and customer_ids is None:
        rows = [r for r in rows if r[2] in wanted]
    return pd.DataFrame(rows, columns=list(ALERT_FIELDS))


# --------------------------------------------------------------------------------------------
# Reading a rule's scope
# --------------------------------------------------------------------------------------------


def scope_mask(rule: AlertRule, scoped: Scoped) -> np.ndarray:
    """Which customers of the state a rule watches."""
    if rule.scope == Scope.ACCOUNT_MANAGER:
        return scoped.manager == (rule.scope_user_id or -2)
    if rule.scope == Scope.SECTOR:
        return scoped.sector == rule.scope_sector
    return np.ones(len(scoped.manager), dtype=bool)
