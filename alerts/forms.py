"""Forms of the inbox, the rules page and the delivery settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert, AlertRule, AlertSettings, Scope, Severity
from alerts.triggers import Trigger, trigger_choices
from scoring.roles import ACCOUNT_MANAGERS


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


class SnoozeForm(forms.Form):
    # A date picker takes and gives ISO dates (2026-12-15), whatever the page's language.
    until = forms.DateField(
        label=_("Snooze until"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=Alert.SnoozeReason.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("until", timezone.localdate() + timedelta(days=14))


class RuleForm(forms.Form):
    """A rule: the trigger is chosen when it is made; parameters are the trigger's."""

    trigger = forms.ChoiceField(label=_("Trigger"), choices=())
    name = forms.CharField(label=_("Name (optional)"), max_length=200, required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    scope = forms.ChoiceField(label=_("Which customers"), choices=Scope.choices)
    scope_user = forms.ModelChoiceField(
        label=_("Account manager"), queryset=get_user_model().objects.none(), required=False
    )
    scope_sector = forms.CharField(label=_("Sector"), max_length=100, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, trigger: Trigger | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["trigger"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = trigger_choices()
        user_field = self.fields["scope_user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = (
            get_user_model()
            .objects.filter(groups__name=ACCOUNT_MANAGERS)
            .order_by("first_name", "last_name", "username")
        )
        user_field.label_from_instance = _person  # type: ignore[method-assign,assignment]
        self.chosen_trigger = trigger
        if trigger is not None:
            choice.disabled = True
            choice.initial = trigger.key
            for param in trigger.params:
                self.fields[f"param_{param.name}"] = forms.DecimalField(
                    label=str(param.label),
                    min_value=param.minimum,
                    max_value=param.maximum,
                    initial=param.default,
                    decimal_places=2,
                )

    @classmethod
    def for_rule(cls, rule: AlertRule, trigger: Trigger, data: object = None) -> RuleForm:
        initial = {
            "trigger": rule.trigger,
            "name": rule.name,
            "severity": rule.severity,
            "scope": rule.scope,
            "scope_user": rule.scope_user_id,
            "scope_sector": rule.scope_sector,
            "active": rule.active,
        }
        params = trigger.clean_params(rule.params)
        initial.update({f"param_{name}": f"{value:g}" for name, value in params.items()})
        return cls(data, trigger=trigger, initial=initial)

    def params(self) -> dict[str, float]:
        if self.chosen_trigger is None:
            return {}
        return {
            p.name: float(self.cleaned_data[f"param_{p.name}"])
            for p in self.chosen_trigger.params
            if self.cleaned_data.get(f"param_{p.name}") is not None
        }


class SettingsForm(forms.ModelForm):
    class Meta:
        model = AlertSettings
        fields = ["critical", "warning", "info", "language", "weekly_summary"]
        widgets = {
            "critical": forms.RadioSelect,
            "warning": forms.RadioSelect,
            "info": forms.RadioSelect,
        }
