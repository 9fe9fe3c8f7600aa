"""Who is asking: the company's name, logo and reply-to address, and the sender of the
e-mails to customers' contact persons (survey invitations, the exit survey).

A customer must see in one glance that a question comes from their supplier, not from a
stranger: the e-mails and the answer pages carry the company's name and logo, and a
customer's e-mail comes from their account manager ("Anne de Jong via Acme"), signed by
them, with their address as Reply-To. The e-mail still leaves from the app's own address
(SURVEYS_FROM_EMAIL, or RELATIONS_FROM_EMAIL for the exit survey: the domain whose SPF and
DKIM the mail server has): only the display name and Reply-To are the account manager's.

The logo is checked by its content, not by the name or type the browser sends: PNG, JPEG,
GIF or WebP of at most LOGO_MAX_BYTES. SVG is refused: it may carry script.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from klantbinding.lib.mail import sender
from klantbinding.models import CompanySettings

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PRODUCT_NAME = "Klantbinding"
LOGO_MAX_BYTES = 200 * 1024
# The first bytes of each kind of image accepted, and the type it is served as.
LOGO_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


@dataclass(frozen=True)
class Company:
    """What the e-mails and pages show: the logo's path for pages, its absolute URL
    (SITE_URL) for e-mails, both empty without a logo."""

    name: str
    reply_to: str
    logo_url: str
    logo_path: str = ""


def company_settings() -> CompanySettings:
    """The one row of settings, made empty the first time."""
    row, _created = CompanySettings.objects.get_or_create(pk=1)
    return row


def company_get() -> Company:
    """The company as the e-mails and answer pages show it (one query, no logo bytes)."""
    row = CompanySettings.objects.filter(pk=1).defer("logo").first()
    if row is None:
        return Company(name=PRODUCT_NAME, reply_to="", logo_url="")
    path = f"{reverse('company-logo')}?v={row.logo_version}" if row.logo_type else ""
    return Company(
        name=row.name or PRODUCT_NAME,
        reply_to=row.reply_to,
        logo_url=f"{settings.SITE_URL}{path}" if path else "",
        logo_path=path,
    )


def logo_type_of(data: bytes) -> str:
    """The image type of the logo's bytes; a ValidationError for anything else."""
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(
            gettext("The logo is too large: at most %(size)d KB.")
            % {"size": LOGO_MAX_BYTES // 1024},
            code="too_large",
        )
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for signature, content_type in LOGO_SIGNATURES:
        if data.startswith(signature):
            return content_type
    raise ValidationError(
        gettext("The logo must be a PNG, JPEG, GIF or WebP image."), code="not_an_image"
    )


def company_save(
    *, name: str, reply_to: str, logo: bytes | None = None, remove_logo: bool = False
) -> CompanySettings:
    """Save the settings; a new logo is checked first, and nothing is saved when it fails."""
    logo_type = logo_type_of(logo) if logo else ""
    with transaction.atomic():
        row = CompanySettings.objects.select_for_update().filter(pk=1).first()
        row = row or CompanySettings(pk=1)
        row.name = " ".join(name.split())
        row.reply_to = reply_to.strip()
        if logo:
            row.logo, row.logo_type = logo, logo_type
        elif remove_logo:
            row.logo, row.logo_type = b"", ""
        row.save()
        if logo or remove_logo:
            CompanySettings.objects.filter(pk=1).update(logo_version=F("logo_version") + 1)
    row.refresh_from_db()
    return row


class CompanyForm(forms.Form):
    name = forms.CharField(
        label=_("Company name"),
        max_length=100,
        required=False,
        help_text=_("Shown in survey e-mails and on the answer pages."),
    )
    reply_to = forms.EmailField(
        label=_("Reply-to address"),
        required=False,
        help_text=_(
            "Where replies to survey e-mails go when no account manager signs them "
            "(market experts, colleagues, customers without an account manager)."
        ),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP, at most 200 KB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise ValidationError(
                gettext("The logo is too large: at most %(size)d KB.")
                % {"size": LOGO_MAX_BYTES // 1024}
            )
        data = upload.read()
        logo_type_of(data)
        return data


def signer_of(manager: User | None) -> tuple[str, str]:
    """The account manager who signs a customer's e-mail (name, address), or empty when the
    customer has none or theirs no longer works here (inactive)."""
    if manager is None or not manager.is_active:
        return "", ""
    return " ".join(manager.get_full_name().split()), manager.email or ""


def survey_sender(
    company: Company,
    *,
    manager_name: str = "",
    manager_email: str = "",
    from_email: str | None = None,
) -> tuple[str, list[str]]:
    """The From header and the Reply-To addresses of a survey e-mail.

    With an account manager: "Anne de Jong via Acme" and their address; without one, the
    company's name and its reply-to address (none when it has none). The address is
    ``from_email``'s (SURVEYS_FROM_EMAIL by default). Call it in the recipient's language
    (the word "via" is translated)."""
    name = " ".join(manager_name.split())
    if name:
        display = gettext("%(name)s via %(company)s") % {"name": name, "company": company.name}
    else:
        display = company.name
    reply_to = manager_email.strip() if name and manager_email.strip() else company.reply_to
    address = from_email or settings.SURVEYS_FROM_EMAIL
    return sender(display, address), [reply_to] if reply_to else []
