"""Forms of the actions pages. Fields the user may not choose (the customer of an action being
worked on, who decides) are not form fields: views take them from the URL and the user."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actions import selectors
from actions.models import Action, ActionType
from scoring.imports.tables import upload_size_error
from scoring.models import Band, Customer
from scoring.selectors import account_manager_choices

if TYPE_CHECKING:
    from actions.services import CampaignTarget

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _choice(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _owner_field(label: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(label=label or _("Owner (account manager)"), choices=())


def _user(pk: str | int | None) -> User | None:
    if not pk:
        return None
    return get_user_model().objects.filter(pk=pk).first()


class ProposeForm(forms.Form):
    """Propose an action for one customer (management may decide it at once)."""

    action_type = forms.ModelChoiceField(
        label=_("Action type"), queryset=ActionType.objects.none(), empty_label=None
    )
    element_code = forms.ChoiceField(label=_("Element"), required=False, choices=())
    title = forms.CharField(label=_("Title"), max_length=200)
    rationale = forms.CharField(
        label=_("Rationale"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this action, for this customer, now."),
    )
    owner = _owner_field()
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DATE_INPUT)
    origin = forms.ChoiceField(
        choices=Action.Origin.choices, initial=Action.Origin.MANUAL, widget=forms.HiddenInput
    )
    decide = forms.BooleanField(
        label=_("Decide it now (opens the action and freezes its baseline)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, customer: Customer, management: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.customer = customer
        _model_choice(self, "action_type").queryset = selectors.action_types_active()
        _choice(self, "element_code").choices = selectors.element_choices()
        _choice(self, "owner").choices = account_manager_choices()
        if customer.account_manager_id and not self.is_bound:
            self.initial.setdefault("owner", str(customer.account_manager_id))
        if not management:
            # An account manager proposes on their own customers, owns it, and cannot decide.
            del self.fields["decide"]
            del self.fields["owner"]
        self.fields["due_on"].help_text = _("Empty: today plus the action type's duration.")

    def clean_owner(self) -> object:
        owner = _user(self.cleaned_data.get("owner"))
        if owner is None:
            raise ValidationError(_("Choose the account manager who owns it."))
        return owner

    def clean_due_on(self) -> object:
        due_on = self.cleaned_data.get("due_on")
        if due_on and due_on < timezone.localdate():
            raise ValidationError(_("The due date lies in the past."))
        return due_on


class ActionEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    rationale = forms.CharField(
        label=_("Rationale"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    owner = _owner_field()
    due_on = forms.DateField(label=_("Due on"), widget=DATE_INPUT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "owner").choices = account_manager_choices()

    def clean_owner(self) -> object:
        owner = _user(self.cleaned_data.get("owner"))
        if owner is None:
            raise ValidationError(_("Choose the account manager who owns it."))
        return owner


class StepsForm(forms.Form):
    """The checklist: the positions of the steps that are done."""

    done = forms.TypedMultipleChoiceField(
        label=_("Checklist"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        choices=(),
    )

    def __init__(self, *args: Any, steps: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "done").choices = [(s.position, s.text) for s in steps]


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Did the action achieve what it was meant to?"),
        choices=Action.Outcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, in your own words."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActionTypeForm(forms.ModelForm):
    """An action type with its checklist as one step per line, in both languages."""

    checklist_en = forms.CharField(
        label=_("Checklist (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One step per line, in order."),
    )
    checklist_nl = forms.CharField(
        label=_("Checklist (Dutch)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The same steps in Dutch, one per line, in the same order."),
    )
    element_code = forms.ChoiceField(label=_("Element it aims at"), required=False, choices=())

    class Meta:
        model = ActionType
        fields = [
            "code",
            "name_en",
            "name_nl",
            "description_en",
            "description_nl",
            "element_code",
            "default_duration_days",
            "horizon_days",
            "expected_gain",
            "order",
            "active",
        ]
        widgets = {
            "description_en": forms.Textarea(attrs={"rows": 2}),
            "description_nl": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "element_code").choices = selectors.element_choices()
        if self.instance.pk and not self.is_bound:
            steps = self.instance.checklist or []
            self.initial["checklist_en"] = "\n".join(s.get("en", "") for s in steps)
            self.initial["checklist_nl"] = "\n".join(s.get("nl", "") for s in steps)

    def clean(self) -> dict:
        from actions.services import checklist_from_lines

        cleaned = super().clean() or {}
        try:
            self.instance.checklist = checklist_from_lines(
                cleaned.get("checklist_en", ""), cleaned.get("checklist_nl", "")
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    action_type = forms.ModelChoiceField(
        label=_("Action type"), queryset=ActionType.objects.none(), empty_label=None
    )
    element_code = forms.ChoiceField(label=_("Element"), required=False, choices=())
    target_band = forms.ChoiceField(
        label=_("Band now"), required=False, choices=[("", _("any band")), *Band.choices]
    )
    target_element_max = forms.DecimalField(
        label=_("Element value at most"),
        required=False,
        min_value=0,
        max_value=6,
        decimal_places=1,
        help_text=_("Only customers whose value of the element is at most this (0–6)."),
    )
    target_sector = forms.ChoiceField(label=_("Sector"), required=False, choices=())
    target_account_manager = forms.ChoiceField(
        label=_("Account manager"), required=False, choices=()
    )
    holdout_pct = forms.IntegerField(
        label=_("Control group (%)"),
        initial=20,
        min_value=5,
        max_value=80,
        help_text=_(
            "This share of the customers gets no action, so that the effect can be measured "
            "against them."
        ),
    )
    horizon_days = forms.IntegerField(
        label=_("Horizon (days)"), initial=180, min_value=30, max_value=730
    )
    due_on = forms.DateField(label=_("Actions due on"), widget=DATE_INPUT)
    rationale = forms.CharField(
        label=_("Rationale"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "action_type").queryset = selectors.action_types_active()
        _choice(self, "element_code").choices = selectors.element_choices()
        sectors = (
            Customer.objects.exclude(sector="")
            .order_by("sector")
            .values_list("sector", flat=True)
            .distinct()
        )
        _choice(self, "target_sector").choices = [("", _("any sector"))] + [(s, s) for s in sectors]
        _choice(self, "target_account_manager").choices = [
            ("", _("any account manager")),
            *account_manager_choices(),
        ]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("target_element_max") is not None and not cleaned.get("element_code"):
            self.add_error(
                "target_element_max",
                _("The whole binding has no element value: choose an element or leave it empty."),
            )
        due_on = cleaned.get("due_on")
        if due_on and due_on < timezone.localdate():
            self.add_error("due_on", _("The due date lies in the past."))
        return cleaned

    def target(self) -> CampaignTarget:
        from actions.services import CampaignTarget

        data = self.cleaned_data
        manager = data.get("target_account_manager")
        return CampaignTarget(
            action_type=data["action_type"],
            element_code=data.get("element_code") or "",
            band=data.get("target_band") or "",
            element_max=data.get("target_element_max"),
            sector=data.get("target_sector") or "",
            account_manager_id=int(manager) if manager else None,
        )


class BoardFilterForm(forms.Form):
    """The board's filters (GET); an invalid value is ignored, never a 500."""

    element = forms.ChoiceField(label=_("Element"), required=False, choices=())
    owner = forms.ChoiceField(label=_("Owner"), required=False, choices=())
    action_type = forms.ModelChoiceField(
        label=_("Action type"),
        required=False,
        queryset=ActionType.objects.all(),
        empty_label=_("all types"),
    )
    band = forms.ChoiceField(
        label=_("Band now"), required=False, choices=[("", _("all bands")), *Band.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "element").choices = [
            ("*", _("all elements")),
            *selectors.element_choices(),
        ]
        self.fields["element"].initial = "*"  # "" is the whole binding, not "all"
        _choice(self, "owner").choices = [("", _("all owners")), *account_manager_choices()]

    def filters(self) -> selectors.BoardFilters:
        if not self.is_valid():
            return selectors.BoardFilters()
        data = self.cleaned_data
        element = data.get("element")
        return selectors.BoardFilters(
            element=None if element in (None, "*") or "element" not in self.data else element,
            owner_id=int(data["owner"]) if data.get("owner") else None,
            action_type_id=data["action_type"].pk if data.get("action_type") else None,
            band=data.get("band") or "",
        )


class DigestPreferenceForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send me a daily digest of due actions"), required=False)
    language = forms.ChoiceField(
        label=_("Language of the digest"), choices=[("nl", _("Dutch")), ("en", _("English"))]
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or Excel .xlsx)"),
        help_text=_("All rows are imported, or none: every problem is listed with its row."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in (".csv", ".xlsx"):
            raise ValidationError(_("Upload a CSV or Excel (.xlsx) file."))
        if message := upload_size_error(upload.size):
            raise ValidationError(message)
        return upload
