"""What the management dashboard shows: the figures and tables derived from its frames
(``dashboard_frames``), the page as a whole, and the customers behind one of its numbers.

Management sees every customer; an account manager sees the same dashboard over their own.
The dashboard shows the stored results, never a fresh run of the rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta
from typing import TypedDict

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring import calculations, snapshots
from scoring.conf import rule_params
from scoring.models import (
    Assessment,
    Customer,
    ScoreSnapshot,
    ScoringModel,
    active_language,
    band_label,
    localised,
)
from scoring.roles import is_management
from scoring.selectors.dashboard_frames import (
    BAND_CHOICES,
    NO_SCORE,
    DashboardData,
    DashboardFilters,
    customers_in_band,
    customers_in_view,
    dashboard_data,
    end_of_day,
    is_current,
    moment_of,
)
from scoring.selectors.scoring_models import scoring_model_publishes

__all__ = [
    "BAND_CHOICES",
    "NO_SCORE",
    "DashboardData",
    "DashboardFilters",
    "customers_in_band",
    "customers_in_view",
    "dashboard_data",
    "end_of_day",
    "is_current",
    "moment_of",
]

QUADRANTS = {
    "loyal": gettext_lazy("loyal"),
    "entrapped": gettext_lazy("entrapped"),
    "free": gettext_lazy("free"),
    "leaving": gettext_lazy("leaving"),
}
TRACKS = {
    "churn": gettext_lazy("Churn track (red → orange → yellow)"),
    "loyalty": gettext_lazy("Loyalty track (yellow → green)"),
}
DIRECTIONS = {
    "up": gettext_lazy("moved up"),
    "same": gettext_lazy("stayed"),
    "down": gettext_lazy("moved down"),
}


class BandCount(TypedDict):
    band: str  # "" for no score
    customers: int
    revenue: float
    share: float | None  # of the revenue in view, in percent


class Headline(TypedDict):
    """The dashboard's headline figures."""

    customers: int
    scored: int
    mean_score: float | None
    weighted_score: float | None
    bands: list[BandCount]
    revenue: float
    revenue_at_risk: float
    revenue_at_risk_share: float | None
    customers_at_risk: int
    nps: float | None
    nps_answers: int
    confirmed: int
    confirmed_share: float | None
    overdue: int


def headline(data: DashboardData) -> Headline:
    """The headline figures: mean and revenue-weighted score, bands, NPS, coverage, overdue."""
    customers = data.customers
    score = customers["binding_score"].to_numpy(dtype=float)
    revenue = customers["revenue"].to_numpy(dtype=float)
    band = calculations.band_codes(customers["band"])
    scored = ~np.isnan(score)
    revenue_scored = float(revenue[scored].sum())
    total_revenue = float(revenue.sum())
    per_band: list[BandCount] = [
        {
            "band": name,
            "customers": int((band == code).sum()),
            "revenue": float(revenue[band == code].sum()),
            "share": 100.0 * float(revenue[band == code].sum()) / total_revenue
            if total_revenue
            else None,
        }
        for code, name in enumerate((*calculations.BANDS, calculations.NO_BAND))
    ]
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


def _publish_months(table: pd.DataFrame) -> list[tuple[str, int]]:
    """The months of the trend in which a scoring model was published, with its version."""
    if "month" not in table:
        return []
    months = set(table["month"])
    return [
        (month, version)
        for at, version in scoring_model_publishes()
        if (month := timezone.localtime(at).strftime("%Y-%m")) in months
    ]


def moves_period(filters: DashboardFilters, moment: datetime) -> tuple[datetime, datetime]:
    """The two moments the band movements compare (default: three months before → shown)."""
    end = moment_of(filters.moves_to) if filters.moves_to else moment
    if filters.moves_from:
        start = moment_of(filters.moves_from)
    else:
        start = (pd.Timestamp(timezone.localtime(end)) - pd.DateOffset(months=3)).to_pydatetime()
    return start, end


def movements(data: DashboardData, start: datetime, end: datetime) -> pd.DataFrame:
    """Per customer in view: band at ``start`` and at ``end``, and the track of the move.

    Like with like (DESIGN.md §6): an end stored with another model than the active one is
    scored again with the active model, so a publish in between is not a move. Only those
    results' details are read (none while every result in the period has the active model).
    """
    # An expired score keeps its band here: it is due for re-scoring, not a move.
    before = _active_bands(data, calculations.known_state_at(data.history, start))
    after = _active_bands(data, calculations.known_state_at(data.history, end))
    return calculations.band_moves(before, after, data.customers.index)


def _active_bands(data: DashboardData, state: pd.DataFrame) -> pd.Series:
    """The bands of these stored results, each as the active model scores it."""
    if "scoring_model_id" not in state or not data.active_model_id:
        return state["band"]
    other = state["scoring_model_id"].to_numpy() != data.active_model_id
    if not other.any():
        return state["band"]
    models, details = snapshots.snapshot_details(state["id"].to_numpy()[other].tolist())
    scores = snapshots.rescored(
        models,
        details,
        codes=data.codes,
        weights=data.elements["weight"].to_numpy(dtype=float),
        codes_by_model=data.codes_by_model,
    )
    bands = state["band"].to_numpy(dtype=object).copy()
    bands[other] = calculations.bands(
        pd.Series(scores, dtype=float), rule_params().band_thresholds
    ).to_numpy(dtype=object)
    return pd.Series(bands, index=state.index, dtype=object)


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
    names = np.array(
        [
            localised(nl, en, language)
            for nl, en in zip(elements["name_nl"], elements["name_en"], strict=True)
        ],
        dtype=object,
    )
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


# --------------------------------------------------------------------------------------------
# The page, and the customers behind one of its numbers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardPage:
    """Everything the dashboard shows for one user and one set of filters."""

    filters: DashboardFilters
    moment: datetime  # the moment shown
    is_now: bool  # whether that is now rather than the end of a past day
    headline: Headline
    trend: pd.DataFrame  # per month: score, weighted score, customers per band
    publishes: list[tuple[str, int]]  # (month as in ``trend``, version) of each model publish
    moves_start: datetime
    moves_end: datetime
    move_matrix: pd.DataFrame  # customers by band at the start (rows) and the end (columns)
    tracks: pd.DataFrame  # customers per track (rows) moving up, staying or down (columns)
    quadrants: pd.DataFrame  # per customer: satisfaction, barriers, quadrant
    quadrant_counts: dict[str, int]
    entrapped: pd.DataFrame  # the entrapped customers, most revenue first
    gap: pd.DataFrame  # per element: the perception gaps, with names
    wall: pd.DataFrame  # per element: points to gain, with names
    pareto: pd.DataFrame
    pearls: pd.DataFrame  # the most room to grow first
    lowest: pd.DataFrame  # the element values of the lowest-scoring customers
    elements: pd.DataFrame  # the active model's elements
    customers: QuerySet[Customer]  # the customers in view, for other apps' panels


def dashboard_page(
    user: AbstractBaseUser | AnonymousUser, filters: DashboardFilters
) -> DashboardPage:
    """The dashboard for what ``user`` may see, narrowed by ``filters``: the frames' four
    queries, then pandas and NumPy."""
    data = dashboard_data(user, filters, listing=False)
    language = active_language()
    moves_start, moves_end = moves_period(filters, data.moment)
    moves = movements(data, moves_start, moves_end)
    trend_table = trend(data)
    quadrants = satisfaction_barriers(data)
    entrapped = quadrants[quadrants["quadrant"] == "entrapped"].sort_values(
        "revenue", ascending=False, kind="stable"
    )
    return DashboardPage(
        filters=filters,
        moment=data.moment,
        is_now=is_current(filters.as_of),
        headline=headline(data),
        trend=trend_table,
        publishes=_publish_months(trend_table),
        moves_start=moves_start,
        moves_end=moves_end,
        move_matrix=calculations.band_move_matrix(moves),
        tracks=calculations.track_summary(moves),
        quadrants=quadrants,
        quadrant_counts={k: int(v) for k, v in quadrants["quadrant"].value_counts().items()},
        entrapped=entrapped,
        gap=perception(data, language),
        wall=wall(data, language),
        pareto=pareto_frame(data),
        pearls=pearl_customers(data),
        lowest=lowest_scoring(data),
        elements=data.elements,
        customers=dashboard_customers(user, filters),
    )


def dashboard_customers(
    user: AbstractBaseUser | AnonymousUser, filters: DashboardFilters
) -> QuerySet[Customer]:
    """The customers in view, for other apps' panels (a query, not yet run); a band filter
    narrows them at "now" only."""
    in_view = customers_in_view(user, filters)
    if filters.band and is_current(filters.as_of):
        in_view = customers_in_band(in_view, filters.band, timezone.now(), True)
    return in_view


def dashboard_version() -> str:
    """What every dashboard is made of, summed up in a few index lookups and one count.

    Changes whenever a snapshot is stored (snapshots are only ever added: the newest id), an
    assessment is submitted, a customer is added, saved (``updated_at``, which imports set
    too), deactivated or removed, or a scoring model is published. A cached dashboard is
    valid exactly as long as this is unchanged (and for a limited time, as "now" moves on).
    """
    customers = Customer.objects.aggregate(
        count=Count("pk"),
        active=Count("pk", filter=Q(active=True)),
        last=Max("pk"),
        changed=Max("updated_at"),
    )
    parts = [
        ScoreSnapshot.objects.aggregate(last=Max("pk"))["last"],
        Assessment.objects.aggregate(last=Max("pk"))["last"],
        *customers.values(),
        ScoringModel.objects.filter(is_active=True).values_list("pk", "published_at").first(),
    ]
    return "|".join(str(part) for part in parts)


def dashboard_cache_key(
    user: AbstractBaseUser | AnonymousUser, filters: DashboardFilters, language: str
) -> str:
    """The cache key of one dashboard: the data's version, the filters, the language and whose
    customers it shows (management sees all; an account manager their own)."""
    scope = "all" if is_management(user) else f"user:{user.pk}"
    raw = "|".join(
        [dashboard_version(), scope, language, repr(astuple(filters)), str(timezone.localdate())]
    )
    return "kb:dashboard:" + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


@dataclass(frozen=True)
class DashboardSelection:
    """The customers behind one number of the dashboard, most revenue first."""

    customers: pd.DataFrame  # the customers frame with what a list shows
    title: str
    error: str  # why the asked selection was not valid ("" when it was)
    moves: bool  # whether the rows carry the band at the start and end of the movements
    params: dict[str, str]  # the selection's own URL parameters ({} after an error)
    moment: datetime | None = None  # the moment shown
    element_values: pd.DataFrame | None = None  # the stored values v_e of these customers
    elements: pd.DataFrame | None = None  # the active model's elements (code, names)


SELECTION_PARAMS = ("show", "which", "from_band", "to_band", "track", "direction")


def dashboard_selection(
    user: AbstractBaseUser | AnonymousUser,
    filters: DashboardFilters,
    params: Mapping[str, str],
) -> DashboardSelection:
    """The customers in view that ``params["show"]`` (and its arguments) select: a band, a
    band movement, a track, a quadrant, the pearls, the overdue; all when ``show`` is empty.
    An invalid selection shows everyone in view, with a message."""
    data = dashboard_data(user, filters)
    show = params.get("show") or "all"
    customers = data.customers
    moves = None

    def get(name: str, allowed: tuple[str, ...]) -> str:
        value = params.get(name, "")
        if value not in allowed:
            raise ValueError(name)
        return value

    def band_of(choice: str) -> str:
        return "" if choice == NO_SCORE else choice

    try:
        if show == "all":
            selected, title = customers, _("All customers in view")
        elif show == "band":
            band = band_of(get("which", BAND_CHOICES))
            selected = customers[customers["band"] == band]
            title = _("Band: %(band)s") % {"band": band_label(band)}
        elif show in ("move", "track"):
            start, end = moves_period(filters, data.moment)
            moves = movements(data, start, end)
            period = {
                "start": timezone.localtime(start).date().isoformat(),
                "end": timezone.localtime(end).date().isoformat(),
            }
            if show == "move":
                first = band_of(get("from_band", BAND_CHOICES))
                last = band_of(get("to_band", BAND_CHOICES))
                mask = (moves["from_band"] == first) & (moves["to_band"] == last)
                title = _("From %(from)s to %(to)s, %(start)s → %(end)s") % {
                    "from": band_label(first),
                    "to": band_label(last),
                    **period,
                }
            else:
                track = get("track", calculations.TRACKS)
                direction = get("direction", calculations.DIRECTIONS)
                mask = (moves["track"] == track) & (moves["direction"] == direction)
                title = _("%(track)s, %(direction)s, %(start)s → %(end)s") % {
                    "track": TRACKS[track],
                    "direction": DIRECTIONS[direction],
                    **period,
                }
            selected = customers[mask.reindex(customers.index, fill_value=False)]
        elif show == "quadrant":
            which = get("which", tuple(QUADRANTS))
            selected = customers[satisfaction_barriers(data)["quadrant"] == which]
            title = _("Satisfaction × barriers: %(quadrant)s") % {"quadrant": QUADRANTS[which]}
        elif show == "pearls":
            selected, title = customers.loc[pearl_customers(data).index], _("Pearls")
        elif show == "overdue":
            selected, title = customers[customers["overdue"]], _("Overdue for re-scoring")
        else:
            raise ValueError("show")
        error = ""
    except ValueError:
        selected, title = customers, _("All customers in view")
        error = _("This selection is not valid; showing all customers in view instead.")
    if moves is not None:
        selected = selected.join(moves[["from_band", "to_band"]])
    selected = selected.sort_values(["revenue", "name"], ascending=[False, True], kind="stable")
    return DashboardSelection(
        customers=selected,
        title=title,
        error=error,
        moves=moves is not None,
        params={} if error else {k: params.get(k, "") for k in SELECTION_PARAMS},
        moment=data.moment,
        element_values=data.element_values.reindex(selected.index),
        elements=data.elements,
    )
