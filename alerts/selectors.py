"""Reads: the state the triggers evaluate, the alerts in play, the inbox and its count.

The evaluation reads a fixed number of queries whatever the number of customers: the active
model, every model's element codes, the current snapshots (with the ids of the previous one
and of the one as it stood N days ago per look-back, as subqueries), those older snapshots,
the NPS answers and the alerts in play.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from alerts import calculations as calc
from alerts.models import Alert, AlertRule, AlertSettings, Delivery, Scope, Severity
from scoring import selectors as scoring_selectors
from scoring.calculations import KINDS, RuleParams
from scoring.conf import rule_params
from scoring.models import Assessment, Customer, Element, RespondentKind, ScoreSnapshot
from scoring.roles import MANAGEMENT, is_management

StateReader = Callable[[np.ndarray, datetime], Mapping[str, np.ndarray]]
_state_readers: dict[str, StateReader] = {}


def register_state_reader(name: str, reader: StateReader) -> None:
    """``reader(customer_ids, now)`` returns named arrays aligned to ``customer_ids`` that a
    trigger of another app reads from ``State.extra`` (e.g. the days an action is overdue)."""
    _state_readers[name] = reader


def _seconds(values: Iterable[datetime | None]) -> np.ndarray:
    return np.array([v.timestamp() if v is not None else np.nan for v in values], dtype=float)


_SNAPSHOT_FIELDS = (
    "id",
    "computed_at",
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
    frame["at"] = _seconds(frame["at"].tolist())
    frame["score"] = frame["score"].astype(float)
    return frame


@dataclass(frozen=True)
class Scoped:
    """The customers of a state with what rule scopes select on."""

    manager: np.ndarray  # account manager id, -1 for none
    sector: np.ndarray  # object


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
    # Newest first by computed_at alone: the history index (customer, computed_at) gives that
    # order without a sort (a customer never has two snapshots at one moment).
    older = ScoreSnapshot.objects.filter(customer_id=OuterRef("customer_id")).order_by(
        "-computed_at"
    )
    annotations = {"previous_id": Subquery(older.filter(is_current=False).values("pk")[:1])}
    for days in lookbacks:
        moment = now - timedelta(days=days)
        annotations[f"ref_{days}"] = Subquery(
            older.filter(computed_at__lte=moment).values("pk")[:1]
        )
    current_qs = (
        ScoreSnapshot.objects.filter(is_current=True)
        .annotate(**annotations)
        .values_list(
            "customer_id",
            *_SNAPSHOT_FIELDS,
            "last_assessed_at",
            "customer__active",
            "customer__account_manager_id",
            "customer__sector",
            *annotations,
        )
        .order_by("customer_id")
    )
    rows: list[tuple] = []
    if customer_ids is None:
        rows = list(current_qs)
    else:
        for chunk in scoring_selectors.chunked(sorted(set(customer_ids))):
            rows.extend(current_qs.filter(customer_id__in=chunk))
        rows.sort(key=lambda r: r[0])
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
        _snapshot_frame([r[1:9] for r in rows]), np.arange(n), n, **common
    )
    extra_at = 13  # the annotations follow the 13 plain columns above
    wanted = ["previous_id", *[f"ref_{d}" for d in lookbacks]]
    linked = {
        name: np.array(
            [r[extra_at + i] if r[extra_at + i] is not None else -1 for r in rows], dtype=np.int64
        )
        for i, name in enumerate(wanted)
    }
    older_ids = sorted({int(i) for column in linked.values() for i in column if i >= 0})
    older_rows: dict[int, tuple] = {}
    for chunk in scoring_selectors.chunked(older_ids):
        for row in ScoreSnapshot.objects.filter(pk__in=chunk).values_list(*_SNAPSHOT_FIELDS):
            older_rows[row[0]] = row

    def placed(column: np.ndarray) -> calc.Snapshots:
        positions = np.flatnonzero(column >= 0)
        frame = _snapshot_frame([older_rows[int(column[p])] for p in positions])
        return calc.snapshots_from_rows(frame, positions, n, **common)

    previous = placed(linked["previous_id"]) if n else calc.empty_snapshots(0, width)
    references = {d: placed(linked[f"ref_{d}"]) for d in lookbacks}
    nps_now, nps_before = _nps(ids, now=now, previous_at=previous.at, params=params)
    extra: dict[str, np.ndarray] = {}
    for reader in _state_readers.values():
        extra.update(reader(ids, now))
    state = calc.State(
        now=now.timestamp(),
        customer_ids=ids,
        active=np.array([bool(r[10]) for r in rows], dtype=bool),
        codes=codes,
        weights=weights,
        current=current,
        previous=previous,
        last_assessed=_seconds([r[9] for r in rows]),
        references=references,
        nps_now=nps_now,
        nps_before=nps_before,
        extra=extra,
    )
    scoped = Scoped(
        manager=np.array([r[11] if r[11] is not None else -1 for r in rows], dtype=np.int64),
        sector=np.array([r[12] or "" for r in rows], dtype=object),
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
    ).values_list("id", "customer_id", "respondent_email", "assessed_at", "nps")
    if n <= scoring_selectors.CHUNK_SIZE:
        answers = answers.filter(customer_id__in=customer_ids.tolist())
    frame = pd.DataFrame(list(answers), columns=["id", "customer", "respondent", "at", "nps"])
    if frame.empty:
        return now_worst, before_worst
    frame["at"] = _seconds(frame["at"].tolist())
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
    rows: list[tuple] = []
    if customer_ids is None:
        rows = list(queryset.values_list(*ALERT_FIELDS))
    else:
        for chunk in scoring_selectors.chunked(sorted(set(customer_ids))):
            rows.extend(queryset.filter(customer_id__in=chunk).values_list(*ALERT_FIELDS))
    return pd.DataFrame(rows, columns=list(ALERT_FIELDS))


# --------------------------------------------------------------------------------------------
# Who sees which alerts, and how they want to hear of them
# --------------------------------------------------------------------------------------------


def alerts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Alert]:
    """All alerts for management; an account manager's alerts on their own customers."""
    if is_management(user):
        return Alert.objects.all()
    if not user.is_authenticated:
        return Alert.objects.none()
    return Alert.objects.filter(customer__account_manager=user)


def needs_attention(today: date | None = None) -> Q:
    """Open, or snoozed until a day that has passed."""
    today = today or timezone.localdate()
    return Q(status=Alert.Status.OPEN) | Q(status=Alert.Status.SNOOZED, snoozed_until__lt=today)


def open_count(user: AbstractBaseUser | AnonymousUser) -> int:
    """How many alerts ask for this user's attention (the number in the menu): one query."""
    return alerts_visible_to(user).filter(needs_attention()).count()


def default_settings(user: AbstractBaseUser) -> AlertSettings:
    """The delivery a user has without choosing: account managers hear of critical alerts at
    once and of warnings in the daily digest; management gets critical alerts in the daily
    digest and the weekly summary (a digest, not a flood)."""
    from django.conf import settings as django_settings

    language = django_settings.LANGUAGE_CODE[:2]
    if is_management(user):
        return AlertSettings(
            user=user,
            critical=Delivery.DAILY,
            warning=Delivery.INBOX,
            info=Delivery.INBOX,
            weekly_summary=True,
            language=language,
        )
    return AlertSettings(
        user=user,
        critical=Delivery.IMMEDIATELY,
        warning=Delivery.DAILY,
        info=Delivery.INBOX,
        weekly_summary=False,
        language=language,
    )


def settings_of(user: AbstractBaseUser) -> AlertSettings:
    stored = AlertSettings.objects.filter(user=user).first()
    return stored or default_settings(user)


def users_with_alerts() -> list[AbstractBaseUser]:
    """The users who may receive alert e-mails: management and account managers (with an
    e-mail address), each with its settings attached as ``alert_preferences``."""
    from scoring.roles import ACCOUNT_MANAGERS

    users = list(
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(is_superuser=True) | Q(groups__name__in=[MANAGEMENT, ACCOUNT_MANAGERS]))
        .distinct()
        .order_by("pk")
    )
    stored = {s.user_id: s for s in AlertSettings.objects.filter(user__in=users)}
    for user in users:
        user.alert_preferences = stored.get(user.pk) or default_settings(user)
    return users


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


def severity_rank(severity: str) -> int:
    return [Severity.INFO, Severity.WARNING, Severity.CRITICAL].index(severity)


def kind_label(kind: str) -> str:
    return str(dict(RespondentKind.choices).get(kind, kind)) if kind in KINDS else ""


def customer_names(ids: Iterable[int]) -> dict[int, str]:
    return dict(Customer.objects.filter(pk__in=list(ids)).values_list("pk", "name"))


# --------------------------------------------------------------------------------------------
# Alerts as the inbox and the e-mails show them
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertLine:
    code: str
    name: str
    shown: float  # score points, one decimal; the lines add up to the shown change
    text: str = ""  # shown with its sign, in the active language: "−6,9"
    tone: str = ""  # "text-danger", "text-success" or ""

    @property
    def is_rest(self) -> bool:
        return not self.code


@dataclass(frozen=True)
class AlertRow:
    """An alert as the inbox, a panel and the e-mails show it, texts made once in Python (a
    page shows 25 of them; the template only places them)."""

    alert: Alert
    customer_name: str
    trigger_label: str
    headline: str
    element_name: str
    lines: tuple[AlertLine, ...]
    url: str = ""
    snooze_url: str = ""
    acknowledge_url: str = ""
    before_text: str = ""
    after_text: str = ""
    change_text: str = ""
    change_tone: str = ""
    band_before_label: str = ""
    band_after_label: str = ""
    opened_text: str = ""

    @property
    def shown_change(self) -> float | None:
        a = self.alert
        if a.score_before is None or a.score_after is None:
            return None
        return (calc.tenths(a.score_after) - calc.tenths(a.score_before)) / 10.0


class _Texts:
    """Scores, changes and links for many rows, in the active language, set up once."""

    def __init__(self) -> None:
        from django.urls import reverse
        from django.utils import formats

        self.decimal = formats.get_format("DECIMAL_SEPARATOR")
        sentinel = "987654321"
        self.detail = reverse("alerts:detail", args=[sentinel]).split(sentinel)
        self.snooze = reverse("alerts:snooze", args=[sentinel]).split(sentinel)
        self.acknowledge = reverse("alerts:acknowledge", args=[sentinel]).split(sentinel)

    def score(self, value: float | None) -> str:
        if value is None:
            return ""
        return f"{calc.tenths(value) / 10:.1f}".replace(".", self.decimal)

    def signed(self, tenths: float | None) -> tuple[str, str]:
        """A change in tenths as "+3,2" / "−1,0" / "±0,0" with its colour."""
        if tenths is None:
            return "", ""
        size = f"{abs(tenths) / 10:.1f}".replace(".", self.decimal)
        if tenths > 0:
            return f"+{size}", "text-success"
        if tenths < 0:
            return f"−{size}", "text-danger"
        return f"±{size}", ""

    def link(self, parts: list[str], pk: int) -> str:
        return f"{parts[0]}{pk}{parts[1]}"


def element_names() -> dict[str, str]:
    """Element names in the active language by code (the active model's, then older ones')."""
    names: dict[str, str] = {}
    elements = Element.objects.order_by("-scoring_model__is_active", "-scoring_model__version")
    for element in elements.only("code", "name_nl", "name_en"):
        names.setdefault(element.code, element.name)
    return names


def _one(value: float | None) -> str:
    from scoring.templatetags.scoring_tags import score

    return score(value)


def headline(alert: Alert, element_name: str) -> str:
    """What happened, in one sentence in the active language."""
    from django.utils.translation import gettext as _

    from scoring.templatetags.scoring_tags import band_label

    kind = kind_label(alert.respondent_kind)
    if alert.trigger == "band_down":
        return _("The band went down from %(before)s to %(after)s.") % {
            "before": band_label(alert.band_before),
            "after": band_label(alert.band_after),
        }
    if alert.trigger == "score_drop":
        return _("The score dropped from %(before)s to %(after)s (over %(days)s days).") % {
            "before": _one(alert.value_before),
            "after": _one(alert.value_after),
            "days": int(alert.rule.params.get("days", 90)) if alert.rule_id else 90,
        }
    if alert.trigger == "element_drop":
        return _("%(element)s fell from %(before)s to %(after)s for %(kind)s.") % {
            "element": element_name,
            "before": _one(alert.value_before),
            "after": _one(alert.value_after),
            "kind": kind.lower(),
        }
    if alert.trigger == "perception_gap":
        return _("Customers and staff differ by %(gap)s on %(element)s (customer − staff).") % {
            "gap": _one(alert.value_after),
            "element": element_name,
        }
    if alert.trigger == "nps_detractor":
        return _("A contact person answered %(nps)s to the recommendation question.") % {
            "nps": int(alert.value_after) if alert.value_after is not None else "–"
        }
    if alert.trigger == "stale":
        return _("Nobody assessed this customer for %(days)s days.") % {
            "days": int(alert.value_after) if alert.value_after is not None else "–"
        }
    if alert.trigger == "provisional":
        return _("The score became provisional: coverage %(before)s %% → %(after)s %%.") % {
            "before": round(alert.value_before or 0),
            "after": round(alert.value_after or 0),
        }
    from alerts.triggers import get_trigger

    trigger = get_trigger(alert.trigger)
    return str(trigger.label) if trigger else alert.trigger


def alert_rows(alerts: Sequence[Alert], names: Mapping[str, str] | None = None) -> list[AlertRow]:
    """The alerts with their customer, what happened and why the score moved, named."""
    from django.utils import dateformat
    from django.utils.translation import gettext as _

    from alerts.triggers import get_trigger
    from scoring.templatetags.scoring_tags import band_label

    names = names if names is not None else element_names()
    texts = _Texts()
    rest_name = _("Coverage or respondents changed")
    zone = timezone.get_current_timezone()
    rows = []
    for alert in alerts:
        trigger = get_trigger(alert.trigger)
        element_name = names.get(alert.element_code, alert.element_code)
        lines = []
        for code, _exact, shown in alert.lines:
            if not (code or shown):
                continue
            text, tone = texts.signed(shown)
            lines.append(
                AlertLine(
                    code=code,
                    name=names.get(code, code) if code else rest_name,
                    shown=shown / 10.0,
                    text=text,
                    tone=tone,
                )
            )
        change = None
        if alert.score_before is not None and alert.score_after is not None:
            change = calc.tenths(alert.score_after) - calc.tenths(alert.score_before)
        change_text, change_tone = texts.signed(change)
        rows.append(
            AlertRow(
                alert=alert,
                customer_name=alert.customer.name,
                trigger_label=str(trigger.label) if trigger else alert.trigger,
                headline=headline(alert, element_name),
                element_name=element_name,
                lines=tuple(lines),
                url=texts.link(texts.detail, alert.pk),
                snooze_url=texts.link(texts.snooze, alert.pk),
                acknowledge_url=texts.link(texts.acknowledge, alert.pk),
                before_text=texts.score(alert.score_before),
                after_text=texts.score(alert.score_after),
                change_text=change_text,
                change_tone=change_tone,
                band_before_label=band_label(alert.band_before) if alert.band_before else "",
                band_after_label=band_label(alert.band_after) if alert.band_after else "",
                opened_text=dateformat.format(alert.opened_at.astimezone(zone), "j M Y, H:i"),
            )
        )
    return rows


INBOX_FILTERS = ("attention", "acknowledged", "snoozed", "resolved", "all")
INBOX_PAGE_SIZE = 20


@dataclass(frozen=True)
class InboxPage:
    rows: list[AlertRow]
    status: str
    counts: dict[str, int]
    page: object  # a Django Page


def inbox(
    user: AbstractBaseUser, *, status: str, page: str, customer: Customer | None = None
) -> InboxPage:
    """One page of the user's alerts with one status (newest first) and the count per status."""
    from django.core.paginator import Paginator
    from django.db.models import Count

    today = timezone.localdate()
    alerts = alerts_visible_to(user)
    if customer is not None:
        alerts = alerts.filter(customer=customer)
    filters = {
        "attention": needs_attention(today),
        "acknowledged": Q(status=Alert.Status.ACKNOWLEDGED),
        "snoozed": Q(status=Alert.Status.SNOOZED, snoozed_until__gte=today),
        "resolved": Q(status=Alert.Status.RESOLVED),
        "all": Q(),
    }
    status = status if status in filters else "attention"
    counts = alerts.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in filters.items()}
    )
    chosen = (
        alerts.filter(filters[status])
        .select_related("customer", "rule")
        .order_by("-opened_at", "-pk")
    )
    paginator = Paginator(chosen, INBOX_PAGE_SIZE)
    paginator.count = counts[status]  # known already: no second COUNT
    current = paginator.get_page(page)
    return InboxPage(
        rows=alert_rows(list(current.object_list)), status=status, counts=counts, page=current
    )
