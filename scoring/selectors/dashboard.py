"""Reads for the management dashboard (issue 5): the DataFrames behind its figures and tables.

A module of its own next to ``scoring/selectors.py`` (which the customer pages extend at the
same time), with the same contract: reads only, and a fixed number of queries whatever the
number of customers. Each frame is one raw query over the customers in view (the user's
visible customers, narrowed by the filters), so the benchmark can re-run the exact SQL as its
floor. What the dashboard shows is derived from these frames with ``scoring.calculations``.

The dashboard shows the stored results (score snapshots), never recomputes the rule: a
customer's score at a moment is its latest snapshot computed at or before that moment.

Reading 10,000 customers and 36,000 stored results costs far more in turning every value of
every row into a Python object than in the database. So the numbers come back as text lines
of comma-separated values, one line per customer (and, for the history, one text of all
lines), that pandas' C parser turns into NumPy arrays in one pass: per row only the names and
the line become Python strings.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from klantbinding.lib import db
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
# What a list of customers (drill-downs, export) adds to the customers frame as text columns.
LISTING_TEXTS = ("external_id", "account_manager", "sector")


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
    factor scores, provisional, band, revenue, potential, margin, payment, and ``overdue``
    (no staff assessment within the re-scoring cadence); read with ``listing``, also what a
    list of customers shows: external id, account manager (id and name), sector, coverage,
    respondents and last assessed.
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


def is_current(day: date | None) -> bool:
    """Whether ``day`` shows now (the current snapshots) rather than a past moment."""
    return day is None or day >= timezone.localdate()


def moment_of(day: date | None) -> datetime:
    """Now for no day or today; else the end of that day."""
    if is_current(day):
        return timezone.now()
    return end_of_day(day)


def customers_in_view(
    user: AbstractBaseUser | AnonymousUser, filters: DashboardFilters
) -> QuerySet[Customer]:
    """The active customers the user may see, narrowed by account manager and sector.

    The band filter depends on the moment shown: see ``customers_in_band``.
    """
    customers = selectors.customers_visible_to(user).filter(active=True)
    if filters.account_manager_id:
        customers = customers.filter(account_manager_id=filters.account_manager_id)
    if filters.sector:
        customers = customers.filter(sector=filters.sector)
    return customers.order_by()


def customers_in_band(
    customers: QuerySet[Customer], band: str, moment: datetime, current: bool
) -> QuerySet[Customer]:
    """``customers`` whose band at ``moment`` is ``band`` (NO_SCORE: without a score then)."""
    band = "" if band == NO_SCORE else band
    if current:
        snapshots = ScoreSnapshot.objects.filter(is_current=True)
        if band:
            return customers.filter(pk__in=snapshots.filter(band=band).values("customer_id"))
        return customers.exclude(pk__in=snapshots.exclude(band="").values("customer_id"))
    latest = (
        ScoreSnapshot.objects.filter(customer=OuterRef("pk"), computed_at__lte=moment)
        .order_by("-computed_at", "-pk")
        .values("band")[:1]
    )
    return customers.annotate(band_then=Coalesce(Subquery(latest), Value(""))).filter(
        band_then=band
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


def _fetch(clock: Stopwatch, sql: str, params: list) -> list[tuple]:
    with clock.measure("sql"):
        return db.fetch_all(sql, params)


def dashboard_data(
    user: AbstractBaseUser | AnonymousUser,
    filters: DashboardFilters,
    *,
    clock: Stopwatch | None = None,
    listing: bool = True,
) -> DashboardData:
    """The dashboard's frames for what ``user`` may see, narrowed by ``filters``: 4 queries.

    Without ``listing`` the customers frame leaves out what only lists of customers show.
    """
    clock = clock or Stopwatch()
    with _gc_paused():
        return _dashboard_data(user, filters, clock, listing)


def _dashboard_data(
    user: AbstractBaseUser | AnonymousUser,
    filters: DashboardFilters,
    clock: Stopwatch,
    listing: bool,
) -> DashboardData:
    moment = moment_of(filters.as_of)
    current = is_current(filters.as_of)
    elements, codes_by_model = _elements(clock)
    in_view = customers_in_view(user, filters)
    if filters.band:
        in_view = customers_in_band(in_view, filters.band, moment, current)
    try:
        scope = in_view.values("pk").query.sql_with_params()
    except EmptyResultSet:
        scope = None
    line = _customer_line(listing)
    rows: list[tuple] = []
    history_lines = ""
    nps_rows: list[tuple] = []
    if scope is not None:
        rows = _fetch(clock, *_customers_query(moment, current, scope, line, listing))
        history_lines = _fetch(clock, *_history_query(moment, scope))[0][0] or ""
        nps_rows = _fetch(clock, *_nps_query(moment, scope))

    with clock.measure("dataframes"):
        customers, details = _customers_frame(rows, line, listing)
        element_values, kind_means = _detail_frames(
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
        clock=clock,
    )


def _elements(clock: Stopwatch) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """The active model's elements, and every model's codes in the order snapshots store."""
    e = Element._meta.db_table
    m = ScoringModel._meta.db_table
    order = db.quote_name("order")
    rows = _fetch(
        clock,
        f"SELECT e.scoring_model_id, e.code, e.factor, e.weight, e.name_nl, e.name_en, "
        f"m.is_active FROM {e} e JOIN {m} m ON m.id = e.scoring_model_id "
        f"ORDER BY e.scoring_model_id, e.{order}, e.id",
        [],
    )
    with clock.measure("dataframes"):
        codes_by_model: dict[int, list[str]] = {}
        for model, code, *_rest in rows:
            codes_by_model.setdefault(int(model), []).append(code)
        active = [row[1:6] for row in rows if row[6]]
        if not active:
            raise selectors.NoActiveModelError("no active scoring model; run manage.py migrate")
        names = ("code", "factor", "weight", "name_nl", "name_en")
        elements = pd.DataFrame(
            {
                name: pd.Series(values, dtype=object)
                for name, values in zip(names, zip(*active, strict=True), strict=True)
            }
        )
        elements["weight"] = elements["weight"].astype(float)
    return elements, codes_by_model


def _customer_line(listing: bool) -> db.NumberLine:
    """The customers query's line of numbers; a list of customers (drill-downs, export) adds
    the account manager, coverage, respondents and last assessed."""
    a = Assessment._meta.db_table
    numbers = {
        "revenue": "c.annual_revenue",
        "potential": "c.revenue_potential",
        "margin": "c.margin_pct",
        "scoring_model_id": "s.scoring_model_id",
        "binding_score": "s.binding_score",
        "satisfaction": "s.satisfaction",
        "alternatives": "s.alternatives",
        "investment": "s.investment",
        "provisional": "CASE WHEN s.provisional THEN 1 ELSE 0 END",
        # Overdue: no staff assessment within the re-scoring cadence.
        "overdue": f"CASE WHEN EXISTS (SELECT 1 FROM {a} a WHERE a.customer_id = c.id "
        f"AND a.respondent_kind = %s AND a.assessed_at >= %s AND a.assessed_at <= %s) "
        f"THEN 0 ELSE 1 END",
    }
    if listing:
        numbers.update(
            {
                "account_manager_id": "c.account_manager_id",
                "coverage": "s.coverage",
                "respondents": "s.respondents",
                "last_assessed_at": db.epoch_sql("s.last_assessed_at"),
            }
        )
    return db.NumberLine(numbers)


def _customers_query(
    moment: datetime, current: bool, scope: tuple[str, tuple], line: db.NumberLine, listing: bool
) -> tuple[str, list]:
    """Per customer: id, name, payment, band, its line of numbers, the snapshot's details."""
    c = Customer._meta.db_table
    u = get_user_model()._meta.db_table
    s = ScoreSnapshot._meta.db_table
    scope_sql, scope_params = scope
    cadence = timedelta(days=settings.KLANTBINDING["STAFF_CADENCE_DAYS"])
    if current:  # the current snapshot: one index lookup per customer
        snapshot_join = "s.customer_id = c.id AND s.is_current = %s"
        join_params: list = [True]
    else:
        snapshot_join = (
            f"s.id = (SELECT s2.id FROM {s} s2 WHERE s2.customer_id = c.id "
            f"AND s2.computed_at <= %s ORDER BY s2.computed_at DESC, s2.id DESC LIMIT 1)"
        )
        join_params = [db.db_time(moment)]
    texts = ""
    user_join = ""
    if listing:
        texts = (
            ", c.external_id, "
            "COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username, ''), "
            "c.sector"
        )
        user_join = f"LEFT JOIN {u} u ON u.id = c.account_manager_id "
    sql = (
        f"SELECT c.id, c.name, c.payment_behaviour, COALESCE(s.band, ''), "
        f"{line.sql()}, s.details{texts} "
        f"FROM {c} c {user_join}LEFT JOIN {s} s ON {snapshot_join} "
        f"WHERE c.id IN ({scope_sql})"
    )
    params = [
        RespondentKind.STAFF.value,
        db.db_time(moment - cadence),
        db.db_time(moment),
        *join_params,
        *scope_params,
    ]
    return sql, params


def _history_line() -> db.NumberLine:
    """A stored result as a line of the history query."""
    return db.NumberLine(
        {
            "customer_id": "s.customer_id",
            "computed_at": db.epoch_sql("s.computed_at"),
            "binding_score": "s.binding_score",
            "id": "s.id",
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
        }
    )


def _detail_frames(
    index: pd.Index,
    models: pd.Series,
    details: list[str | None],
    codes: list[str],
    codes_by_model: dict[int, list[str]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The element values and per-kind means from the snapshots' details, by element code.

    ``details`` holds the ScoreSnapshot.details line of each customer (``models`` its
    snapshot's model): four blocks of numbers in the order of each snapshot's own model. They
    are matched to the active model by code, as the rule matches elements. The lines of all
    customers are read as one CSV text by pandas' C parser: a parse per customer costs
    several times more.
    """
    width = len(codes)
    blocks = len(DETAIL_KINDS)
    models = models.to_numpy(dtype=float)
    position = {code: i for i, code in enumerate(codes)}
    values = None
    for model in np.unique(models[~np.isnan(models)]):
        model_codes = codes_by_model.get(int(model), [])
        if not model_codes:
            continue
        rows = np.flatnonzero(models == model)
        fields = blocks * len(model_codes)
        empty = "," * (fields - 1)
        lines = details if len(rows) == len(details) else [details[r] for r in rows]
        parsed = db.read_numbers(
            "\n".join([line or empty for line in lines]), list(range(fields))
        ).to_numpy()
        if model_codes == codes and len(rows) == len(index):
            values = parsed  # every customer on the active model: the blocks as they are
            break
        if values is None:
            values = np.full((len(index), blocks * width), np.nan)
        source = [i for i, code in enumerate(model_codes) if code in position]
        source_columns = [b * len(model_codes) + i for b in range(blocks) for i in source]
        target_columns = [
            b * width + position[model_codes[i]] for b in range(blocks) for i in source
        ]
        values[np.ix_(rows, target_columns)] = parsed[:, source_columns]
    if values is None:
        values = np.full((len(index), blocks * width), np.nan)

    def block(kind: str) -> slice:
        start = DETAIL_KINDS.index(kind) * width
        return slice(start, start + width)

    element_values = pd.DataFrame(values[:, block("elements")], index=index, columns=codes)
    element_values.columns.name = "code"
    kind_means = pd.DataFrame(
        np.hstack([values[:, block(kind)] for kind in calculations.KINDS]),
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
    score = customers["binding_score"].to_numpy(dtype=float)
    revenue = customers["revenue"].to_numpy(dtype=float)
    band = calculations.band_codes(customers["band"])
    scored = ~np.isnan(score)
    revenue_scored = float(revenue[scored].sum())
    per_band = [
        {
            "band": name,
            "customers": int((band == code).sum()),
            "revenue": float(revenue[band == code].sum()),
        }
        for code, name in enumerate((*calculations.BANDS, calculations.NO_BAND))
    ]
    total_revenue = float(revenue.sum())
    at_risk = (band == calculations.BANDS.index("red")) | (
        band == calculations.BANDS.index("orange")
    )
    revenue_at_risk = float(revenue[at_risk].sum())
    confirmed = int((scored & ~customers["provisional"].to_numpy(dtype=bool)).sum())
    n = len(customers)
    return {
        "customers": n,
        "scored": int(scored.sum()),
        "mean_score": float(score[scored].mean()) if scored.any() else None,
        "weighted_score": float((score[scored] * revenue[scored]).sum() / revenue_scored)
        if revenue_scored > 0
        else None,
        "bands": per_band,
        "revenue": total_revenue,
        "revenue_at_risk": revenue_at_risk,
        "revenue_at_risk_share": 100.0 * revenue_at_risk / total_revenue
        if total_revenue > 0
        else None,
        "customers_at_risk": int(at_risk.sum()),
        "nps": calculations.net_promoter_score(data.nps),
        "nps_answers": len(data.nps),
        "confirmed": confirmed,
        "confirmed_share": 100.0 * confirmed / n if n else None,
        "overdue": int(customers["overdue"].to_numpy(dtype=bool).sum()),
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
    """``table`` (indexed by element code) with each element's factor, weight and name."""
    rows = pd.Index(elements["code"]).get_indexer(table.index)
    names = elements["name_nl" if language == "nl" else "name_en"].to_numpy(dtype=object)
    names = np.where(names != "", names, elements["name_en"].to_numpy(dtype=object))
    table["factor"] = elements["factor"].to_numpy(dtype=object)[rows]
    table["weight"] = elements["weight"].to_numpy(dtype=float)[rows]
    table["name"] = pd.Series(names[rows], index=table.index, dtype=object)
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
    rows = data.customers.index.get_indexer(table.index)
    table["name"] = data.customers["name"].to_numpy(dtype=object)[rows]
    table["band"] = data.customers["band"].to_numpy(dtype=object)[rows]
    return table


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
    score = data.customers["binding_score"].to_numpy(dtype=float)
    scored = np.flatnonzero(~np.isnan(score))
    rows = scored[np.argsort(score[scored], kind="stable")[:count]]
    values = data.element_values.iloc[rows].copy()
    values.insert(0, "name", data.customers["name"].to_numpy(dtype=object)[rows])
    values.insert(1, "binding_score", score[rows])
    return values
