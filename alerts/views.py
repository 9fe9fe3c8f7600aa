"""The inbox, one alert, the rules (management) and each user's delivery settings.

Views stay thin: look the alert up through ``alerts_visible_to`` (another account manager's
alert is a 404), bind the form, call one service or selector, render or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alerts import rendering, selectors, services
from alerts.forms import RuleForm, SettingsForm, SnoozeForm
from alerts.models import Alert, AlertRule
from alerts.triggers import get_trigger, triggers
from scoring.models import ScoreSnapshot
from scoring.movement import movements
from scoring.views import management_required


def _user(request: HttpRequest) -> User:
    """The signed-in user of a view behind ``login_required``."""
    user = request.user
    assert isinstance(user, User)
    return user


def _visible_alert(request: HttpRequest, pk: int) -> Alert:
    return get_object_or_404(
        selectors.alerts_visible_to(request.user).select_related(
            "customer", "rule", "acknowledged_by"
        ),
        pk=pk,
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The alerts in the user's scope: asking attention, acknowledged, snoozed, resolved."""
    page = selectors.inbox(
        _user(request), status=request.GET.get("status", ""), page=request.GET.get("page", "")
    )
    if page.status == "attention":
        # The menu's number, counted already (alerts.context_processors reads it).
        request.alert_count = page.counts["attention"]  # type: ignore[attr-defined]
    labels = rendering.CardLabels.for_page()
    cards = rendering.cards_html(page.rows, request, labels)
    return render(request, "alerts/inbox.html", {"inbox": page, "cards": cards})


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert: what happened, before and after, why it moved and which answers did it."""
    alert = _visible_alert(request, pk)
    (row,) = selectors.alert_rows([alert])
    movement = None
    if alert.snapshot_after_id:
        after = ScoreSnapshot.objects.filter(pk=alert.snapshot_after_id).first()
        before = (
            ScoreSnapshot.objects.filter(pk=alert.snapshot_before_id).first()
            if alert.snapshot_before_id
            else None
        )
        if after is not None and before is not None:
            (movement,) = movements([(before, after)])
    return render(
        request,
        "alerts/detail.html",
        {"row": row, "alert": alert, "movement": movement, "snooze_form": SnoozeForm()},
    )


def _done(request: HttpRequest, alert: Alert) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("alerts:detail", pk=alert.pk)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _visible_alert(request, pk)
    try:
        services.alert_acknowledge(alert=alert, user=_user(request))
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The alert is acknowledged."))
    return _done(request, alert)


@login_required
@require_POST
def alert_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _visible_alert(request, pk)
    try:
        services.alert_reopen(alert=alert, user=_user(request))
    except ValidationError as error:
        _refused(request, error)
    return _done(request, alert)


@login_required
def alert_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    """Put an alert away until a date, with a reason from the list."""
    alert = _visible_alert(request, pk)
    form = SnoozeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.alert_snooze(
                alert=alert,
                user=_user(request),
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # resolved meanwhile: nothing to snooze
                _refused(request, error)
                return _done(request, alert)
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("The alert is snoozed."))
            return _done(request, alert)
    (row,) = selectors.alert_rows([alert])
    return render(
        request, "alerts/snooze.html", {"row": row, "alert": alert, "form": form}, status=200
    )


@login_required
def alert_settings(request: HttpRequest) -> HttpResponse:
    """How this user hears of alerts, per severity, and the language of the e-mails."""
    current = selectors.settings_of(_user(request))
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.settings_save(
            user=_user(request),
            critical=data["critical"],
            warning=data["warning"],
            info=data["info"],
            language=data["language"],
            weekly_summary=bool(data.get("weekly_summary")),
        )
        messages.success(request, _("Your alert settings are saved."))
        return redirect("alerts:settings")
    return render(request, "alerts/settings.html", {"form": form})


@management_required
def rule_list(request: HttpRequest) -> HttpResponse:
    """Every rule with its trigger, scope and severity; the triggers a new rule can use."""
    rules = list(AlertRule.objects.select_related("scope_user").order_by("trigger", "pk"))
    rows = []
    for rule in rules:
        trigger = get_trigger(rule.trigger)
        params = trigger.clean_params(rule.params) if trigger else {}
        shown = [(p.label, params[p.name]) for p in trigger.params] if trigger else []
        rows.append((rule, trigger, shown))
    return render(request, "alerts/rules.html", {"rows": rows, "triggers": triggers()})


def _rule_save(request: HttpRequest, form: RuleForm, rule: AlertRule | None) -> AlertRule | None:
    data = form.cleaned_data
    assert form.chosen_trigger is not None  # the views make the form with its trigger
    try:
        return services.rule_save(
            rule=rule,
            trigger=form.chosen_trigger.key,
            name=data["name"],
            severity=data["severity"],
            scope=data["scope"],
            scope_user=data.get("scope_user"),
            scope_sector=data.get("scope_sector") or "",
            params=form.params(),
            active=bool(data.get("active")),
        )
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            name = field if field in form.fields else f"param_{field}"
            for problem in problems:
                form.add_error(name if name in form.fields else None, problem)
    return None


@management_required
def rule_create(request: HttpRequest, trigger: str) -> HttpResponse:
    found = get_trigger(trigger)
    if found is None:
        raise Http404
    initial = {"severity": found.severity, "scope": "all", "active": True}
    form = RuleForm(request.POST or None, trigger=found, initial=initial)
    if request.method == "POST" and form.is_valid() and _rule_save(request, form, None):
        messages.success(request, _("The rule is saved."))
        return redirect("alerts:rules")
    return render(request, "alerts/rule_form.html", {"form": form, "trigger": found})


@management_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=pk)
    found = get_trigger(rule.trigger)
    if found is None:
        raise Http404
    form = RuleForm.for_rule(rule, found, request.POST or None)
    if request.method == "POST" and form.is_valid() and _rule_save(request, form, rule):
        messages.success(request, _("The rule is saved."))
        return redirect("alerts:rules")
    return render(request, "alerts/rule_form.html", {"form": form, "trigger": found, "rule": rule})
