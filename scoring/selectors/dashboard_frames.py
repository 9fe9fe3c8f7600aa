"""Reads for the management dashboard: the DataFrames behind its figures and tables.

Reads only, and a fixed number of queries whatever the number of customers. Each frame is one
raw query over the customers in view (the user's visible customers, narrowed by the filters),
so the benchmark can re-run the exact SQL as its floor. What the dashboard shows is derived
from these frames in ``scoring.selectors.dashboard``.

The dashboard shows the stored results (score snapshots), never recomputes the rule: a
customer's score at a moment is its latest snapshot computed at or before that moment.

Reading 10,000 customers and 36,000 stored results costs far more in turning every value of
every row into a Python object than in the database. So the numbers come back as text lines
of comma-separated values, one line per customer (and, for the history, one text of all
lines), that pandas' C parser turns into NumPy arrays in one pass (``klantbinding.lib.db``'s
NumberLine): per row only the names and the line become Python strings.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.utils import timezone

from klantbinding.lib import db
from scoring import calculations, snapshots
from scoring.conf import rule_params
from scoring.models import (
    Assessment,
    Customer,
    Element,
    RespondentKind,
    ScoreSnapshot,
    ScoringModel,
)
from scoring.selectors.customers import customers_visible_to
from scoring.selectors.scoring_models import NoActiveModelError

NO_SCORE = "none"  # the band filter's value for customers without a score
BAND_CHOICES = (*calculations.BANDS, NO_SCORE)
# What a list of customers (drill-downs, export) adds to the customers frame as text columns.
LISTING_TEXTS = ("external_id", "account_manager", "sector")


@dataclass(frozen=True)
class DashboardFilters:
    """What the user narrowed the dashboard to; every field empty means the whole portfolio."""

    account_manager_id: int | None = None
    sector: str = ""
    band: str = ""  # one of BAND_CHOICES, or "" for every band
    as_of: date | None = None  # the day shown; None is now
    moves_from: date | None = None  # band movements from this day (default 3 months earlier)
    moves_to: date | None = None  # … to this day (default the day shown)


@dataclass
class DashboardData:
    """The frames of one dashboard view, indexed by customer id where per customer.

    ``customers``: the customers in view with their score at ``moment`` (NaN / "" without),
    factor scores, provisional, band, revenue, potential, margin, payment, and ``overdue``
    (no staff assessment within the re-scoring cadence); read with ``listing``, also what a
    list of customers shows: external id, account manager (id and name), sector, coverage,
    respondents, last assessed and the previous score (what the change is counted from).
    ``element_values``: customer × element code (active model), the stored values *v_e*.
    ``kind_means``: customer × (kind, code), the stored means per respondent kind.
    ``elements``: the active model's elements (code, factor, weight, name).
    ``history``: every stored result of these customers up to ``moment``, sorted by customer
    and time (customer_id, computed_at, binding_score, band, the snapshot's id and model).
    ``active_model_id`` and ``codes_by_model`` (every model's codes in details order) let a
    movement score an older result again with the active model (like with like).
    ``nps``: the latest recommendation answer of each customer respondent in the window.
    """

    moment: datetime
    customers: pd.DataFrame
    element_values: pd.DataFrame
    kind_means: pd.DataFrame
    elements: pd.DataFrame
    history: pd.DataFrame
    nps: pd.Series
    active_model_id: int = 0
    codes_by_model: dict[int, list[str]] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return list(self.elements["code"])


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in the current time zone, but never later than now."""
    tz = timezone.get_current_timezone()
    start_next = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return min(start_next - timedelta(microseconds=1), timezone.now())


def is_current(day: date | None) -> bool:
    """Whether ``day`` shows now (the current snapshots) rather than a past moment."""
    return day is None or day >= timezone.localdate()


def moment_of(day: date | None) -> datetime:
    """Now for no day or today; else the end of that day."""
    if day is None or is_current(day):
        return timezone.now()
    return end_of_day(day)


def customers_in_view(
    user: AbstractBaseUser | AnonymousUser, filters: DashboardFilters
) -> QuerySet[Customer]:
    """The active customers the user may see, narrowed by account manager and sector.

    The band filter depends on the moment shown: see ``customers_in_band``.
    """
    customers = customers_visible_to(user).filter(active=True)
    if filters.account_manager_id:
        customers = customers.filter(account_manager_id=filters.account_manager_id)
    if filters.sector:
        customers = customers.filter(sector=filters.sector)
    return customers.order_by()


def customers_in_band(
    customers: QuerySet[Customer], band: str, moment: datetime, current: bool
) -> QuerySet[Customer]:
    """``customers`` whose band at ``moment`` is ``band`` (NO_SCORE: without a score then)."""
    return snapshots.customers_in_band(
        customers, "" if band == NO_SCORE else band, moment=None if current else moment
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of row tuples are built.

    Every few hundred new tuples trigger a collection that walks the whole heap; rows and
    frames hold no reference cycles, so plain reference counting frees them anyway.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def dashboard_data(
    user: AbstractBaseUser | AnonymousUser,
    filters: DashboardFilters,
    *,
    listing: bool = True,
) -> DashboardData:
    """The dashboard's frames for what ``user`` may see, narrowed by ``filters``: 4 queries.

    Without ``listing`` the customers frame leaves out what only lists of customers show.
    """
    with _gc_paused():
        return _dashboard_data(user, filters, listing)


def _dashboard_data(
    user: AbstractBaseUser | AnonymousUser,
    filters: DashboardFilters,
    listing: bool,
) -> DashboardData:
    moment = moment_of(filters.as_of)
    current = is_current(filters.as_of)
    in_view = customers_in_view(user, filters)
    if filters.band:
        in_view = customers_in_band(in_view, filters.band, moment, current)
    return frames_of(in_view, moment=moment, current=current, listing=listing)


def frames_of(
    in_view: QuerySet[Customer], *, moment: datetime, current: bool, listing: bool
) -> DashboardData:
    """The dashboard's frames of exactly these customers at ``moment`` (the score export of
    every active customer reads them too): 4 queries."""
    elements, codes_by_model, active_model_id = _elements()
    try:
        scope = in_view.values("pk").query.sql_with_params()
    except EmptyResultSet:
        scope = None
    line = _customer_line(moment, listing)
    rows: list[tuple] = []
    history_lines = ""
    nps_rows: list[tuple] = []
    if scope is not None:
        rows = db.fetch_all(*_customers_query(moment, current, scope, line, listing))
        history_lines = db.fetch_all(*_history_query(moment, scope))[0][0] or ""
        nps_rows = db.fetch_all(*_nps_query(moment, scope))

    customers, details = _customers_frame(rows, line[0], listing)
    element_values, kind_means = snapshots.details_frames(
        customers.index,
        customers["scoring_model_id"],
        details,
        list(elements["code"]),
        codes_by_model,
    )
    history = _history_frame(history_lines)
    # The answers counted, each as often as it is some respondent's latest.
    answers = [answer for answer, count in nps_rows for _ in range(count)]
    return DashboardData(
        moment=moment,
        customers=customers,
        element_values=element_values,
        kind_means=kind_means,
        elements=elements,
        history=history,
        nps=pd.Series(answers, dtype=float),
        active_model_id=active_model_id,
        codes_by_model=codes_by_model,
    )


def _elements() -> tuple[pd.DataFrame, dict[int, list[str]], int]:
    """The active model's elements, every model's codes in the order snapshots store, and the
    active model's id."""
    e = Element._meta.db_table
    m = ScoringModel._meta.db_table
    order = db.quote_name("order")
    rows = db.fetch_all(
        f"SELECT e.scoring_model_id, e.code, e.factor, e.weight, e.name_nl, e.name_en, "
        f"m.is_active FROM {e} e JOIN {m} m ON m.id = e.scoring_model_id "
        f"ORDER BY e.scoring_model_id, e.{order}, e.id",
        [],
    )
    codes_by_model: dict[int, list[str]] = {}
    for model, code, *_rest in rows:
        codes_by_model.setdefault(int(model), []).append(code)
    active = [row[1:6] for row in rows if row[6]]
    active_model_id = next((int(row[0]) for row in rows if row[6]), 0)
    if not active:
        raise NoActiveModelError("no active scoring model; run manage.py migrate")
    names = ("code", "factor", "weight", "name_nl", "name_en")
    elements = pd.DataFrame(
        {
            name: pd.Series(values, dtype=object)
            for name, values in zip(names, zip(*active, strict=True), strict=True)
        }
    )
    elements["weight"] = elements["weight"].astype(float)
    return elements, codes_by_model, active_model_id


def _customer_line(moment: datetime, listing: bool) -> tuple[db.NumberLine, list[object]]:
    """The customers query's line of numbers and its parameters; a list of customers
    (drill-downs, export) adds the account manager, coverage, respondents, last assessed and the
    previous score.
    The customers table keeps its own name: the "due" condition refers to it by that name."""
    c = Customer._meta.db_table
    due_sql, due_params = snapshots.rescoring_due_sql(now=moment, until=moment)
    numbers = {
        "revenue": f"{c}.annual_revenue",
        "potential": f"{c}.revenue_potential",
        "margin": f"{c}.margin_pct",
        "scoring_model_id": "s.scoring_model_id",
        "binding_score": "s.binding_score",
        "satisfaction": "s.satisfaction",
        "alternatives": "s.alternatives",
        "investment": "s.investment",
        "provisional": "CASE WHEN s.provisional THEN 1 ELSE 0 END",
        "overdue": f"CASE WHEN {due_sql} THEN 1 ELSE 0 END",
    }
    if listing:
        numbers.update(
            {
                "account_manager_id": f"{c}.account_manager_id",
                "coverage": "s.coverage",
                "respondents": "s.respondents",
                "last_assessed_at": db.epoch_sql("s.last_assessed_at"),
                "previous_score": "s.previous_score",
            }
        )
    return db.NumberLine(numbers), due_params


def _customers_query(
    moment: datetime,
    current: bool,
    scope: tuple[str, tuple],
    line: tuple[db.NumberLine, list[object]],
    listing: bool,
) -> tuple[str, list]:
    """Per customer: id, name, payment, band, its line of numbers, the snapshot's details."""
    c = Customer._meta.db_table
    u = get_user_model()._meta.db_table
    s = ScoreSnapshot._meta.db_table
    scope_sql, scope_params = scope
    numbers, line_params = line
    join_sql, join_params = snapshots.snapshot_join_sql(
        "s", f"{c}.id", moment=None if current else moment
    )
    texts = ""
    user_join = ""
    if listing:
        texts = (
            f", {c}.external_id, "
            "COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username, ''), "
            f"{c}.sector"
        )
        user_join = f"LEFT JOIN {u} u ON u.id = {c}.account_manager_id "
    sql = (
        f"SELECT {c}.id, {c}.name, {c}.payment_behaviour, COALESCE(s.band, ''), "
        f"{numbers.sql()}, s.details{texts} "
        f"FROM {c} {user_join}LEFT JOIN {s} s ON {join_sql} "
        f"WHERE {c}.id IN ({scope_sql})"
    )
    return sql, [*line_params, *join_params, *scope_params]


def _history_line() -> db.NumberLine:
    """A stored result as a line of the history query."""
    return db.NumberLine(
        {
            "customer_id": "s.customer_id",
            "computed_at": db.epoch_sql("s.computed_at"),
            "binding_score": "s.binding_score",
            "id": "s.id",
            "scoring_model_id": "s.scoring_model_id",
            "band": "s.band",
        }
    )


def _history_query(moment: datetime, scope: tuple[str, tuple]) -> tuple[str, list]:
    """Every stored result up to ``moment`` as one text: a line of numbers per result."""
    s = ScoreSnapshot._meta.db_table
    scope_sql, scope_params = scope
    sql = (
        f"SELECT {_history_line().lines_sql()} FROM {s} s "
        f"WHERE s.computed_at <= %s AND s.customer_id IN ({scope_sql})"
    )  # sorted by customer and time in NumPy: cheaper than the database's sort of 36,000 rows
    return sql, [db.db_time(moment), *scope_params]


def _nps_query(moment: datetime, scope: tuple[str, tuple]) -> tuple[str, list]:
    """How often each answer to the recommendation question is the latest of a customer
    respondent in the window: each respondent's latest answer counts, as their latest
    scores do (ties on time go to the answer submitted last)."""
    a = Assessment._meta.db_table
    scope_sql, scope_params = scope
    start = rule_params().window_start(moment)
    sql = (
        f"SELECT latest.nps, COUNT(*) FROM (SELECT a.nps, ROW_NUMBER() OVER ("
        f"PARTITION BY a.customer_id, LOWER(a.respondent_email) "
        f"ORDER BY a.assessed_at DESC, a.id DESC) AS position "
        f"FROM {a} a WHERE a.respondent_kind = %s AND a.nps IS NOT NULL "
        f"AND a.assessed_at >= %s AND a.assessed_at <= %s AND a.customer_id IN ({scope_sql})"
        f") latest WHERE latest.position = 1 GROUP BY latest.nps"
    )
    kind = RespondentKind.CUSTOMER.value
    return sql, [kind, db.db_time(start), db.db_time(moment), *scope_params]


def nps_by_customer(customer_ids: Sequence[int], moment: datetime) -> pd.Series:
    """Each customer's NPS at ``moment`` (NaN without an answer), counted as the dashboard and
    the customer page count it: each customer respondent's latest answer in the window."""
    a = Assessment._meta.db_table
    start = rule_params().window_start(moment)
    sql = (
        f"SELECT a.customer_id, LOWER(a.respondent_email), a.nps, a.assessed_at, a.id FROM {a} a "
        f"WHERE a.respondent_kind = %s AND a.nps IS NOT NULL "
        f"AND a.assessed_at >= %s AND a.assessed_at <= %s"
    )
    params = [RespondentKind.CUSTOMER.value, db.db_time(start), db.db_time(moment)]
    rows = db.fetch_for_ids(sql, params, list(customer_ids), "a.customer_id")
    latest: dict[tuple[int, str], int] = {}
    for customer_id, email, nps, _at, _id in sorted(rows, key=itemgetter(3, 4)):
        latest[(customer_id, email)] = nps  # oldest first: a later answer replaces an earlier
    answers: dict[int, list[int]] = {}
    for (customer_id, _email), nps in latest.items():
        answers.setdefault(customer_id, []).append(nps)
    scores = {
        customer_id: calculations.net_promoter_score(pd.Series(values, dtype=float))
        for customer_id, values in answers.items()
    }
    return pd.Series(scores, dtype=float).reindex(list(customer_ids))


def _customers_frame(
    rows: list[tuple], line: db.NumberLine, listing: bool
) -> tuple[pd.DataFrame, list[str | None]]:
    """The customers frame from the customers query's rows, and each row's snapshot details."""
    texts = LISTING_TEXTS if listing else ()
    # By customer id, so ties (equal scores, equal revenue) keep one order whatever the plan.
    rows = sorted(rows, key=itemgetter(0))
    columns = [list(column) for column in zip(*rows, strict=True)]
    ids, names, payments, bands, lines, details, *listed = columns or [[]] * (6 + len(texts))
    numbers = line.read("\n".join(lines))
    index = pd.Index(np.array(ids, dtype=np.int64), name="customer_id")
    # Text stays plain objects: pandas' string inference would cost more than it saves.
    frame: dict[str, np.ndarray | pd.Series] = {
        "name": pd.Series(names, index=index, dtype=object),
        "payment": pd.Series(payments, index=index, dtype=object),
        "band": pd.Series(bands, index=index, dtype=object),
    }
    frame.update({name: numbers[name].to_numpy(dtype=float) for name in numbers.columns})
    frame.update(
        {
            name: pd.Series(values, index=index, dtype=object)
            for name, values in zip(texts, listed, strict=True)
        }
    )
    for name in ("revenue", "potential"):
        frame[name] = np.nan_to_num(frame[name])
    frame["overdue"] = frame["overdue"] == 1
    # No snapshot or no score: nothing confirmed.
    frame["provisional"] = (frame["provisional"] == 1) | np.isnan(frame["binding_score"])
    customers = pd.DataFrame(frame, index=index)
    if listing:
        customers["respondents"] = np.nan_to_num(frame["respondents"]).astype(int)
        customers["last_assessed_at"] = db.epoch_to_utc(frame["last_assessed_at"])
    return customers, details


def _history_frame(lines: str) -> pd.DataFrame:
    """The history query's text as a frame sorted by customer, time and id."""
    table = _history_line().read(
        lines,
        dtype={
            "customer_id": np.int64,
            "computed_at": float,
            "binding_score": float,
            "id": np.int64,
            "scoring_model_id": np.int64,
            "band": pd.CategoricalDtype([*calculations.BANDS, calculations.NO_BAND]),
        },
        keep_default_na=False,
        na_values={"binding_score": [""]},
    )
    customer = table["customer_id"].to_numpy()
    seconds = table["computed_at"].to_numpy()
    order = np.lexsort((table["id"].to_numpy(), seconds, customer))  # last key first
    return pd.DataFrame(
        {
            "customer_id": customer[order],
            "computed_at": db.epoch_to_utc(seconds[order]),
            "binding_score": table["binding_score"].to_numpy()[order],
            "band": table["band"].array[order],
            "id": table["id"].to_numpy()[order],
            "scoring_model_id": table["scoring_model_id"].to_numpy()[order],
        }
    )
