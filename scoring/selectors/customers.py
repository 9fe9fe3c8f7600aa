"""Reads about customers: who may see which, the customer list, the customer page and its
history, and the rows of the score export."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone

from klantbinding.lib import db
from scoring import calculations, snapshots
from scoring.conf import rule_params
from scoring.models import (
    Assessment,
    Customer,
    Element,
    Factor,
    RespondentKind,
    ScoreSnapshot,
    localised,
)
from scoring.roles import ACCOUNT_MANAGERS, is_management
from scoring.selectors.scores import ScoreResult, assessment_scores
from scoring.selectors.scoring_models import (
    model_elements,
    scoring_model_active,
    scoring_model_publishes,
)


def customers_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Customer]:
    """All customers for management; an account manager's own customers; nothing otherwise."""
    if is_management(user):
        return Customer.objects.all()
    if not user.is_authenticated:
        return Customer.objects.none()
    return Customer.objects.filter(account_manager_id=user.pk)


def account_manager_choices() -> list[tuple[str, str]]:
    """The account managers as a filter's choices, (id, name), by name. Written out: every
    management page of the customer list asks, and the ORM's join took twice the query."""
    user_model = get_user_model()
    users = user_model._meta.db_table
    memberships = user_model.groups.through._meta.db_table
    groups = Group._meta.db_table
    sql = (
        f"SELECT u.id, u.first_name, u.last_name, u.username FROM {users} u "
        f"JOIN {memberships} m ON m.user_id = u.id JOIN {groups} g ON g.id = m.group_id "
        f"WHERE g.name = %s ORDER BY u.first_name, u.last_name, u.username, u.id"
    )
    return [
        (str(pk), f"{first} {last}".strip() or username)
        for pk, first, last, username in db.fetch_all(sql, [ACCOUNT_MANAGERS])
    ]


# --------------------------------------------------------------------------------------------
# The customer list
# --------------------------------------------------------------------------------------------

# The customer list sorts all of a user's customers on any column, then shows one page. Sorting
# reads only the ids with what the sort needs; the page's rows are read for those ids alone, in
# the same statement. LIST_SORT_COLUMNS names the same sort keys as columns of those rows.
LIST_SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "manager": ("account_manager__first_name", "account_manager__last_name"),
    "score": ("current__binding_score",),
    "satisfaction": ("current__satisfaction",),
    "alternatives": ("current__alternatives",),
    "investment": ("current__investment",),
    "coverage": ("current__coverage",),
    "last": ("current__last_assessed_at",),
    "change": ("change",),
    "due": ("due",),
}
LIST_SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "manager": ("first_name", "last_name"),
    "score": ("binding_score",),
    "satisfaction": ("satisfaction",),
    "alternatives": ("alternatives",),
    "investment": ("investment",),
    "coverage": ("coverage",),
    "last": ("last_assessed_at",),
    "change": ("binding_score - previous_score",),
    "due": ("due",),
}


class CustomerListRow(TypedDict):
    """One row of the customer list: the customer, its account manager's name, the current
    stored score, the change since the previous one and whether it is due for re-scoring."""

    pk: int
    name: str
    sector: str
    active: bool
    first_name: str | None
    last_name: str | None
    username: str | None
    manager: str  # the account manager's full name, else user name; "" without one
    binding_score: float | None
    satisfaction: float | None
    alternatives: float | None
    investment: float | None
    coverage: float | None
    provisional: bool | None
    band: str | None
    last_assessed_at: datetime | None
    previous_score: float | None
    change: float | None
    rescoring_due: bool


def customers_due(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Those due for re-scoring now (``snapshots.rescoring_due``)."""
    return customers.filter(snapshots.rescoring_due(now=timezone.now()))


def _list_order(
    customers: QuerySet[Customer], key: str, *, descending: bool, now: datetime
) -> tuple[QuerySet[Customer], list[OrderBy]]:
    """The customers with what sorting on a list column (LIST_SORT_FIELDS) needs, and the
    order: that column, empty values last, ties by name and id."""
    if key == "due":
        customers = customers.annotate(due=snapshots.rescoring_due(now=now))
    elif key not in ("name", "manager"):
        customers = customers.annotate(current=snapshots.current_relation()).annotate(
            change=F("current__binding_score") - F("current__previous_score")
        )
    order = [
        F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
        for name in LIST_SORT_FIELDS[key]
    ]
    return customers, [*order, F("name").asc(), F("pk").asc()]


# The sort keys whose values split the customers in two parts, each read in the order of an
# index: the customers with a value (a current snapshot's column, or whether they are due), then
# the rest (no value) by name. SPLIT_SORT_FIELDS names each snapshot key's columns: its value is
# the first column, minus the second where there are two (the change).
SPLIT_SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "score": ("binding_score",),
    "satisfaction": ("satisfaction",),
    "alternatives": ("alternatives",),
    "investment": ("investment",),
    "coverage": ("coverage",),
    "last": ("last_assessed_at",),
    "change": ("binding_score", "previous_score"),
}


def _snapshot_value(fields: tuple[str, ...]) -> Any:
    """A SPLIT_SORT_FIELDS value on a customers query that joins the current snapshot."""
    value = F(f"current__{fields[0]}")
    return value - F(f"current__{fields[1]}") if len(fields) == 2 else value


def _split_parts(
    customers: QuerySet[Customer], key: str, *, descending: bool, now: datetime
) -> tuple[QuerySet[Customer], QuerySet[Customer]] | None:
    """The list sorted on ``key`` as two parts, each sorted, the first listed first: for a
    snapshot column the customers with a value (sorted on it, ties by name and id), then those
    without one (by name and id); for "due" the due customers by name and id, then the others
    (the other way round ascending). None for the keys sorted in one query (name, manager).

    Why two parts: sorting on a value that lives in another table (the current snapshot) or
    comes from a subquery (due) with "empty values last" made the database join and sort all
    customers to show 50 of them (5-15x the floor at 50,000 customers). Split, each part is an
    ORDER BY that an index serves with the page's LIMIT: the partial indexes on the current
    snapshots' score and change (scoring migration list_sort_indexes) walked from one end,
    each customer looked up by its id, ties sorted by name among equal values only; the
    customers' (name, id) index for the part without a value and for "due" (its subquery one
    index lookup per customer). The other snapshot columns take the same two parts without an
    index of their own: each index costs every snapshot a recompute writes.
    The second part is only read when the page reaches past the first."""
    if key == "due":
        due = snapshots.rescoring_due(now=now)
        first, rest = (due, ~due) if descending else (~due, due)
        return (
            customers.filter(first).order_by("name", "pk"),
            customers.filter(rest).order_by("name", "pk"),
        )
    if key not in SPLIT_SORT_FIELDS:
        return None
    fields = SPLIT_SORT_FIELDS[key]
    joined = customers.annotate(current=snapshots.current_relation())
    value = _snapshot_value(fields)
    # Without a value: one of its columns empty, or no current snapshot. Said column by column,
    # so the database estimates how many from each column's statistics (it has none for the
    # difference, and took a guess that made it sort all of an account manager's customers).
    empty = Q()
    for field in fields:
        empty |= Q(**{f"current__{field}__isnull": True})
    return (
        joined.annotate(sort_value=_snapshot_value(fields))
        .filter(sort_value__isnull=False)
        .order_by(value.desc() if descending else value.asc(), "name", "pk"),
        joined.filter(empty).order_by("name", "pk"),
    )


def customer_list_page(
    customers: QuerySet[Customer], key: str, *, descending: bool, offset: int, limit: int
) -> tuple[list[CustomerListRow], int | None]:
    """One page of the customer list: the customers sorted on a list column, the rows from
    ``offset`` on, and how many customers there are in all (None when the page is empty: past
    the last page, or no customers). One query as a rule: the statement is written out around
    the ORM's sorted ids (for a page of 50 rows, three queries and the ORM's building of them
    cost more than the work). Sorted on a snapshot column or "due", the ids are the first of
    the two parts of ``_split_parts``: the first page takes up to a page of each in one
    statement, a later page that reaches past the first part's end reads the rest part next."""
    try:  # counted before the sort's joins and annotations are added: they change no count
        count_sql, count_params = customers.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a queryset that can match nothing (``none()``) makes no SQL
        return [], 0
    now = timezone.now()
    c, s = Customer._meta.db_table, ScoreSnapshot._meta.db_table
    u = get_user_model()._meta.db_table
    direction = "DESC" if descending else "ASC"
    # The page's ids come sorted from the ORM's query; its rows are sorted again on the same
    # columns (named as the row names them), which gives the same order for the same values:
    # also across the two parts of a split sort (values first, then empty; due, then not).
    order_sql = ", ".join(
        [f"{column} {direction} NULLS LAST" for column in LIST_SORT_COLUMNS[key]]
        + ["name ASC", "pk ASC"]
    )

    def read(page_sql: str, page_params: Sequence[Any]) -> list[dict[str, Any]]:
        # The customers table keeps its own name: the "due" condition refers to it by it.
        due_sql, due_params = snapshots.rescoring_due_sql(now=now)
        current_sql, current_params = snapshots.snapshot_join_sql("s", f"{c}.id")
        sql = (
            f"WITH page (pk) AS ({page_sql}) "
            f"SELECT * FROM (SELECT {c}.id AS pk, {c}.name AS name, {c}.sector AS sector, "
            f"{c}.active AS active, u.first_name AS first_name, u.last_name AS last_name, "
            f"u.username AS username, {due_sql} AS due, "
            f"s.binding_score AS binding_score, s.satisfaction AS satisfaction, "
            f"s.alternatives AS alternatives, s.investment AS investment, "
            f"s.coverage AS coverage, s.provisional AS provisional, s.band AS band, "
            f"s.last_assessed_at AS last_assessed_at, s.previous_score AS previous_score, "
            f"(SELECT COUNT(*) FROM ({count_sql}) counted) AS total "
            f"FROM page JOIN {c} ON {c}.id = page.pk "
            f"LEFT JOIN {u} u ON u.id = {c}.account_manager_id "
            f"LEFT JOIN {s} s ON {current_sql}) list_rows "
            f"ORDER BY {order_sql}"
        )
        return db.fetch_dicts(sql, [*page_params, *due_params, *count_params, *current_params])

    parts = _split_parts(customers, key, descending=descending, now=now)
    if parts is None:
        customers, order = _list_order(customers, key, descending=descending, now=now)
        page = customers.order_by(*order).values_list("pk", flat=True)[offset : offset + limit]
        fetched = read(*page.query.sql_with_params())
    elif offset == 0:
        # The page a list opens on, in one statement: the first part's first ``limit`` ids,
        # then the rest part's only when those are fewer (an uncorrelated condition: the
        # database decides it once and does not read the rest part when the page is full).
        first_top, rest_top = (part.values_list("pk", flat=True)[:limit] for part in parts)
        first_sql, first_params = first_top.query.sql_with_params()
        rest_sql, rest_params = rest_top.query.sql_with_params()
        both = (
            f"WITH first_page AS ({first_sql}) SELECT * FROM first_page UNION ALL "
            f"SELECT * FROM ({rest_sql}) rest_page "
            f"WHERE (SELECT COUNT(*) FROM first_page) < %s"
        )
        fetched = read(both, [*first_params, *rest_params, limit])[:limit]
    else:
        fetched = read(
            *parts[0].values_list("pk", flat=True)[offset : offset + limit].query.sql_with_params()
        )
        # A short page of the first part, short of the list's end: the rest part's rows after
        # it, from where the first part ended (counted only for a page that holds none of it).
        short = len(fetched) < limit and (
            not fetched or offset + len(fetched) < fetched[0]["total"]
        )
        if short:
            first, rest = parts
            first_ids = [row["pk"] for row in fetched]
            first_size = offset + len(first_ids) if first_ids else first.count()
            start = max(0, offset - first_size)
            rest_page = rest.values_list("pk", flat=True)[start : start + limit - len(first_ids)]
            rest_sql, rest_params = rest_page.query.sql_with_params()
            page_sql = f"SELECT * FROM ({rest_sql}) rest_page"
            if first_ids:
                placeholders = ", ".join(["%s"] * len(first_ids))
                listed = f"SELECT {c}.id FROM {c} WHERE {c}.id IN ({placeholders})"
                page_sql = f"{listed} UNION ALL {page_sql}"
            fetched = read(page_sql, [*first_ids, *rest_params])
    rows: list[CustomerListRow] = []
    for row in fetched:
        score, previous = row["binding_score"], row["previous_score"]
        provisional = row["provisional"]
        full_name = f"{row['first_name'] or ''} {row['last_name'] or ''}".strip()
        rows.append(
            {
                "pk": row["pk"],
                "name": row["name"],
                "sector": row["sector"],
                "active": bool(row["active"]),
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "username": row["username"],
                "manager": full_name or row["username"] or "",
                "binding_score": score,
                "satisfaction": row["satisfaction"],
                "alternatives": row["alternatives"],
                "investment": row["investment"],
                "coverage": row["coverage"],
                "provisional": None if provisional is None else bool(provisional),
                "band": row["band"],
                "last_assessed_at": db.aware(row["last_assessed_at"]),
                "previous_score": previous,
                "change": None if score is None or previous is None else score - previous,
                "rescoring_due": bool(row["due"]),
            }
        )
    return rows, (fetched[0]["total"] if fetched else None)


@dataclass(frozen=True)
class CustomerList:
    """One page of a user's customer list, with what its filters and sort turned out to be."""

    page: Page  # its object_list holds CustomerListRow
    sort: str  # the sort applied: a LIST_SORT_FIELDS key, "-" first for descending
    managers: list[tuple[str, str]]  # the account manager filter's choices (management only)
    manager_filter: str  # for management the filter applied: an id, "none" or ""


def _page_number(requested: str) -> int:
    """The requested page (the first when the text is not a number)."""
    if requested.isascii() and requested.isdigit():
        # Beyond any list's end (a number too big for an OFFSET) shows the last page.
        return max(1, min(int(requested), 10**9)) if len(requested) <= 12 else 10**9
    return 1


def customer_list(
    user: AbstractBaseUser | AnonymousUser,
    *,
    search: str = "",
    manager: str = "",
    due_only: bool = False,
    sort: str = "name",
    page: str = "",
    page_size: int = 50,
    narrow: Callable[[QuerySet[Customer]], QuerySet[Customer]] | None = None,
) -> CustomerList:
    """The user's customers (management: all, by account manager), searched and filtered,
    sorted on a list column, one page of them (the last when ``page`` is past the end). The
    rows come in one query with their count. ``narrow`` applies the filters other apps add
    (scoring/list_columns.py) before the list is sorted and paged."""
    customers = customers_visible_to(user)
    if search:
        customers = customers.filter(
            Q(name__icontains=search)
            | Q(external_id__icontains=search)
            | Q(sector__icontains=search)
        )
    managers: list[tuple[str, str]] = []
    if is_management(user):
        managers = account_manager_choices()
        if manager == "none":
            customers = customers.filter(account_manager__isnull=True)
        elif manager.isascii() and manager.isdigit() and len(manager) < 12:
            customers = customers.filter(account_manager_id=int(manager))
        else:
            manager = ""
    if due_only:
        customers = customers_due(customers)
    if narrow is not None:
        customers = narrow(customers)
    if sort.lstrip("-") not in LIST_SORT_FIELDS:
        sort = "name"
    key, descending = sort.lstrip("-"), sort.startswith("-")
    number = _page_number(page)

    def rows_of(number: int) -> tuple[list[CustomerListRow], int | None]:
        offset = (number - 1) * page_size
        return customer_list_page(
            customers, key, descending=descending, offset=offset, limit=page_size
        )

    rows, count = rows_of(number)
    if count is None:  # an empty list, or a page past its end
        count = customers.count()
        last = max(1, math.ceil(count / page_size))
        if count and number > last:
            number = last
            rows, _count = rows_of(number)
        number = min(number, last)
    return CustomerList(
        page=Page(rows, number, Paginator(range(count), page_size)),
        sort=sort,
        managers=managers,
        manager_filter=manager,
    )


# --------------------------------------------------------------------------------------------
# The customer page
# --------------------------------------------------------------------------------------------


class ElementRow(TypedDict):
    """An element on the customer page: its value, the mean per respondent kind (staff,
    customer, expert) and the spread between the kinds."""

    element: Element
    value: float | None
    kinds: list[float | None]
    spread: float | None


class Wall(ElementRow):
    gain: float  # weight × (6 − value)
    points: float  # the score points that gain is worth


class ElementGroup(TypedDict):
    factor: str
    rows: list[ElementRow]


class FactorScore(TypedDict):
    key: str
    label: str
    value: float | None
    band: str
    width: int  # of the bar, in percent


@dataclass(frozen=True)
class CustomerPage:
    """The customer page: the current score, the elements by factor, where the wall rises
    most, and one page of the assessment history with each assessment's own score."""

    customer: Customer
    snapshot: ScoreSnapshot | None
    expired: snapshots.ExpiredScore | None  # the last known score when every one expired
    groups: list[ElementGroup]
    factors: list[FactorScore]
    walls: list[Wall]
    history: Page
    # Newest first: (assessment, its own score, None), and (None, None, model) where a scoring
    # model was published: from there on every score is computed with that model.
    history_rows: list[tuple[Assessment | None, ScoreResult | None, tuple[datetime, int] | None]]


def _element_rows(snapshot: ScoreSnapshot | None, elements: list[Element]) -> list[ElementRow]:
    codes = [e.code for e in elements]
    values = snapshot.element_values(codes) if snapshot else {}
    per_kind = {
        kind: snapshot.element_values(codes, kind) if snapshot else {}
        for kind in calculations.KINDS
    }
    rows: list[ElementRow] = []
    for element in elements:
        means = [per_kind[k].get(element.code) for k in calculations.KINDS]
        present = [m for m in means if m is not None]
        rows.append(
            {
                "element": element,
                "value": values.get(element.code),
                "kinds": means,
                "spread": max(present) - min(present) if len(present) > 1 else None,
            }
        )
    return rows


def _walls(rows: list[ElementRow], elements: list[Element], top: int = 3) -> list[Wall]:
    """The elements where the wall rises most: weight × (6 − value), with the score points."""
    valued = {r["element"].code: r["value"] for r in rows if r["value"] is not None}
    if not valued:
        return []
    frame = pd.DataFrame([valued], columns=[e.code for e in elements], dtype=float)
    table = calculations.points_to_gain(
        frame,
        pd.DataFrame(
            {"code": [e.code for e in elements], "weight": [float(e.weight) for e in elements]}
        ),
    )
    by_code = {r["element"].code: r for r in rows}
    return [
        {**by_code[str(code)], "gain": float(row.gain), "points": float(row.score_points)}
        for code, row in table.head(top).iterrows()
        if row.gain > 0
    ]


def _factors(snapshot: ScoreSnapshot | None) -> list[FactorScore]:
    """The three factor scores with their band colour and a bar width."""
    thresholds = rule_params().band_thresholds
    factors: list[FactorScore] = []
    for key, label in Factor.choices:
        value = getattr(snapshot, key) if snapshot else None
        factors.append(
            {
                "key": key,
                "label": str(label),
                "value": value,
                "band": calculations.band_of(value, thresholds),
                "width": round(value) if value is not None else 0,
            }
        )
    return factors


def customer_page(
    customer: Customer, *, history_page: str | None = None, history_size: int = 20
) -> CustomerPage:
    """Score, factors, the elements per respondent kind, where to raise the wall, history."""
    snapshot = snapshots.current_snapshot(customer)
    model = snapshot.scoring_model if snapshot else scoring_model_active()
    elements = list(model_elements(model))
    rows = _element_rows(snapshot, elements)
    groups: list[ElementGroup] = [
        {"factor": str(label), "rows": [r for r in rows if r["element"].factor == value]}
        for value, label in Factor.choices
    ]
    history = Paginator(
        customer.assessments.select_related("user").order_by("-assessed_at", "-pk"),
        history_size,
    ).get_page(history_page)
    # The snapshot's model is the active one but right after a publish: no second lookup.
    scores = assessment_scores(list(history), scoring_model=model if model.is_active else None)
    return CustomerPage(
        customer=customer,
        snapshot=snapshot,
        expired=snapshots.expired_score(customer, snapshot),
        groups=[g for g in groups if g["rows"]],
        factors=_factors(snapshot),
        walls=_walls(rows, elements),
        history=history,
        history_rows=_with_publishes(customer, history, scores),
    )


def _with_publishes(
    customer: Customer, history: Page, scores: dict[int, ScoreResult]
) -> list[tuple[Assessment | None, ScoreResult | None, tuple[datetime, int] | None]]:
    """The page's assessments with a row (published at, version) for each model published
    among them: a page holds the publishes after the next page's newest assessment, up to its
    own newest (the first page also the newer ones). A publish before the customer's first
    assessment is no change the customer's scores went through."""
    assessments = list(history)
    if not assessments:
        return []
    pending = scoring_model_publishes()[::-1]  # newest first, as the page
    if history.number > 1:
        pending = [p for p in pending if p[0] <= assessments[0].assessed_at]
    if history.has_next():
        newest_next = (
            customer.assessments.order_by("-assessed_at", "-pk")
            .values_list("assessed_at", flat=True)[history.end_index() : history.end_index() + 1]
            .first()
        )
        if newest_next is not None:
            pending = [p for p in pending if p[0] > newest_next]
    rows: list[tuple[Assessment | None, ScoreResult | None, tuple[datetime, int] | None]] = []
    for assessment in assessments:
        while pending and pending[0][0] > assessment.assessed_at:
            rows.append((None, None, pending.pop(0)))
        rows.append((assessment, scores.get(assessment.pk), None))
    if history.has_next():  # between this page and the next
        rows.extend((None, None, publish) for publish in pending)
    return rows


@dataclass(frozen=True)
class CustomerHistory:
    """What the customer page's charts draw: every stored result, oldest first, and the
    current one's element values per respondent kind with the element names."""

    results: pd.DataFrame  # computed_at, binding_score and the factor scores
    kind_values: dict[str, list[float | None]]  # only the kinds with any value
    names: list[str]  # the current model's element names, in the user's language
    publishes: tuple[tuple[datetime, int], ...] = ()  # model publishes since the first result


@dataclass(frozen=True)
class NpsPoint:
    """The customer's NPS at one moment: each customer respondent's latest answer within the
    validity window then, as the dashboard counts it."""

    at: datetime
    nps: float | None
    answers: int


@dataclass(frozen=True)
class CustomerNps:
    """The customer's NPS now and at the end of each of the last quarters, oldest first."""

    now: NpsPoint
    trend: list[NpsPoint]


def customer_nps(
    customer: Customer, *, now: datetime | None = None, quarters: int = 4
) -> CustomerNps | None:
    """The customer's Net Promoter Score now and its trend; None when no contact answered."""
    answers = list(
        customer.assessments.filter(respondent_kind=RespondentKind.CUSTOMER, nps__isnull=False)
        .order_by("assessed_at", "pk")
        .values_list("respondent_email", "assessed_at", "nps")
    )
    if not answers:
        return None
    now = now or timezone.now()
    params = rule_params()

    def point(moment: datetime) -> NpsPoint:
        latest: dict[str, int | None] = {}  # nps is never None here (filtered)
        for email, at, nps in answers:  # oldest first: a later answer replaces an earlier one
            if params.window_start(moment) <= at <= moment:
                latest[email.lower()] = nps
        values = pd.Series(list(latest.values()), dtype=float)
        return NpsPoint(at=moment, nps=calculations.net_promoter_score(values), answers=len(latest))

    moments = [now - timedelta(days=91 * back) for back in range(quarters, 0, -1)]
    return CustomerNps(now=point(now), trend=[point(m) for m in moments] + [point(now)])


def customer_history(customer: Customer) -> CustomerHistory | None:
    """The customer's score history for its charts; None before its first score."""
    stored = list(
        ScoreSnapshot.objects.filter(customer=customer)
        .order_by("computed_at", "pk")
        .values(
            "computed_at",
            "binding_score",
            "satisfaction",
            "alternatives",
            "investment",
            "details",
            "scoring_model_id",
        )
    )
    if not stored:
        return None
    current = stored[-1]
    elements = list(
        Element.objects.filter(scoring_model_id=current["scoring_model_id"])
        .order_by("order", "pk")
        .values_list("name_nl", "name_en")
    )
    decoded = snapshots.details_decode(current["details"], len(elements))
    return CustomerHistory(
        results=pd.DataFrame(stored),
        kind_values={
            kind: values for kind, values in decoded.items() if any(v is not None for v in values)
        },
        names=[localised(nl, en) for nl, en in elements],
        publishes=tuple(
            (at, version)
            for at, version in scoring_model_publishes()
            if at >= stored[0]["computed_at"]
        ),
    )


# --------------------------------------------------------------------------------------------
# The score export
# --------------------------------------------------------------------------------------------


class ExportCustomer(TypedDict):
    customer: Customer
    snapshot: ScoreSnapshot | None


def export_rows(customers: QuerySet[Customer] | None = None) -> list[ExportCustomer]:
    """Each active customer (by name) with its current stored score, for ``export_scores``."""
    customers = (customers if customers is not None else Customer.objects.all()).filter(active=True)
    current = snapshots.current_snapshots(customers)
    listed = customers.order_by("name", "external_id").only("id", "external_id", "name")
    return [{"customer": c, "snapshot": current.get(c.id)} for c in listed]
