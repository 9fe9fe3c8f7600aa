"""Users in the admin: their change history, and an invitation for those without a password."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth import models as auth_models
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from klantbinding import accounts

User = get_user_model()
admin.site.unregister(User)


class UserCreationWithEmailForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        fields = ("username", "email", "first_name", "last_name")


@admin.register(User)
class KlantbindingUserAdmin(SimpleHistoryAdmin, UserAdmin):
    add_form = UserCreationWithEmailForm
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    actions = ["invite"]

    def save_model(
        self, request: HttpRequest, obj: auth_models.User, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        # A new user without a password, or one who never signed in and just got an address,
        # is invited to choose a password.
        reachable = not change or "email" in form.changed_data
        if reachable and obj.last_login is None and accounts.users_invite(users=[obj]):
            messages.info(
                request,
                _("%(user)s gets an e-mail to choose a password.") % {"user": obj.get_username()},
            )

    @admin.action(description=_("Send an invitation to choose a password (users without one)"))
    def invite(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = accounts.users_invite(users=queryset)
        messages.info(
            request,
            ngettext(
                "%(count)d user without a password gets an invitation.",
                "%(count)d users without a password get an invitation.",
                count,
            )
            % {"count": count},
        )
