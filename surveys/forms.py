"""The campaign form (management) and the answer form (respondents behind a personal link)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.extensions import survey_question_fields
from scoring.forms import customers_by_external_id
from scoring.models import NPS_MAX, NPS_MIN, SCORE_MAX, SCORE_MIN, Customer, Element
from scoring.roles import ACCOUNT_MANAGERS
from surveys.models import Campaign

DONT_KNOW = "dk"


class CampaignForm(forms.ModelForm):
    customer_ids = forms.CharField(
        label=gettext_lazy("Hand-picked customers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "External ids of the customers, separated by commas, spaces or new lines."
        ),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "ask_staff",
            "ask_customers",
            "ask_experts",
            "scope",
            "sector",
            "account_manager",
            "starts_on",
            "cadence_months",
            "reminder_after_days",
            "max_reminders",
            "expires_after_days",
            "ask_nps",
            "active",
        ]
        widgets = {
            "scope": forms.RadioSelect,
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sectors = (
            Customer.objects.exclude(sector="")
            .order_by("sector")
            .values_list("sector", flat=True)
            .distinct()
        )
        current = self.instance.sector if self.instance.pk else ""
        choices = [("", "—")] + [(s, s) for s in sectors]
        if current and (current, current) not in choices:
            choices.append((current, current))
        self.fields["sector"] = forms.ChoiceField(
            label=_("Sector"), choices=choices, required=False
        )
        manager_field = cast(forms.ModelChoiceField, self.fields["account_manager"])
        manager_field.queryset = (
            get_user_model()
            .objects.filter(groups__name=ACCOUNT_MANAGERS, is_active=True)
            .order_by("first_name", "last_name", "username")
        )
        manager_field.label_from_instance = lambda user: (  # type: ignore[assignment]
            user.get_full_name() or user.get_username()
        )
        if self.instance.pk:
            self.initial["customer_ids"] = "\n".join(
                self.instance.customers.order_by("external_id").values_list(
                    "external_id", flat=True
                )
            )
        self._limits_from_the_model()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("name"),
            Fieldset(
                _("Who is asked"),
                Div(
                    Div("ask_staff", css_class="col-md-4"),
                    Div("ask_customers", css_class="col-md-4"),
                    Div("ask_experts", css_class="col-md-4"),
                    css_class="row",
                ),
            ),
            Fieldset(
                _("About which customers"),
                "scope",
                Div(
                    # static/js/surveys.js shows only the field the chosen scope needs.
                    Div("sector", css_class="col-md-4", data_scope="sector"),
                    Div("account_manager", css_class="col-md-4", data_scope="account_manager"),
                    Div("customer_ids", css_class="col-md-4", data_scope="selected"),
                    css_class="row",
                ),
            ),
            Fieldset(
                _("When"),
                Div(
                    Div("starts_on", css_class="col-sm-6 col-lg-3"),
                    Div("cadence_months", css_class="col-sm-6 col-lg-3"),
                    Div("expires_after_days", css_class="col-sm-6 col-lg-2"),
                    Div("reminder_after_days", css_class="col-sm-6 col-lg-2"),
                    Div("max_reminders", css_class="col-sm-6 col-lg-2"),
                    css_class="row",
                ),
            ),
            "ask_nps",
            "active",
            HTML("<hr>"),
            Submit("save", _("Save"), css_class="btn-primary"),
        )

    def _limits_from_the_model(self) -> None:
        """The number fields take the model's bounds (the browser's min and max included), so
        the form refuses in the browser what the server refuses: a reminder after 0 days,
        more than 10 reminders. static/js/surveys.js keeps the reminder before the expiry."""
        for name in ("reminder_after_days", "max_reminders", "expires_after_days"):
            attrs = self.fields[name].widget.attrs
            # The field's own validators, not the database's integer range Django adds.
            for validator in Campaign._meta.get_field(name)._validators:  # type: ignore[union-attr]
                if isinstance(validator, MinValueValidator):
                    attrs["min"] = max(int(attrs.get("min", 0)), int(validator.limit_value))
                elif isinstance(validator, MaxValueValidator):
                    attrs["max"] = int(validator.limit_value)

    def clean_customer_ids(self) -> list[Customer]:
        return customers_by_external_id(self.cleaned_data.get("customer_ids") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("ask_staff") or data.get("ask_customers") or data.get("ask_experts")):
            self.add_error("ask_staff", _("Choose at least one kind of respondent to ask."))
        scope = data.get("scope")
        if scope == Campaign.Scope.SECTOR and not data.get("sector"):
            self.add_error("sector", _("Choose the sector whose customers are asked about."))
        if scope == Campaign.Scope.ACCOUNT_MANAGER and not data.get("account_manager"):
            self.add_error(
                "account_manager", _("Choose the account manager whose customers are asked about.")
            )
        if scope == Campaign.Scope.SELECTED and not data.get("customer_ids"):
            self.add_error("customer_ids", _("List at least one customer."))
        if scope != Campaign.Scope.SECTOR:
            data["sector"] = ""
        if scope != Campaign.Scope.ACCOUNT_MANAGER:
            data["account_manager"] = None
        reminder, expires = data.get("reminder_after_days"), data.get("expires_after_days")
        if (
            reminder is not None
            and expires is not None
            and data.get("max_reminders")
            and reminder >= expires
        ):
            self.add_error(
                "reminder_after_days",
                _("The reminder would come after the invitation expires (%(days)s days).")
                % {"days": expires},
            )
        return data


class AnswerForm(forms.Form):
    """One 0–6 or "don't know" per asked element, optional comments, NPS for customers."""

    comment = forms.CharField(required=False, max_length=4000, widget=forms.Textarea)

    def __init__(
        self,
        *args: Any,
        elements: Sequence[Element],
        ask_nps: bool,
        respondent_kind: str = "",
        customer: Customer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.elements = list(elements)
        choices = [(str(v), str(v)) for v in range(SCORE_MIN, SCORE_MAX + 1)]
        choices.append((DONT_KNOW, _("don't know")))
        for element in self.elements:
            self.fields[f"value_{element.code}"] = forms.ChoiceField(
                choices=choices, required=False, widget=forms.RadioSelect, label=element.name
            )
            self.fields[f"comment_{element.code}"] = forms.CharField(
                required=False, max_length=2000, widget=forms.Textarea
            )
        self.ask_nps = ask_nps
        if ask_nps:
            self.fields["nps"] = forms.TypedChoiceField(
                choices=[(str(v), str(v)) for v in range(NPS_MIN, NPS_MAX + 1)],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        # Optional questions other apps ask (scoring.extensions.register_survey_question).
        self.extra_names = []
        if respondent_kind:
            for name, field in survey_question_fields(respondent_kind, customer).items():
                self.fields[name] = field
                self.extra_names.append(name)

    def extra_questions(self) -> list:
        """The other apps' questions as bound fields, for the template."""
        return [self[name] for name in self.extra_names]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and all(v is None for v in self.values().values()):
            raise forms.ValidationError(
                _(
                    "Please give a score to at least one question; “don't know” everywhere "
                    "tells us nothing."
                )
            )
        return data

    def values(self) -> dict[str, int | None]:
        result: dict[str, int | None] = {}
        for element in self.elements:
            raw = self.cleaned_data.get(f"value_{element.code}") or ""
            result[element.code] = None if raw in ("", DONT_KNOW) else int(raw)
        return result

    def comments(self) -> dict[str, str]:
        return {
            element.code: text.strip()
            for element in self.elements
            if (text := self.cleaned_data.get(f"comment_{element.code}") or "").strip()
        }

    def rows(self) -> list[dict]:
        """What the template loops over: element, its bound fields and guidance."""
        return [
            {
                "element": element,
                "value": self[f"value_{element.code}"],
                "comment": self[f"comment_{element.code}"],
            }
            for element in self.elements
        ]
