"""Reads: the active model, the frames the rule runs on, and what pages and exports show.

The frames are read with one raw query each, so a whole portfolio costs a fixed number of
queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import EmptyResultSet
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from klantbinding.lib import db
from scoring import calculations
from scoring.conf import rule_params
from scoring.models import (
    Assessment,
    Customer,
    Element,
    ElementScore,
    RespondentKind,
    ScoreSnapshot,
    ScoringModel,
)
from scoring.roles import ACCOUNT_MANAGERS, is_management


class NoActiveModelError(LookupError):
    """The database has no active scoring model (the data migration did not run)."""


def scoring_model_active() -> ScoringModel:
    """The scoring model that scores are computed with now."""
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is None:
        raise NoActiveModelError("no active scoring model; run manage.py migrate")
    return model


def elements_frame(scoring_model: ScoringModel) -> pd.DataFrame:
    """The model's elements as the rule needs them: code, factor, weight (and order, names)."""
    rows = list(
        Element.objects.filter(scoring_model=scoring_model)
        .order_by("order", "pk")
        .values("code", "factor", "weight", "order", "name_nl", "name_en")
    )
    frame = pd.DataFrame(rows, columns=["code", "factor", "weight", "order", "name_nl", "name_en"])
    return frame.astype({"weight": float})


def customers_with_scores(customers: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    """Customers annotated with their current stored score, in one query whatever their number.

    Adds ``binding_score``, ``satisfaction``, ``alternatives``, ``investment``, ``coverage``,
    ``provisional``, ``band``, ``respondents``, ``last_assessed_at``, ``previous_score``,
    ``computed_at`` (None without a snapshot), ``last_staff_assessed_at`` and ``rescoring_due``
    (no staff assessment within settings.KLANTBINDING["STAFF_CADENCE_DAYS"]).
    """
    customers = customers if customers is not None else Customer.objects.all()
    cadence = timedelta(days=settings.KLANTBINDING["STAFF_CADENCE_DAYS"])
    last_staff = (
        Assessment.objects.filter(customer=OuterRef("pk"), respondent_kind=RespondentKind.STAFF)
        .order_by()
        .values("customer")
        .annotate(last=Max("assessed_at"))
        .values("last")
    )
    fields = (
        "binding_score",
        "satisfaction",
        "alternatives",
        "investment",
        "coverage",
        "provisional",
        "band",
        "respondents",
        "last_assessed_at",
        "previous_score",
        "computed_at",
    )
    return (
        customers.annotate(
            current=FilteredRelation("snapshots", condition=Q(snapshots__is_current=True))
        )
        .annotate(**{name: F(f"current__{name}") for name in fields})
        .annotate(last_staff_assessed_at=Subquery(last_staff))
        .annotate(
            rescoring_due=Case(
                When(last_staff_assessed_at__gte=timezone.now() - cadence, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
    )


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


chunked = db.chunked  # the public name other apps import


def customers_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Customer]:
    """All customers for management; an account manager's own customers; nothing otherwise."""
    if is_management(user):
        return Customer.objects.all()
    if not user.is_authenticated:
        return Customer.objects.none()
    return Customer.objects.filter(account_manager=user)


def assessment_frames(
    *, start: datetime, end: datetime, customer_ids: Sequence[int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assessments with start ≤ assessed_at ≤ end, and their answered element scores.

    Returns the ``assessments`` and ``scores`` frames of ``scoring.calculations``. Element
    codes come from each score's own model version: the rule matches them by code.
    """
    a_table = Assessment._meta.db_table
    s_table = ElementScore._meta.db_table
    e_table = Element._meta.db_table
    header_rows = db.fetch_for_ids(
        f"SELECT id, customer_id, respondent_kind, LOWER(respondent_email), "
        f"{db.epoch_sql('assessed_at')} FROM {a_table} "
        f"WHERE assessed_at >= %s AND assessed_at <= %s",
        [start, end],
        customer_ids,
        "customer_id",
    )
    assessments = pd.DataFrame(
        header_rows, columns=["id", "customer_id", "kind", "respondent", "assessed_at"]
    )
    assessments["assessed_at"] = db.epoch_to_utc(assessments["assessed_at"])
    assessments = assessments.astype({"id": "int64", "customer_id": "int64"})

    score_rows = db.fetch_for_ids(
        f"SELECT s.assessment_id, s.element_id, s.value FROM {s_table} s "
        f"JOIN {a_table} a ON a.id = s.assessment_id "
        f"WHERE a.assessed_at >= %s AND a.assessed_at <= %s AND s.value IS NOT NULL",
        [start, end],
        customer_ids,
        "a.customer_id",
    )
    element_ids, element_codes = zip(
        *db.fetch_all(f"SELECT id, code FROM {e_table} ORDER BY id"), strict=True
    )
    # All three columns are numbers: one 2-D array is much cheaper than a frame of tuples.
    table = np.array(score_rows, dtype=float).reshape(-1, 3)
    categories = sorted(set(element_codes))
    code_of_id = np.full(max(element_ids) + 1, -1, dtype=np.int64)
    code_of_id[list(element_ids)] = [categories.index(c) for c in element_codes]
    scores = pd.DataFrame(
        {
            "assessment_id": table[:, 0].astype(np.int64),
            "code": pd.Categorical.from_codes(
                code_of_id[table[:, 1].astype(np.int64)], categories=categories
            ),
            "value": table[:, 2],
        }
    )
    return assessments, scores


def last_assessed_at(
    *, end: datetime, customer_ids: Sequence[int] | None = None
) -> dict[int, datetime]:
    """Each customer's most recent assessment at or before ``end``, of any kind."""
    queryset = Assessment.objects.filter(assessed_at__lte=end)
    result: dict[int, datetime] = {}
    if customer_ids is None:
        chunks: Iterable[Sequence[int] | None] = [None]
    else:
        chunks = db.chunked(customer_ids)
    for chunk in chunks:
        subset = queryset if chunk is None else queryset.filter(customer_id__in=chunk)
        result.update(
            subset.values_list("customer_id").annotate(last=Max("assessed_at")).order_by()
        )
    return result


def current_fingerprints(
    customer_ids: Sequence[int] | None = None,
) -> dict[int, tuple[str, float | None]]:
    """Per customer with a current snapshot: its fingerprint and binding score."""
    queryset = ScoreSnapshot.objects.filter(is_current=True)
    fields = ("customer_id", "fingerprint", "binding_score")
    if customer_ids is None:
        return {c: (f, s) for c, f, s in queryset.values_list(*fields)}
    result: dict[int, tuple[str, float | None]] = {}
    for chunk in db.chunked(customer_ids):
        subset = queryset.filter(customer_id__in=chunk).values_list(*fields)
        result.update({c: (f, s) for c, f, s in subset})
    return result


def export_rows(customers: QuerySet[Customer] | None = None) -> list[dict]:
    """One row per active customer with its current stored score, for ``export_scores``."""
    customers = (customers if customers is not None else Customer.objects.all()).filter(active=True)
    snapshots = {
        s.customer_id: s
        for s in ScoreSnapshot.objects.filter(is_current=True, customer__in=customers)
    }
    rows = []
    for customer in customers.order_by("name", "external_id").only("id", "external_id", "name"):
        snapshot = snapshots.get(customer.id)
        rows.append({"customer": customer, "snapshot": snapshot})
    return rows


# --------------------------------------------------------------------------------------------
# The matrix, the customer page and the model editor
# --------------------------------------------------------------------------------------------


def _result_of(result: calculations.PortfolioResult, key: int) -> dict:
    """One row of a rule result as plain Python: None where there is no score."""
    row = result.scores.loc[key]

    def number(value: object) -> float | None:
        return None if pd.isna(value) else float(value)

    return {
        "binding_score": number(row["binding_score"]),
        **{factor: number(row[factor]) for factor in calculations.FACTORS},
        "coverage": float(row["coverage"]),
        "provisional": bool(row["provisional"]),
        "band": str(row["band"] or ""),
        "respondents": int(row["respondents"]),
    }


def matrix_preview(
    *,
    customer: Customer,
    respondent_email: str,
    values: Mapping[str, int | None],
    now: datetime | None = None,
) -> dict:
    """The customer's result as if this staff member submitted ``values`` now; writes nothing.

    The stored assessments plus the unsaved one go through the rule as a submit would, so the
    preview equals the score the customer gets after submitting the same values.
    """
    now = now or timezone.now()
    params = rule_params()
    elements = elements_frame(scoring_model_active())
    assessments, scores = assessment_frames(
        start=params.window_start(now), end=now, customer_ids=[customer.pk]
    )
    pending_id = int(assessments["id"].max()) + 1 if len(assessments) else 1
    pending = pd.DataFrame(
        {
            "id": [pending_id],
            "customer_id": [customer.pk],
            "kind": [RespondentKind.STAFF.value],
            "respondent": [respondent_email.strip().lower()],
            "assessed_at": pd.to_datetime([now], utc=True),
        }
    )
    answered = pd.DataFrame(
        [(pending_id, code, float(v)) for code, v in values.items() if v is not None],
        columns=["assessment_id", "code", "value"],
    )
    result = calculations.compute_portfolio(
        pd.concat([assessments, pending], ignore_index=True),
        pd.concat([scores.astype({"code": str}), answered], ignore_index=True),
        elements,
        now=now,
        params=params,
        customer_ids=[customer.pk],
    )
    return _result_of(result, customer.pk)


def previous_assessment(
    *, customer: Customer, respondent_kind: str, respondent_email: str
) -> tuple[datetime | None, dict[str, int | None]]:
    """When this respondent last assessed the customer, and the values by element code.
    One query, written out: the matrix asks on every visit, and the ORM's building of this
    join and subquery cost twice the query."""
    e, s, a = Element._meta.db_table, ElementScore._meta.db_table, Assessment._meta.db_table
    sql = (
        f"SELECT e.code, s.value, a.assessed_at FROM {s} s "
        f"JOIN {a} a ON a.id = s.assessment_id JOIN {e} e ON e.id = s.element_id "
        f"WHERE s.assessment_id = (SELECT latest.id FROM {a} latest "
        f"WHERE latest.customer_id = %s AND latest.respondent_kind = %s "
        f"AND latest.respondent_email = %s ORDER BY latest.assessed_at DESC, latest.id DESC "
        f"LIMIT 1)"
    )
    rows = db.fetch_all(sql, [customer.pk, respondent_kind, respondent_email.strip().lower()])
    values = {code: value for code, value, _at in rows}
    return (db.aware(rows[0][2]) if rows else None), values


# A published model's elements never change (new weights make a new version), so they are
# kept per process, keyed by the model and the moment it was published.
_published_elements: dict[tuple[int, datetime, str], list[Element]] = {}


def elements_asked(kind: str) -> list[Element]:
    """The active model's elements put to this respondent kind, in matrix order, each with its
    scoring model; one small query once the elements are known to this process."""
    active = ScoringModel.objects.filter(is_active=True).values_list("pk", "published_at").first()
    if active is None:
        return []
    key = (*active, kind)
    elements = _published_elements.get(key)
    if elements is None:
        elements = list(
            Element.objects.filter(scoring_model_id=active[0], **{f"asked_{kind}": True})
            .select_related("scoring_model")
            .order_by("order", "pk")
        )
        _published_elements[key] = elements
    return list(elements)


def assessment_scores(
    assessments: Sequence[Assessment], *, now: datetime | None = None
) -> dict[int, dict]:
    """Each assessment's own result: the rule over that one assessment, with the active model.

    One query and one pass of the rule for all of them: each assessment is its own "customer".
    """
    if not assessments:
        return {}
    now = now or timezone.now()
    ids = [a.pk for a in assessments]
    frame = pd.DataFrame(
        {
            "id": ids,
            "customer_id": ids,
            "kind": [a.respondent_kind for a in assessments],
            "respondent": [""] * len(ids),
            "assessed_at": pd.to_datetime([now] * len(ids), utc=True),
        }
    )
    rows = ElementScore.objects.filter(assessment_id__in=ids, value__isnull=False).values_list(
        "assessment_id", "element__code", "value"
    )
    scores = pd.DataFrame(list(rows), columns=["assessment_id", "code", "value"])
    scores["value"] = scores["value"].astype(float)
    result = calculations.compute_portfolio(
        frame,
        scores,
        elements_frame(scoring_model_active()),
        now=now,
        params=rule_params(),
        customer_ids=ids,
    )
    return {pk: _result_of(result, pk) for pk in ids}


def scoring_model_preview(
    *, draft: ScoringModel, now: datetime | None = None, movers: int = 10
) -> dict:
    """What publishing ``draft`` would change, without writing anything.

    One pass of the rule over every customer with the draft's elements, compared with the
    stored current scores that publishing replaces: how many customers change band (and
    between which bands), how many change score, and the biggest movers.
    """
    now = now or timezone.now()
    params = rule_params()
    universe = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    assessments, scores = assessment_frames(start=params.window_start(now), end=now)
    result = calculations.compute_portfolio(
        assessments, scores, elements_frame(draft), now=now, params=params, customer_ids=universe
    )
    stored = pd.DataFrame(
        list(
            ScoreSnapshot.objects.filter(is_current=True).values_list(
                "customer_id", "binding_score", "band"
            )
        ),
        columns=["customer_id", "before", "band_before"],
    ).set_index("customer_id")
    table = (
        result.scores[["binding_score", "band"]]
        .rename(columns={"binding_score": "after", "band": "band_after"})
        .join(stored)
    )
    table["band_before"] = table["band_before"].fillna("")
    table["before"] = table["before"].astype(float)
    shown_before = calculations.round_half_up(table["before"])
    shown_after = calculations.round_half_up(table["after"])
    table["change"] = table["after"] - table["before"]
    both_empty = np.isnan(shown_before) & np.isnan(shown_after)
    score_changed = (shown_before != shown_after) & ~both_empty
    band_changed = table[table["band_before"] != table["band_after"]]
    transitions = band_changed.groupby(["band_before", "band_after"]).size()
    top = table[table["change"].notna()]
    top = top.loc[top["change"].abs().sort_values(ascending=False, kind="stable").index[:movers]]
    top = top[top["change"].abs() >= 0.05]
    names = dict(Customer.objects.filter(pk__in=top.index.tolist()).values_list("pk", "name"))
    return {
        "customers": len(table),
        "band_changes": len(band_changed),
        "score_changes": int(score_changed.sum()),
        "transitions": [
            {"before": before, "after": after, "count": int(count)}
            for (before, after), count in transitions.sort_values(ascending=False).items()
        ],
        "movers": [
            {
                "customer_id": int(pk),
                "name": names.get(pk, ""),
                "before": float(row.before),
                "after": float(row.after),
                "change": float(row.change),
                "band_before": row.band_before,
                "band_after": row.band_after,
            }
            for pk, row in top.iterrows()
        ],
    }


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
    "due": ("NOT recent",),
}


def _current() -> FilteredRelation:
    """The customer's current snapshot (a new object per query: Django alters it in use)."""
    return FilteredRelation("snapshots", condition=Q(snapshots__is_current=True))


def _staff_assessed_since(cutoff: datetime) -> Exists:
    return Exists(
        Assessment.objects.filter(
            customer=OuterRef("pk"), respondent_kind=RespondentKind.STAFF, assessed_at__gte=cutoff
        )
    )


def customers_due(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Those without a staff assessment within the staff cadence (``rescoring_due`` above)."""
    cadence = timedelta(days=settings.KLANTBINDING["STAFF_CADENCE_DAYS"])
    return customers.filter(~_staff_assessed_since(timezone.now() - cadence))


def _list_order(
    customers: QuerySet[Customer], key: str, *, descending: bool, due_cutoff: datetime
) -> tuple[QuerySet[Customer], list]:
    """The customers with what sorting on a list column (LIST_SORT_FIELDS) needs, and the
    order: that column, empty values last, ties by name and id."""
    if key == "due":
        customers = customers.annotate(due=~_staff_assessed_since(due_cutoff))
    elif key not in ("name", "manager"):
        customers = customers.annotate(current=_current()).annotate(
            change=F("current__binding_score") - F("current__previous_score")
        )
    order = [
        F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
        for name in LIST_SORT_FIELDS[key]
    ]
    return customers, [*order, F("name").asc(), F("pk").asc()]


def customer_list_page(
    customers: QuerySet[Customer], key: str, *, descending: bool, offset: int, limit: int
) -> tuple[list[dict], int | None]:
    """One page of the customer list in one query: the customers sorted on a list column, the
    rows from ``offset`` on (the customer, its account manager's name, the current stored
    score, the change and whether it is due), and how many customers there are in all (None
    when the page is empty: past the last page, or no customers). The statement is written
    out around the ORM's sorted ids: for a page of 50 rows, three queries and the ORM's
    building of them cost more than the work."""
    try:  # counted before the sort's joins and annotations are added: they change no count
        count_sql, count_params = customers.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a queryset that can match nothing (``none()``) makes no SQL
        return [], 0
    cutoff = timezone.now() - timedelta(days=settings.KLANTBINDING["STAFF_CADENCE_DAYS"])
    customers, order = _list_order(customers, key, descending=descending, due_cutoff=cutoff)
    page = customers.order_by(*order).values_list("pk", flat=True)[offset : offset + limit]
    page_sql, page_params = page.query.sql_with_params()
    direction = "DESC" if descending else "ASC"
    # The page's ids come sorted from the ORM's query; its rows are sorted again on the same
    # columns (named as the row names them), which gives the same order for the same values.
    order_sql = ", ".join(
        [f"{column} {direction} NULLS LAST" for column in LIST_SORT_COLUMNS[key]]
        + ["name ASC", "id ASC"]
    )
    c, s, a = Customer._meta.db_table, ScoreSnapshot._meta.db_table, Assessment._meta.db_table
    u = Customer._meta.get_field("account_manager").related_model._meta.db_table
    sql = (
        f"WITH page (pk) AS ({page_sql}) "
        f"SELECT * FROM (SELECT c.id AS id, c.name AS name, c.sector AS sector, "
        f"c.active AS active, u.first_name AS first_name, u.last_name AS last_name, "
        f"u.username AS username, EXISTS (SELECT 1 FROM {a} a WHERE a.customer_id = c.id "
        f"AND a.respondent_kind = %s AND a.assessed_at >= %s) AS recent, "
        f"s.binding_score AS binding_score, s.satisfaction AS satisfaction, "
        f"s.alternatives AS alternatives, s.investment AS investment, s.coverage AS coverage, "
        f"s.provisional AS provisional, s.band AS band, "
        f"s.last_assessed_at AS last_assessed_at, s.previous_score AS previous_score, "
        f"(SELECT COUNT(*) FROM ({count_sql}) counted) AS total "
        f"FROM page JOIN {c} c ON c.id = page.pk "
        f"LEFT JOIN {u} u ON u.id = c.account_manager_id "
        f"LEFT JOIN {s} s ON s.customer_id = c.id AND s.is_current) list_rows "
        f"ORDER BY {order_sql}"
    )
    params = [
        *page_params,
        RespondentKind.STAFF.value,
        cutoff,
        *count_params,
    ]
    fetched = db.fetch_all(sql, params)
    names = (
        "pk", "name", "sector", "active", "account_manager__first_name",
        "account_manager__last_name", "account_manager__username", "recent",
        "binding_score", *calculations.FACTORS, "coverage", "provisional", "band",
        "last_assessed_at", "previous_score",
    )  # fmt: skip
    result = []
    for fetched_row in fetched:
        row = dict(zip(names, fetched_row[:-1], strict=True))
        row["active"] = bool(row["active"])
        row["provisional"] = None if row["provisional"] is None else bool(row["provisional"])
        row["last_assessed_at"] = db.aware(row["last_assessed_at"])
        score, previous = row["binding_score"], row["previous_score"]
        row["change"] = None if score is None or previous is None else score - previous
        row["rescoring_due"] = not row.pop("recent")
        result.append(row)
    return result, (fetched[0][-1] if fetched else None)


def assessment_timeline(request: HttpRequest, customer: Customer, limit: int) -> list:
    """The customer's newest assessments as timeline entries (survey answers named as such)."""
    from scoring.extensions import TimelineEntry

    rows = (
        Assessment.objects.filter(customer=customer)
        .select_related("user")
        .order_by("-assessed_at", "-pk")[:limit]
    )
    entries = []
    for assessment in rows:
        kind = assessment.get_respondent_kind_display()
        if assessment.source == Assessment.Source.SURVEY:
            title = _("Survey answered (%(kind)s)") % {"kind": kind}
        else:
            title = _("Assessment (%(kind)s)") % {"kind": kind}
        who = (
            (assessment.user.get_full_name() or assessment.user.username)
            if assessment.user
            else (assessment.respondent_name or assessment.respondent_email)
        )
        entries.append(
            TimelineEntry(
                at=assessment.assessed_at,
                kind="assessment",
                title=title,
                detail=who,
                url=reverse("scoring:assessment-detail", args=[assessment.pk]),
                icon="▦",
            )
        )
    return entries
