"""Reads for people: who sees which alerts, the menu's count, delivery settings, and the
alerts as the inbox, the panels and the e-mails show them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from alerts import calculations as calc
from alerts.models import Alert, AlertSettings, Delivery, Severity
from klantbinding.lib import dates
from scoring.calculations import KINDS
from scoring.models import Customer, Element, RespondentKind
from scoring.roles import MANAGEMENT, is_management

# --------------------------------------------------------------------------------------------
# Who sees which alerts, and how they want to hear of them
# --------------------------------------------------------------------------------------------


def alerts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Alert]:
    """All alerts for management; an account manager's alerts on their own customers."""
    if is_management(user):
        return Alert.objects.all()
    if not user.is_authenticated:
        return Alert.objects.none()
    return Alert.objects.filter(customer__account_manager_id=user.pk)


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
            user_id=user.pk,
            critical=Delivery.DAILY,
            warning=Delivery.INBOX,
            info=Delivery.INBOX,
            weekly_summary=True,
            language=language,
        )
    return AlertSettings(
        user_id=user.pk,
        critical=Delivery.IMMEDIATELY,
        warning=Delivery.DAILY,
        info=Delivery.INBOX,
        weekly_summary=False,
        language=language,
    )


def settings_of(user: AbstractBaseUser) -> AlertSettings:
    stored = AlertSettings.objects.filter(user_id=user.pk).first()
    return stored or default_settings(user)


def users_with_alerts() -> list[User]:
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
        user.__dict__["alert_preferences"] = stored.get(user.pk) or default_settings(user)
    return users


def preferences(user: AbstractBaseUser) -> AlertSettings:
    """The settings ``users_with_alerts`` attached to the user (read now for another user)."""
    attached = user.__dict__.get("alert_preferences")
    return attached if isinstance(attached, AlertSettings) else settings_of(user)


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
    opened_iso: str = ""
    snoozed_text: str = ""
    # One click to act on it: propose an action on the element that moved most (an active
    # customer only), log a contact with the customer.
    propose_url: str = ""
    contact_url: str = ""

    @property
    def shown_change(self) -> float | None:
        a = self.alert
        if a.score_before is None or a.score_after is None:
            return None
        return float(calc.tenths(a.score_after) - calc.tenths(a.score_before)) / 10.0


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
        self.propose = reverse("actions:propose")
        self.contact = reverse("relations:contact-log", args=[sentinel]).split(sentinel)
        # Dates as the house writes them, the formats looked up once for all rows.
        self.moment = dates.DateFormatter("SHORT_DATETIME_FORMAT")
        self.day = dates.DateFormatter("SHORT_DATE_FORMAT")

    def score(self, value: float | None) -> str:
        if value is None:
            return ""
        return f"{float(calc.tenths(value)) / 10:.1f}".replace(".", self.decimal)

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


def kind_label(kind: str) -> str:
    return str(dict(RespondentKind.choices).get(kind, kind)) if kind in KINDS else ""


def severity_rank(severity: str) -> int:
    return [Severity.INFO.value, Severity.WARNING.value, Severity.CRITICAL.value].index(severity)


def element_names(codes: Iterable[str] | None = None) -> dict[str, str]:
    """Element names in the active language by code: the active model's, then, for codes it
    does not have (an alert may name an element retired since), older published versions'.
    Plain rows, no model objects."""
    from django.utils import translation

    dutch = (translation.get_language() or "nl")[:2] == "nl"
    names: dict[str, str] = {}

    def take(rows: Iterable[tuple[str, str, str]]) -> None:
        for code, name_nl, name_en in rows:
            if code not in names:
                names[code] = (name_nl if dutch else name_en) or name_en or name_nl

    fields = ("code", "name_nl", "name_en")
    take(Element.objects.filter(scoring_model__is_active=True).values_list(*fields))
    missing = None if codes is None else {c for c in codes if c and c not in names}
    if missing is None or missing:
        older = Element.objects.filter(scoring_model__published_at__isnull=False)
        if missing:
            older = older.filter(code__in=missing)
        take(older.order_by("-scoring_model__version").values_list(*fields))
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
    days = int(alert.value_after) if alert.value_after is not None else "–"
    if alert.trigger == "action_overdue":
        if alert.element_code:
            return _("An action on %(element)s is %(days)s days past its due date.") % {
                "element": element_name,
                "days": days,
            }
        return _("An action is %(days)s days past its due date.") % {"days": days}
    if alert.trigger == "contact_lost":
        return _("Lost touch: the contact rhythm is %(days)s days past its maximum.") % {
            "days": days
        }
    if alert.trigger == "departure":
        return _("Management recorded that this customer is leaving or left.")
    from alerts.triggers import get_trigger

    trigger = get_trigger(alert.trigger)
    return str(trigger.label) if trigger else alert.trigger


def alert_rows(alerts: Sequence[Alert], names: Mapping[str, str] | None = None) -> list[AlertRow]:
    """The alerts with their customer, what happened and why the score moved, named."""
    from django.utils.translation import gettext as _

    from alerts.triggers import get_trigger
    from scoring.templatetags.scoring_tags import band_label

    if names is None:
        wanted = {a.element_code for a in alerts} | {c for a in alerts for c, *_ in a.lines}
        names = element_names(wanted)
    texts = _Texts()
    rest_name = _("Coverage or respondents changed")
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
        change: float | None = None
        if alert.score_before is not None and alert.score_after is not None:
            change = float(calc.tenths(alert.score_after) - calc.tenths(alert.score_before))
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
                opened_text=texts.moment(alert.opened_at),
                opened_iso=timezone.localtime(alert.opened_at).isoformat(),
                snoozed_text=texts.day(alert.snoozed_until),
                propose_url=(
                    f"{texts.propose}?customer={alert.customer_id}"
                    f"&element={quote(alert.element_code)}&origin=alert"
                    if alert.customer.active
                    else ""
                ),
                contact_url=texts.link(texts.contact, alert.customer_id),
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
    """One page of the user's alerts with one status (newest first) and how many it has."""
    import math

    from django.core.paginator import Paginator

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
    chosen = alerts.filter(filters[status]).order_by("-opened_at", "-pk")

    # COUNT with the statement's own plan, then the page's ids read backwards from the
    # (opened_at, id) index: cheaper than one statement with a window count, which sorts
    # every alert in view.
    total = chosen.count()
    number = int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1
    number = min(max(1, number), max(1, math.ceil(total / INBOX_PAGE_SIZE)))
    start = (number - 1) * INBOX_PAGE_SIZE
    ids = list(chosen.values_list("pk", flat=True)[start : start + INBOX_PAGE_SIZE])
    current = Paginator(cast(Sequence[Any], range(total)), INBOX_PAGE_SIZE).page(number)
    # The rows with their customer and rule for those ids only: no join over every alert.
    current.object_list = list(
        Alert.objects.filter(pk__in=ids)
        .select_related("customer", "rule")
        .order_by("-opened_at", "-pk")
    )
    counts = {status: total}
    return InboxPage(
        rows=alert_rows(list(current.object_list)), status=status, counts=counts, page=current
    )
