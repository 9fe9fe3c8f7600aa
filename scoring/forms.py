"""Forms of the scoring pages: the matrix, the model editor, the spreadsheet upload, the
dashboard's filters, and customers, contact persons and market experts.

None of them has a field for what the user may not choose (the customer, the account manager,
the respondent kind, the model version): views take those from the URL and the user.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import PurePath
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from klantbinding.lib import dates
from klantbinding.lib.db import chunked
from scoring.calculations import BANDS
from scoring.conf import EARLIEST_DATE
from scoring.imports import uploads
from scoring.imports.tables import upload_size_error
from scoring.models import (
    SCORE_MAX,
    SCORE_MIN,
    Contact,
    ContactRole,
    Customer,
    Element,
    MarketExpert,
    ScoringModel,
    band_label,
)
from scoring.roles import ACCOUNT_MANAGERS
from scoring.selectors.customers import account_manager_choices, customers_visible_to
from scoring.selectors.dashboard_frames import NO_SCORE, DashboardFilters

DONT_KNOW = "x"
SCORE_CHOICES = [str(v) for v in range(SCORE_MIN, SCORE_MAX + 1)]


def score_from_choice(choice: object) -> int | None:
    """The score a posted choice stands for: "0"–"6" → 0–6; anything else → don't know."""
    return int(choice) if choice in SCORE_CHOICES else None


class MatrixForm(forms.Form):
    """One staff member's matrix for one customer: a choice per element plus comments."""

    comment = forms.CharField(
        label=_("Overall comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, elements: Sequence[Element], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.elements = list(elements)
        choose = _("Choose a score from 0 to 6, or “don't know”.")
        for element in self.elements:
            self.fields[f"value_{element.code}"] = forms.ChoiceField(
                label=element.name,
                choices=[(c, c) for c in SCORE_CHOICES] + [(DONT_KNOW, _("don't know"))],
                error_messages={"required": choose, "invalid_choice": choose},
            )
            self.fields[f"comment_{element.code}"] = forms.CharField(
                label=_("Comment on %(element)s") % {"element": element.name},
                required=False,
                max_length=2000,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        answered = [
            cleaned.get(f"value_{e.code}") for e in self.elements if f"value_{e.code}" in cleaned
        ]
        if (
            self.elements
            and len(answered) == len(self.elements)
            and all(score_from_choice(v) is None for v in answered)
        ):
            raise ValidationError(
                _("Every row is “don't know”: score at least one element to submit the matrix.")
            )
        return cleaned

    def values(self) -> dict[str, int | None]:
        return {
            e.code: score_from_choice(self.cleaned_data[f"value_{e.code}"]) for e in self.elements
        }

    def comments(self) -> dict[str, str]:
        return {
            e.code: self.cleaned_data[f"comment_{e.code}"].strip()
            for e in self.elements
            if self.cleaned_data.get(f"comment_{e.code}", "").strip()
        }


def preview_values(data: Mapping[str, str], elements: Sequence[Element]) -> dict[str, int | None]:
    """The values of a half-filled matrix for the live preview: unchosen rows count as empty."""
    return {e.code: score_from_choice(data.get(f"value_{e.code}")) for e in elements}


# --------------------------------------------------------------------------------------------
# The model editor
# --------------------------------------------------------------------------------------------


class ScoringModelForm(forms.ModelForm):
    class Meta:
        model = ScoringModel
        fields = ["name_nl", "name_en", "notes_nl", "notes_en"]
        widgets = {
            "notes_nl": forms.Textarea(attrs={"rows": 2}),
            "notes_en": forms.Textarea(attrs={"rows": 2}),
        }


class ElementForm(forms.ModelForm):
    """One element of a draft. The code of an existing element is fixed: scores match by code,
    so a new code is a new element (add one, retire the old)."""

    class Meta:
        model = Element
        fields = [
            "code",
            "factor",
            "name_nl",
            "name_en",
            "weight",
            "order",
            "asked_staff",
            "asked_customer",
            "asked_expert",
            "guidance_0_nl",
            "guidance_0_en",
            "guidance_3_nl",
            "guidance_3_en",
            "guidance_6_nl",
            "guidance_6_en",
            "question_staff_nl",
            "question_staff_en",
            "question_customer_nl",
            "question_customer_en",
            "question_expert_nl",
            "question_expert_en",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in fields
            if name.startswith(("guidance_", "question_"))
        }
        help_texts = {
            "code": _("Lower-case letters, digits, - and _. Scores are matched by code."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["weight"].widget.attrs.update({"min": "0.01", "step": "0.01"})
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = ""

    def clean_weight(self) -> Decimal:
        weight = self.cleaned_data["weight"]
        if weight is not None and weight <= 0:
            raise ValidationError(_("The weight must be above zero."))
        return weight

    def clean_code(self) -> str:
        return (self.cleaned_data["code"] or "").strip().lower()


class BaseElementFormSet(BaseInlineFormSet):
    def validate_unique(self) -> None:
        """Codes are checked in clean(), with a message that says which element has it."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen: dict[str, int] = {}
        kept = 0
        for number, form in enumerate(self.forms, start=1):
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            kept += 1
            code = form.cleaned_data.get("code") or form.instance.code
            if code in seen:
                form.add_error(
                    "code" if not form.instance.pk else None,
                    _("The code “%(code)s” is already used by element %(number)d.")
                    % {"code": code, "number": seen[code]},
                )
            else:
                seen[code] = number
        if kept == 0:
            raise ValidationError(_("A scoring model needs at least one element."))


# At most this many elements: a POST asking for more (TOTAL_FORMS=999999) gets a message and
# no more forms are built than this (Django's default would build 2,000).
MAX_ELEMENTS = 100

ElementFormSet = inlineformset_factory(
    ScoringModel,
    Element,
    form=ElementForm,
    formset=BaseElementFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_ELEMENTS,
    absolute_max=MAX_ELEMENTS,
    validate_max=True,
)


# --------------------------------------------------------------------------------------------
# Uploads
# --------------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    CUSTOMERS = uploads.CUSTOMERS
    ASSESSMENTS = uploads.ASSESSMENTS

    kind = forms.ChoiceField(
        label=_("What does the file hold?"),
        choices=[(CUSTOMERS, _("Customers")), (ASSESSMENTS, _("Assessments"))],
        widget=forms.RadioSelect,
        initial=CUSTOMERS,
    )
    file = forms.FileField(
        label=_("Spreadsheet"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "CSV (comma or semicolon) or Excel (.xlsx), at most %(limit)s."
        ) % {"limit": filesizeformat(settings.KB_UPLOAD_MAX_BYTES)}

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in (".csv", ".xlsx"):
            raise ValidationError(
                _("“%(name)s” is not a CSV or Excel (.xlsx) file: save it as CSV or .xlsx.")
                % {"name": PurePath(upload.name).name}
            )
        if message := upload_size_error(upload.size):
            raise ValidationError(message)
        return upload


# --------------------------------------------------------------------------------------------
# The dashboard's filters
# --------------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "form-control form-control-sm"})


class DashboardFilterForm(forms.Form):
    """The filters, read from the URL. An invalid field is reported and left out."""

    account_manager = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Account manager"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    sector = forms.ChoiceField(
        required=False,
        label=_("Sector"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    band = forms.ChoiceField(
        required=False,
        label=_("Band"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    date = forms.DateField(required=False, label=_("Date"), widget=DateInput())
    moves_from = forms.DateField(required=False, label=_("Movements from"), widget=DateInput())
    moves_to = forms.DateField(required=False, label=_("Movements to"), widget=DateInput())

    def __init__(
        self,
        data: Mapping[str, Any] | None,
        *,
        user: AbstractBaseUser | AnonymousUser,
        management: bool,
    ) -> None:
        super().__init__(data)
        if management:
            cast(forms.ChoiceField, self.fields["account_manager"]).choices = [
                ("", gettext("All account managers")),
                *account_manager_choices(),
            ]
        else:
            del self.fields["account_manager"]  # an account manager sees their own customers
        sectors = (
            customers_visible_to(user)
            .filter(active=True)
            .exclude(sector="")
            .order_by("sector")
            .values_list("sector", flat=True)
            .distinct()
        )
        sector = cast(forms.ChoiceField, self.fields["sector"])
        sector.choices = [("", gettext("All sectors")), *((s, s) for s in sectors)]
        cast(forms.ChoiceField, self.fields["band"]).choices = [
            ("", gettext("All bands")),
            *((band, band_label(band)) for band in BANDS),
            (NO_SCORE, gettext("no score")),
        ]

    def _not_future(self, name: str) -> dt.date | None:
        value = self.cleaned_data.get(name)
        if value and value > timezone.localdate():
            raise forms.ValidationError(
                gettext("%(date)s lies in the future.") % {"date": dates.day(value)}
            )
        if value and value < EARLIEST_DATE:
            raise forms.ValidationError(
                gettext("%(date)s lies before %(earliest)s: choose a later date.")
                % {"date": value.isoformat(), "earliest": EARLIEST_DATE.isoformat()}
            )
        return value

    def clean_date(self) -> dt.date | None:
        return self._not_future("date")

    def clean_moves_from(self) -> dt.date | None:
        return self._not_future("moves_from")

    def clean_moves_to(self) -> dt.date | None:
        return self._not_future("moves_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("moves_from"), cleaned.get("moves_to")
        if start and end and start > end:
            self.add_error(
                "moves_from", gettext("The start of the movements lies after their end.")
            )
            cleaned.pop("moves_from", None)
        return cleaned

    def filters(self) -> DashboardFilters:
        """The valid filters; fields with errors count as not set."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DashboardFilters(
            account_manager_id=data.get("account_manager"),
            sector=data.get("sector") or "",
            band=data.get("band") or "",
            as_of=data.get("date"),
            moves_from=data.get("moves_from"),
            moves_to=data.get("moves_to"),
        )


# --------------------------------------------------------------------------------------------
# Customers, contact persons and market experts
# --------------------------------------------------------------------------------------------


def customers_by_external_id(raw: str) -> list[Customer]:
    """The customers whose external ids a text lists (separated by commas, semicolons, spaces
    or new lines), in the listed order; a ValidationError naming the unknown ones."""
    wanted = [part for part in re.split(r"[\s,;]+", raw or "") if part]
    if not wanted:
        return []
    found: dict[str, Customer] = {}
    for chunk in chunked(list(dict.fromkeys(wanted))):
        found.update({c.external_id: c for c in Customer.objects.filter(external_id__in=chunk)})
    unknown = [w for w in dict.fromkeys(wanted) if w not in found]
    if unknown:
        shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
        raise ValidationError(gettext("No customer has the external id %(ids)s.") % {"ids": shown})
    return list({w: found[w] for w in wanted}.values())


def _sectors() -> list[str]:
    return list(
        Customer.objects.exclude(sector="")
        .order_by("sector")
        .values_list("sector", flat=True)
        .distinct()
    )


class CustomerForm(forms.ModelForm):
    """A customer as management adds or edits it (the import writes the same fields)."""

    annual_revenue = forms.DecimalField(
        label=_("annual revenue"),
        min_value=0,
        max_value=Decimal("999999999999.99"),
        decimal_places=2,
        initial=0,
    )
    revenue_potential = forms.DecimalField(
        label=_("revenue potential"),
        min_value=0,
        max_value=Decimal("999999999999.99"),
        decimal_places=2,
        initial=0,
    )
    margin_pct = forms.DecimalField(
        label=_("margin %"),
        min_value=-100,
        max_value=100,
        decimal_places=2,
        required=False,
        help_text=_("From -100 to 100; empty when unknown."),
    )

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "name",
            "account_manager",
            "sector",
            "annual_revenue",
            "margin_pct",
            "revenue_potential",
            "payment_behaviour",
            "active",
        ]
        help_texts = {"external_id": _("The customer's number in the CRM; imports match on it.")}
        error_messages = {
            "external_id": {"unique": _("Another customer has this external id.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managers = cast(forms.ModelChoiceField, self.fields["account_manager"])
        current = self.instance.account_manager_id if self.instance.pk else None
        managers.queryset = (
            get_user_model()
            .objects.filter(Q(groups__name=ACCOUNT_MANAGERS, is_active=True) | Q(pk=current or 0))
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        managers.label_from_instance = lambda user: (  # type: ignore[assignment]
            user.get_full_name() or user.get_username()
        )
        self.fields["sector"].widget.attrs["list"] = "sector-choices"
        self.sector_choices = _sectors()

    def clean_external_id(self) -> str:
        return str(self.cleaned_data["external_id"]).strip()

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_sector(self) -> str:
        return str(self.cleaned_data.get("sector") or "").strip()


class ContactForm(forms.ModelForm):
    """A contact person of one customer. The customer is the page's and the opt-out is the
    contact's own: neither is a field here."""

    class Meta:
        model = Contact
        fields = ["name", "email", "role", "language"]

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        cast(forms.ChoiceField, self.fields["role"]).choices = [("", "—"), *ContactRole.choices]

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        others = Contact.objects.filter(customer=self.customer, email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(
                gettext("%(customer)s already has a contact person with this e-mail address.")
                % {"customer": self.customer.name}
            )
        return email


class MarketExpertForm(forms.ModelForm):
    """A market expert: who they are, the sectors they cover and hand-picked customers."""

    sectors = forms.MultipleChoiceField(
        label=_("sectors"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Asked about every customer in these sectors."),
    )
    customer_ids = forms.CharField(
        label=_("Hand-picked customers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("External ids of the customers, separated by commas, spaces or new lines."),
    )

    class Meta:
        model = MarketExpert
        fields = ["name", "email", "organisation", "language", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = [str(s) for s in (self.instance.sectors or [])] if self.instance.pk else []
        sectors = sorted(set(_sectors()) | set(current))
        cast(forms.MultipleChoiceField, self.fields["sectors"]).choices = [(s, s) for s in sectors]
        if self.instance.pk:
            self.initial["sectors"] = current
            self.initial["customer_ids"] = "\n".join(
                self.instance.customers.order_by("external_id").values_list(
                    "external_id", flat=True
                )
            )

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        others = MarketExpert.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(gettext("Another market expert has this e-mail address."))
        return email

    def clean_customer_ids(self) -> list[Customer]:
        return customers_by_external_id(self.cleaned_data.get("customer_ids") or "")
