"""Forms of the relations pages. They check what a user can get wrong on the page; the services
check the rules again (the forms never write)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actions.models import Action
from relations.calculations import BAND_NONE, PAYMENT_UNKNOWN
from relations.models import (
    CADENCE_KINDS,
    CadenceTarget,
    ContactKind,
    Departure,
    DepartureReason,
    RelationshipType,
    Segment,
    SegmentRule,
)
from relations.selectors.contacts import contact_actions, contact_persons, staff_users
from scoring.models import Band, Contact, Customer, Language, PaymentBehaviour
from scoring.selectors import account_manager_choices

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _choice(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _number(form: forms.BaseForm, name: str) -> forms.IntegerField | forms.DecimalField:
    field = form.fields[name]
    assert isinstance(field, forms.IntegerField | forms.DecimalField)
    return field


def _action_label(action: Action) -> str:
    return f"{action.title} ({action.get_status_display()}, {action.due_on:%d-%m-%Y})"


class ContactLogForm(forms.Form):
    """The short form to log a contact: kind, when, summary; the rest on demand."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=ContactKind.choices, widget=forms.RadioSelect
    )
    at = forms.DateTimeField(
        label=gettext_lazy("When"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=200)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact_persons = forms.ModelMultipleChoiceField(
        label=gettext_lazy("With"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    staff = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Our staff"),
        queryset=staff_users().none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    action = forms.ModelChoiceField(
        label=gettext_lazy("For the action"),
        queryset=Action.objects.none(),
        required=False,
        empty_label=gettext_lazy("No action"),
    )

    def __init__(self, *args: Any, customer: Customer, user: User, **kwargs: Any):
        now = timezone.localtime().replace(second=0, microsecond=0)
        kwargs.setdefault("initial", {"kind": ContactKind.VISIT, "at": now, "staff": [user.pk]})
        super().__init__(*args, **kwargs)
        self.fields["at"].widget.attrs["max"] = now.strftime(DATETIME_FORMAT)
        _model_choice(self, "contact_persons").queryset = contact_persons(customer)
        persons = _model_choice(self, "contact_persons")
        persons.label_from_instance = lambda c: c.name  # type: ignore[method-assign,assignment]
        # Our staff: the user, the customer's account manager and management, not every user.
        _model_choice(self, "staff").queryset = staff_users()
        staff = _model_choice(self, "staff")
        staff.label_from_instance = _person  # type: ignore[method-assign,assignment]
        # Only this customer's actions that were not cancelled, the unfinished ones first.
        _model_choice(self, "action").queryset = contact_actions(customer)
        served = _model_choice(self, "action")
        served.label_from_instance = _action_label  # type: ignore[method-assign,assignment]

    def clean_at(self) -> object:
        at = self.cleaned_data["at"]
        if at is not None and at > timezone.now():
            raise forms.ValidationError(_("A contact cannot lie in the future."))
        return at


class SegmentOverrideForm(forms.Form):
    segment = forms.ModelChoiceField(
        label=gettext_lazy("Segment"),
        queryset=Segment.objects.order_by("order", "pk"),
        required=False,
        empty_label=gettext_lazy("As the rules say"),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("segment") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why this customer belongs in another segment."))
        return data


class BeliefForm(forms.Form):
    type = forms.ModelChoiceField(
        label=gettext_lazy("Relationship type we believe in"),
        queryset=RelationshipType.objects.filter(active=True).order_by("order", "pk"),
        required=False,
        empty_label=gettext_lazy("Not known"),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class DepartureForm(forms.ModelForm):
    class Meta:
        model = Departure
        fields = ["kind", "decided_on", "left_on", "revenue_lost", "competitor", "notes"]
        widgets = {
            "kind": forms.RadioSelect,
            "decided_on": DateInput(),
            "left_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate().isoformat()
        for name in ("decided_on", "left_on"):
            self.fields[name].widget.attrs["max"] = today
        if self.instance.pk:
            del self.fields["kind"]  # how it left stays as recorded

    def _not_future(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("This date lies in the future."))
        return value

    def clean_decided_on(self) -> date | None:
        return self._not_future("decided_on")

    def clean_left_on(self) -> date | None:
        return self._not_future("left_on")

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("decided_on") and data.get("left_on") and data["decided_on"] > data["left_on"]:
            self.add_error("decided_on", _("The customer decided before (or on the day) it left."))
        return data

    def _post_clean(self) -> None:
        """The service validates and writes; the form does not run the model's checks."""


class ReasonsForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Reasons"), widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reasons = DepartureReason.objects.filter(active=True).order_by("order", "pk")
        _choice(self, "reasons").choices = [(r.code, r.name) for r in reasons]
        self.needs_note = [r.code for r in reasons if r.needs_note]


class ExitSurveyForm(forms.Form):
    contact = forms.ModelChoiceField(label=gettext_lazy("Ask"), queryset=Contact.objects.none())

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "contact").queryset = contact_persons(customer)
        contact = _model_choice(self, "contact")
        contact.label_from_instance = lambda c: f"{c.name} <{c.email}>"  # type: ignore[method-assign,assignment]


class DigestPreferenceForm(forms.Form):
    weekly = forms.BooleanField(
        label=gettext_lazy("Send me the weekly e-mail of overdue customers"), required=False
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)


class ToContactFilterForm(forms.Form):
    """The "To contact" list's filters, read from the URL; a bad value counts as not set."""

    account_manager = forms.TypedChoiceField(
        label=gettext_lazy("Account manager"), coerce=int, empty_value=None, required=False
    )
    segment = forms.TypedChoiceField(
        label=gettext_lazy("Segment"), coerce=int, empty_value=None, required=False
    )
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        segments: list[tuple[str, str]],
        managers: list[tuple[str, str]] | None = None,
    ) -> None:
        """``managers`` (management only) and ``segments``: (id, name) choices."""
        super().__init__(data)
        if managers is not None:
            _choice(self, "account_manager").choices = [("", _("All account managers")), *managers]
        else:
            del self.fields["account_manager"]
        _choice(self, "segment").choices = [("", _("All segments")), *segments]
        _choice(self, "state").choices = [
            ("", _("Due, overdue and lost touch")),
            ("due", _("Due within a week")),
            ("overdue", _("Overdue")),
            ("lost", _("Lost touch")),
        ]

    def selects(self) -> list[dict]:
        """Each filter as a select: name, label, choices (as text) and the chosen value."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return [
            {
                "name": name,
                "label": field.label,
                "choices": [
                    (str(value), label)
                    for value, label in cast(Iterable, _choice(self, name).choices)
                ],
                "value": "" if data.get(name) is None else str(data.get(name)),
            }
            for name, field in self.fields.items()
        ]


class ContactImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or Excel file (.csv, .xlsx)"))
    check_only = forms.BooleanField(
        label=gettext_lazy("Only check the file, write nothing"), required=False
    )


class WhyFilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Left from"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("Left until"), required=False, widget=DateInput())
    segment = forms.TypedChoiceField(
        label=gettext_lazy("Segment"), coerce=int, empty_value=None, required=False
    )
    account_manager = forms.TypedChoiceField(
        label=gettext_lazy("Account manager"), coerce=int, empty_value=None, required=False
    )
    believed = forms.ChoiceField(
        label=gettext_lazy("Compare with the belief of"),
        required=False,
        choices=[
            ("management", gettext_lazy("management")),
            ("account_manager", gettext_lazy("the account manager")),
        ],
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        _choice(self, "segment").choices = [
            ("", _("All segments")),
            *((str(s.pk), s.name) for s in Segment.objects.order_by("order", "pk")),
        ]
        _choice(self, "account_manager").choices = [
            ("", _("All account managers")),
            *account_manager_choices(),
        ]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-control" if name in ("start", "end") else "form-select"
            )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("start", _("The start lies after the end."))
        return data


# --------------------------------------------------------------------------------------------
# Set-up (management): segments, their rules and rhythms, relationship types, reasons
# --------------------------------------------------------------------------------------------


class SmallWidgets(forms.ModelForm):
    """Bootstrap's small controls on every field: the set-up pages are tables of forms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = "form-control form-control-sm"


PAYMENT_CHOICES = [*PaymentBehaviour.choices, (PAYMENT_UNKNOWN, gettext_lazy("unknown"))]
BAND_CHOICES = [*Band.choices, (BAND_NONE, gettext_lazy("no score"))]


class SegmentRuleForm(SmallWidgets):
    payment = forms.MultipleChoiceField(
        label=gettext_lazy("Payment behaviour"),
        choices=PAYMENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    bands = forms.MultipleChoiceField(
        label=gettext_lazy("Band"),
        choices=BAND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SegmentRule
        fields = [
            "order",
            "segment",
            "contribution_top",
            "contribution_tail",
            "payment",
            "bands",
            "revenue_min",
            "revenue_max",
            "margin_min",
            "margin_max",
            "potential_min",
            "potential_max",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "segment").queryset = Segment.objects.order_by("order", "pk")
        for name in ("contribution_top", "contribution_tail"):
            _number(self, name).min_value = 0
            _number(self, name).max_value = 100

    def clean(self) -> dict:
        data = super().clean() or {}
        for low, high in (
            ("revenue_min", "revenue_max"),
            ("margin_min", "margin_max"),
            ("potential_min", "potential_max"),
        ):
            if data.get(low) is not None and data.get(high) is not None and data[low] >= data[high]:
                self.add_error(high, _("The upper bound must lie above the lower one."))
        top = data.get("contribution_top")
        if top is not None and top <= 0:
            self.add_error("contribution_top", _("Give a share above 0 %."))
        tail = data.get("contribution_tail")
        if tail is not None and tail >= 100:
            self.add_error("contribution_tail", _("Give a share below 100 %."))
        return data


# A POST cannot ask for more forms than a page could show (Django's default builds 2,000).
MAX_ROWS = 100

SegmentRuleFormSet = forms.modelformset_factory(
    SegmentRule,
    form=SegmentRuleForm,
    extra=1,
    can_delete=True,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)


class CadenceTargetForm(SmallWidgets):
    class Meta:
        model = CadenceTarget
        fields = ["segment", "kind", "target_days", "max_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "segment").queryset = Segment.objects.order_by("order", "pk")
        _choice(self, "kind").choices = [("", "—"), *((k.value, k.label) for k in CADENCE_KINDS)]
        _number(self, "target_days").min_value = 1

    def clean(self) -> dict:
        data = super().clean() or {}
        target, maximum = data.get("target_days"), data.get("max_days")
        if target is not None and maximum is not None and maximum < target:
            self.add_error("max_days", _("The maximum cannot be shorter than the target."))
        return data


class BaseCadenceFormSet(forms.BaseModelFormSet):
    def clean(self) -> None:
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            key = (form.cleaned_data.get("segment"), form.cleaned_data.get("kind"))
            if None in key:
                continue
            if key in seen:
                form.add_error("kind", _("This segment has a rhythm for this kind already."))
            seen.add(key)


CadenceTargetFormSet = forms.modelformset_factory(
    CadenceTarget,
    form=CadenceTargetForm,
    formset=BaseCadenceFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)
SegmentFormSet = forms.modelformset_factory(
    Segment,
    form=SmallWidgets,
    fields=["order", "name_nl", "name_en", "description_nl", "description_en"],
    extra=0,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
    widgets={
        "description_nl": forms.Textarea(attrs={"rows": 2}),
        "description_en": forms.Textarea(attrs={"rows": 2}),
    },
)


class CodeFixedForm(SmallWidgets):
    """A list entry whose code is set once: history refers to it by that code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True


class DepartureReasonForm(CodeFixedForm):
    element_code = forms.ChoiceField(label=gettext_lazy("Binding element"), required=False)

    class Meta:
        model = DepartureReason
        fields = ["order", "code", "name_nl", "name_en", "element_code", "needs_note", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from scoring.selectors import scoring_model_active

        elements = scoring_model_active().elements.order_by("order", "pk")
        choices = [("", "—"), *((e.code, e.name) for e in elements)]
        current = self.instance.element_code if self.instance.pk else ""
        if current and current not in dict(choices):
            choices.append((current, current))
        _choice(self, "element_code").choices = choices


RelationshipTypeFormSet = forms.modelformset_factory(
    RelationshipType,
    form=CodeFixedForm,
    fields=["order", "code", "name_nl", "name_en", "description_nl", "description_en", "active"],
    extra=1,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
    widgets={
        "description_nl": forms.Textarea(attrs={"rows": 2}),
        "description_en": forms.Textarea(attrs={"rows": 2}),
    },
)
DepartureReasonFormSet = forms.modelformset_factory(
    DepartureReason,
    form=DepartureReasonForm,
    extra=1,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)
