"""Reads for the management dashboard (issue 5): the DataFrames behind its figures and tables.

A module of its own next to ``scoring/selectors.py`` (which the customer pages extend at the
same time), with the same contract: reads only, and a fixed number of queries whatever the
number of customers. Each frame is one raw query over the customers in view (the user's
visible customers, narrowed by the filters), so the benchmark can re-run the exact SQL as its
floor. What the dashboard shows is derived from these frames with ``scoring.calculations``.

The dashboard shows the stored results (score snapshots), never recomputes the rule: a
customer's score at a moment is its latest snapshot computed at or before that moment.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from scoring import calculations, selectors
from scoring.conf import rule_params
from scoring.models import (
    DETAIL_BLOCKS,
    Assessment,
    Customer,
    Element,
    RespondentKind,
    ScoreSnapshot,
    ScoringModel,
)

NO_SCORE = "none"  # the band filter's value for customers without a score
BAND_CHOICES = (*calculations.BANDS, NO_SCORE)
DETAIL_KINDS = DETAIL_BLOCKS  # the blocks of ScoreSnapshot.details
# The customers query's columns and how each is loaded ("text" columns stay plain objects:
# pandas' string inference costs more than everything else on 10,000 rows).
CUSTOMER_COLUMNS = {
    "customer_id": "int",
    "external_id": "text",
    "name": "text",
    "account_manager_id": "float",
    "account_manager": "text",
    "sector": "text",
    "revenue": "float",
    "potential": "float",
    "margin": "float",
    "payment": "text",
    "scoring_model_id": "float",
    "binding_score": "float",
    "satisfaction": "float",
    "alternatives": "float",
    "investment": "float",
    "coverage": "float",
    "provisional": "bool",
    "band": "text",
    "respondents": "float",
    "last_assessed_at": "time",
    "overdue": "bool",
}


# The kind of work running now, so a benchmark's SQL timer can tell where a query ran.
current_lap: ContextVar[str] = ContextVar("dashboard_lap", default="")


class Stopwatch:
    """Seconds spent per kind of work, summed: the benchmark's split of a request."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        token = current_lap.set(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            current_lap.reset(token)


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
    factor scores, coverage, provisional, band, revenue, potential, margin, payment,
    account manager, and ``overdue`` (no staff assessment within the re-scoring cadence).
    ``element_values``: customer × element code (active model), the stored values *v_e*.
    ``kind_means``: customer × (kind, code), the stored means per respondent kind.
    ``elements``: the active model's elements (code, factor, weight, name).
    ``history``: every stored result of these customers up to ``moment``, sorted by customer
    and time (customer_id, computed_at, binding_score, band).
    ``nps``: the latest recommendation answer of each customer respondent in the window.
    """

    moment: datetime
    customers: pd.DataFrame
    element_values: pd.DataFrame
    kind_means: pd.DataFrame
    elements: pd.DataFrame
    history: pd.DataFrame
    nps: pd.Series
    clock: Stopwatch = field(default_factory=Stopwatch)

    @property
    def codes(self) -> list[str]:
        return list(self.elements["code"])


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in the current time zone, but never later than now."""
    tz = timezone.get_current_timezone()
    start_next = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return min(start_next - timedelta(microseconds=1), timezone.now())


def moment_of(day: date | None) -> datetime:
    """Now for no day or today; else the end of that day."""
    if day is None or day >= timezone.localdate():
        return timezone.now()
    return end_of_day(day)


def customers_in_view(
    user: AbstractBaseUser | AnonymousUser, filters: DashboardFilters
) -> QuerySet[Customer]:
    """The active customers the user may see, narrowed by account manager and sector.

    The band filter depends on the moment shown and is applied to the frames.
    """
    customers = selectors.customers_visible_to(user).filter(active=True)
    if filters.account_manager_id:
        customers = customers.filter(account_manager_id=filters.account_manager_id)
    if filters.sector:
        customers = customers.filter(sector=filters.sector)
    return customers.order_by()


def _db_time(value: datetime) -> object:
    """A datetime parameter as the backend stores it (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _time_sql(column: str) -> str:
    """PostgreSQL sends a timestamp as epoch seconds (cheap to load); SQLite as its text."""
    if connection.vendor == "postgresql":
        return f"date_part('epoch', {column})"
    return column


def _to_utc(values: pd.Series) -> pd.Series:
    if connection.vendor == "postgresql":
        micros = (values.astype(float) * 1e6).round()
        return pd.to_datetime(micros, unit="us", utc=True)
    return pd.to_datetime(values, utc=True, format="ISO8601")


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


def _fetch(clock: Stopwatch, sql: str, params: list) -> list[tuple]:
    with clock.measure("sql"), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def dashboard_data(
    user: AbstractBaseUser | AnonymousUser,
    filters: DashboardFilters,
    *,
    clock: Stopwatch | None = None,
) -> DashboardData:
    """The dashboard's frames for what ``user`` may see, narrowed by ``filters``: 4 queries."""
    clock = clock or Stopwatch()
    with _gc_paused():
        return _dashboard_data(user, filters, clock)


def _dashboard_data(
    user: AbstractBaseUser | AnonymousUser, filters: DashboardFilters, clock: Stopwatch
) -> DashboardData:
    moment = moment_of(filters.as_of)
    elements, codes_by_model = _elements(clock)
    try:
        scope_sql, scope_params = (
            customers_in_view(user, filters).values("pk").query.sql_with_params()
        )
    except EmptyResultSet:
        scope_sql, scope_params = None, []
    if scope_sql is None:
        rows: list[tuple] = []
        history_rows: list[tuple] = []
        nps_rows: list[tuple] = []
    else:
        current = filters.as_of is None or filters.as_of >= timezone.localdate()
        rows = _fetch(clock, *_customers_query(moment, current, scope_sql, scope_params))
        history_rows = _fetch(clock, *_history_query(moment, scope_sql, scope_params))
        nps_rows = _fetch(clock, *_nps_query(moment, scope_sql, scope_params))

    with clock.measure("dataframes"):
        codes = list(elements["code"])
        width = len(CUSTOMER_COLUMNS)
        columns = _columns(rows, width + 1)
        customers = _typed_customers(_frame(columns[:width], CUSTOMER_COLUMNS))
        details = columns[width]
        keep = np.ones(len(customers), dtype=bool)
        if filters.band:
            wanted = "" if filters.band == NO_SCORE else filters.band
            keep = (customers["band"] == wanted).to_numpy()
            customers = customers[keep]
        element_values, kind_means = _detail_frames(customers, details, keep, codes, codes_by_model)

        history = _frame(
            _columns(history_rows, 5),
            {
                "customer_id": "int",
                "computed_at": "time",
                "binding_score": "float",
                "band": "text",
                "id": "int",
            },
        )
        order = np.lexsort(  # by customer, then time, then id (last key first)
            (
                history["id"].to_numpy(),
                history["computed_at"].array.asi8,
                history["customer_id"].to_numpy(),
            )
        )
        history = history.iloc[order].drop(columns="id").reset_index(drop=True)
        history["band"] = history["band"].fillna("")
        history = history[history["customer_id"].isin(customers.index)].reset_index(drop=True)

        # assessed_at only orders the answers: epoch seconds or ISO text as fetched.
        nps_spec = {"customer_id": "int", "respondent": "text", "assessed_at": "text"}
        nps_spec.update({"id": "int", "nps": "float"})
        answers = _frame(_columns(nps_rows, 5), nps_spec)
        answers = answers[answers["customer_id"].isin(customers.index)]
        # Each respondent's latest answer counts, as each respondent's latest scores do.
        answers = answers.sort_values(["assessed_at", "id"], kind="stable").drop_duplicates(
            ["customer_id", "respondent"], keep="last"
        )
    return DashboardData(
        moment=moment,
        customers=customers,
        element_values=element_values,
        kind_means=kind_means,
        elements=elements,
        history=history,
        nps=answers["nps"].astype(float).reset_index(drop=True),
        clock=clock,
    )


def _elements(clock: Stopwatch) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """The active model's elements, and every model's codes in the order snapshots store."""
    e = Element._meta.db_table
    m = ScoringModel._meta.db_table
    order = connection.ops.quote_name("order")
    rows = _fetch(
        clock,
        f"SELECT e.scoring_model_id, e.code, e.factor, e.weight, e.name_nl, e.name_en, "
        f"m.is_active FROM {e} e JOIN {m} m ON m.id = e.scoring_model_id "
        f"ORDER BY e.scoring_model_id, e.{order}, e.id",
        [],
    )
    with clock.measure("dataframes"):
        frame = pd.DataFrame(
            rows, columns=["model", "code", "factor", "weight", "name_nl", "name_en", "active"]
        )
        codes_by_model = {
            int(model): list(group["code"]) for model, group in frame.groupby("model", sort=False)
        }
        active = frame[frame["active"].astype(bool)]
        if active.empty:
            raise selectors.NoActiveModelError("no active scoring model; run manage.py migrate")
        active = active.drop(columns=["model", "active"]).reset_index(drop=True)
        active["weight"] = active["weight"].astype(float)
    return active, codes_by_model


def _customers_query(
    moment: datetime, current: bool, scope_sql: str, scope_params: tuple
) -> tuple[str, list]:
    c = Customer._meta.db_table
    u = get_user_model()._meta.db_table
    s = ScoreSnapshot._meta.db_table
    a = Assessment._meta.db_table
    cadence = timedelta(days=settings.KLANTBINDING["STAFF_CADENCE_DAYS"])
    if current:  # the current snapshot: one index lookup per customer
        snapshot_join = "s.customer_id = c.id AND s.is_current = %s"
        join_params: list = [True]
    else:
        snapshot_join = (
            f"s.id = (SELECT s2.id FROM {s} s2 WHERE s2.customer_id = c.id "
            f"AND s2.computed_at <= %s ORDER BY s2.computed_at DESC, s2.id DESC LIMIT 1)"
        )
        join_params = [_db_time(moment)]
    sql = (
        f"SELECT c.id, c.external_id, c.name, c.account_manager_id, "
        f"COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username), "
        f"c.sector, CAST(c.annual_revenue AS DOUBLE PRECISION), "
        f"CAST(c.revenue_potential AS DOUBLE PRECISION), "
        f"CAST(c.margin_pct AS DOUBLE PRECISION), c.payment_behaviour, "
        f"s.scoring_model_id, s.binding_score, s.satisfaction, s.alternatives, s.investment, "
        f"s.coverage, s.provisional, s.band, s.respondents, {_time_sql('s.last_assessed_at')}, "
        f"CASE WHEN EXISTS (SELECT 1 FROM {a} a WHERE a.customer_id = c.id "
        f"AND a.respondent_kind = %s AND a.assessed_at >= %s AND a.assessed_at <= %s) "
        f"THEN 0 ELSE 1 END, "
        f"s.details "
        f"FROM {c} c LEFT JOIN {u} u ON u.id = c.account_manager_id "
        f"LEFT JOIN {s} s ON {snapshot_join} "
        f"WHERE c.id IN ({scope_sql})"
    )
    params = [
        RespondentKind.STAFF.value,
        _db_time(moment - cadence),
        _db_time(moment),
        *join_params,
        *scope_params,
    ]
    return sql, params


def _history_query(moment: datetime, scope_sql: str, scope_params: tuple) -> tuple[str, list]:
    s = ScoreSnapshot._meta.db_table
    sql = (
        f"SELECT s.customer_id, {_time_sql('s.computed_at')}, s.binding_score, s.band, s.id "
        f"FROM {s} s WHERE s.computed_at <= %s AND s.customer_id IN ({scope_sql})"
    )  # sorted by customer and time in NumPy: cheaper than the database's sort of 36,000 rows
    return sql, [_db_time(moment), *scope_params]


def _nps_query(moment: datetime, scope_sql: str, scope_params: tuple) -> tuple[str, list]:
    """The customer respondents' answers to the recommendation question in the window."""
    a = Assessment._meta.db_table
    start = rule_params().window_start(moment)
    sql = (
        f"SELECT a.customer_id, LOWER(a.respondent_email), {_time_sql('a.assessed_at')}, a.id, "
        f"a.nps FROM {a} a WHERE a.respondent_kind = %s AND a.nps IS NOT NULL "
        f"AND a.assessed_at >= %s AND a.assessed_at <= %s AND a.customer_id IN ({scope_sql})"
    )
    kind = RespondentKind.CUSTOMER.value
    return sql, [kind, _db_time(start), _db_time(moment), *scope_params]


def _columns(rows: list[tuple], width: int) -> list[list]:
    """Rows turned into columns (one C-level transpose)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def _series(values: list, kind: str) -> pd.Series | np.ndarray:
    if kind == "int":
        return np.array(values, dtype=np.int64)
    if kind == "float":
        return np.array(values, dtype=float)  # None becomes NaN
    if kind == "bool":
        return np.array([bool(v) for v in values], dtype=bool)
    if kind == "time":
        return _to_utc(pd.Series(values, dtype=object))
    return pd.Series(values, dtype=object)


def _frame(columns: list[list], spec: dict[str, str]) -> pd.DataFrame:
    data = {
        name: _series(values, kind)
        for (name, kind), values in zip(spec.items(), columns, strict=True)
    }
    return pd.DataFrame(data)  # Series keep their dtype: no string inference


def _typed_customers(customers: pd.DataFrame) -> pd.DataFrame:
    customers = customers.set_index("customer_id")
    for column in ("revenue", "potential"):
        customers[column] = customers[column].fillna(0.0)
    for column in ("band", "payment", "sector", "account_manager"):
        customers[column] = customers[column].fillna("")
    # No snapshot: no score, so nothing confirmed.
    customers.loc[customers["binding_score"].isna(), "provisional"] = True
    customers["respondents"] = customers["respondents"].fillna(0).astype(int)
    return customers


def _detail_frames(
    customers: pd.DataFrame,
    details: list[str | None],
    keep: np.ndarray,
    codes: list[str],
    codes_by_model: dict[int, list[str]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The element values and per-kind means from the snapshots' details, by element code.

    ``details`` holds the ScoreSnapshot.details line of every fetched row (``keep`` marks the
    rows still in view): four blocks of numbers in the order of each snapshot's own model.
    They are matched to the active model by code, as the rule matches elements. The lines of
    all customers are read as one CSV text by pandas' C parser: a parse per customer costs
    several times more.
    """
    index = customers.index
    width = len(codes)
    arrays = {kind: np.full((len(index), width), np.nan) for kind in DETAIL_KINDS}
    models = customers["scoring_model_id"].to_numpy(dtype=float)
    kept = np.flatnonzero(keep)
    position = {code: i for i, code in enumerate(codes)}
    for model in np.unique(models[~np.isnan(models)]):
        model_codes = codes_by_model.get(int(model), [])
        if not model_codes:
            continue
        rows = np.flatnonzero(models == model)
        fields = len(DETAIL_KINDS) * len(model_codes)
        empty = "," * (fields - 1)
        lines = details if len(rows) == len(details) else [details[r] for r in kept[rows]]
        values = pd.read_csv(
            io.StringIO("\n".join([line or empty for line in lines])),
            header=None,
            names=range(fields),
            dtype=float,
            engine="c",
        ).to_numpy()
        source = [i for i, code in enumerate(model_codes) if code in position]
        target = [position[model_codes[i]] for i in source]
        for k, kind in enumerate(DETAIL_KINDS):
            block = values[:, k * len(model_codes) : (k + 1) * len(model_codes)]
            arrays[kind][np.ix_(rows, target)] = block[:, source]
    element_values = pd.DataFrame(arrays["elements"], index=index, columns=codes)
    element_values.columns.name = "code"
    kind_means = pd.DataFrame(
        np.hstack([arrays[kind] for kind in calculations.KINDS]),
        index=index,
        columns=pd.MultiIndex.from_product([calculations.KINDS, codes], names=["kind", "code"]),
    )
    return element_values, kind_means


# --------------------------------------------------------------------------------------------
# What the dashboard shows, derived from the frames
# --------------------------------------------------------------------------------------------


def headline(data: DashboardData) -> dict:
    """The headline figures: mean and revenue-weighted score, bands, NPS, coverage, overdue."""
    customers = data.customers
    scored = customers[customers["binding_score"].notna()]
    revenue_scored = float(scored["revenue"].sum())
    grouped = customers.groupby("band", sort=False)["revenue"].agg(["size", "sum"])
    per_band = [
        {
            "band": band,
            "customers": int(grouped["size"].get(band, 0)),
            "revenue": float(grouped["sum"].get(band, 0.0)),
        }
        for band in (*calculations.BANDS, "")
    ]
    total_revenue = float(customers["revenue"].sum())
    at_risk = customers[customers["band"].isin(["red", "orange"])]
    n = len(customers)
    return {
        "customers": n,
        "scored": len(scored),
        "mean_score": float(scored["binding_score"].mean()) if len(scored) else None,
        "weighted_score": float(
            (scored["binding_score"] * scored["revenue"]).sum() / revenue_scored
        )
        if revenue_scored > 0
        else None,
        "bands": per_band,
        "revenue": total_revenue,
        "revenue_at_risk": float(at_risk["revenue"].sum()),
        "revenue_at_risk_share": 100.0 * float(at_risk["revenue"].sum()) / total_revenue
        if total_revenue > 0
        else None,
        "customers_at_risk": len(at_risk),
        "nps": calculations.net_promoter_score(data.nps),
        "nps_answers": len(data.nps),
        "confirmed": int((customers["binding_score"].notna() & ~customers["provisional"]).sum()),
        "confirmed_share": 100.0
        * float((customers["binding_score"].notna() & ~customers["provisional"]).sum())
        / n
        if n
        else None,
        "overdue": int(customers["overdue"].sum()),
    }


def month_ends(first: datetime, moment: datetime) -> list[datetime]:
    """The last moment of each month from ``first``'s month on, ending with ``moment``."""
    tz = timezone.get_current_timezone()
    first_local = timezone.localtime(first, tz)
    end_local = timezone.localtime(moment, tz)
    ends: list[datetime] = []
    year, month = first_local.year, first_local.month
    while (year, month) < (end_local.year, end_local.month):
        year_next, month_next = (year + 1, 1) if month == 12 else (year, month + 1)
        start_next = datetime(year_next, month_next, 1, tzinfo=tz)
        ends.append(start_next - timedelta(microseconds=1))
        year, month = year_next, month_next
    ends.append(moment)
    return ends


def trend(data: DashboardData) -> pd.DataFrame:
    """Portfolio score (plain and revenue-weighted) and band counts per month, whole history."""
    if data.history.empty:
        return calculations.monthly_trend(data.history, data.customers["revenue"], [])
    first = data.history["computed_at"].min().to_pydatetime()
    ends = month_ends(first, data.moment)
    table = calculations.monthly_trend(data.history, data.customers["revenue"], ends)
    table["month"] = [timezone.localtime(e).strftime("%Y-%m") for e in ends]
    return table


def moves_period(filters: DashboardFilters, moment: datetime) -> tuple[datetime, datetime]:
    """The two moments the band movements compare (default: three months before → shown)."""
    end = moment_of(filters.moves_to) if filters.moves_to else moment
    if filters.moves_from:
        start = moment_of(filters.moves_from)
    else:
        start = (pd.Timestamp(timezone.localtime(end)) - pd.DateOffset(months=3)).to_pydatetime()
    return start, end


def movements(data: DashboardData, start: datetime, end: datetime) -> pd.DataFrame:
    """Per customer in view: band at ``start`` and at ``end``, and the track of the move."""
    before = calculations.state_at(data.history, start)["band"]
    after = calculations.state_at(data.history, end)["band"]
    return calculations.band_moves(before, after, data.customers.index)


def satisfaction_barriers(data: DashboardData) -> pd.DataFrame:
    """Satisfaction against barriers (mean of alternatives and investment) per customer."""
    customers = data.customers
    frame = customers[["name", "revenue", "band", "binding_score", "satisfaction"]].copy()
    frame["barriers"] = (customers["alternatives"] + customers["investment"]) / 2
    frame["quadrant"] = calculations.quadrant(frame["satisfaction"], frame["barriers"])
    return frame


def _with_names(table: pd.DataFrame, elements: pd.DataFrame, language: str) -> pd.DataFrame:
    names = elements.set_index("code")
    column = "name_nl" if language == "nl" else "name_en"
    table = table.join(names[["factor", "weight"]])
    table["name"] = names[column].where(names[column] != "", names["name_en"]).reindex(table.index)
    return table


def perception(data: DashboardData, language: str) -> pd.DataFrame:
    """Per element: staff, customer and expert means and the gaps, company-too-rosy on top."""
    table = calculations.perception_gap(data.kind_means, data.codes)
    return _with_names(table, data.elements, language)


def wall(data: DashboardData, language: str) -> pd.DataFrame:
    """Elements ranked by points to gain (weight × (6 − value), summed over the customers)."""
    table = calculations.points_to_gain(data.element_values, data.elements)
    return _with_names(table, data.elements, language)


def pareto_frame(data: DashboardData) -> pd.DataFrame:
    """Customers by revenue with the cumulative revenue share, name and band."""
    table = calculations.pareto(data.customers["revenue"])
    return table.join(data.customers[["name", "band"]])


def pearl_customers(data: DashboardData) -> pd.DataFrame:
    """The pearls, the most room to grow first."""
    customers = data.customers
    mask = calculations.pearls(
        customers["revenue"], customers["potential"], customers["payment"], customers["margin"]
    )
    pearls = customers[mask].copy()
    pearls["room"] = pearls["potential"] - pearls["revenue"]
    return pearls.sort_values("room", ascending=False, kind="stable")


def lowest_scoring(data: DashboardData, count: int = 50) -> pd.DataFrame:
    """Element values of the ``count`` lowest-scoring customers in view, lowest first."""
    scored = data.customers[data.customers["binding_score"].notna()]
    lowest = scored.sort_values("binding_score", kind="stable").head(count)
    values = data.element_values.reindex(lowest.index)
    values.insert(0, "name", lowest["name"])
    values.insert(1, "binding_score", lowest["binding_score"])
    return values
