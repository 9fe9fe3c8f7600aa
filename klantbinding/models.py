"""The change history of users (who may sign in, their names, roles and address), and the
company's settings (its name, logo and reply-to address in survey e-mails).

Django's user model is not ours to add a field to, so its history is registered here; the
history table lives in this app. Passwords and sign-in times are not recorded.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history import register

register(
    get_user_model(),
    app="klantbinding",
    excluded_fields=["password", "last_login"],
    user_related_name="+",
)


class CompanySettings(models.Model):
    """The company that asks: its name, logo and reply-to address.

    Customers read the name and logo in survey e-mails and on the answer pages, so that they
    see in one glance that their supplier asks. One row (pk 1), edited by management in the
    app (klantbinding/company.py). The logo is kept in the database (small, see
    ``company.LOGO_MAX_BYTES``) so that every web process serves the same one without shared
    media storage.
    """

    name = models.CharField(_("company name"), max_length=100, blank=True)
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    logo = models.BinaryField(_("logo"), blank=True, default=b"")
    logo_type = models.CharField(_("logo type"), max_length=20, blank=True)
    logo_version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")

    def __str__(self) -> str:
        return self.name or "Klantbinding"
