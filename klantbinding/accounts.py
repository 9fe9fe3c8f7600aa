"""The way in for users without a password: an invitation e-mail with a set-password link.

A user created without a usable password (by the customer import, or by an administrator
who chose "no password") gets an invitation to set one; "Forgot your password?" sends such a
user a new invitation, where Django's own form would stay silent. The links are Django's
password reset links (one use, ``PASSWORD_RESET_TIMEOUT``), built on ``SITE_URL``.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

logger = logging.getLogger(__name__)


def set_password_link(user: User) -> str:
    """The one-time link at which ``user`` chooses a (new) password."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def _message(user: User, template: str, language: str) -> EmailMultiAlternatives:
    """``template``'s three parts (subject, text, HTML) for ``user``, in ``language``."""
    with translation.override(language):
        context = {
            "user": user,
            "name": user.get_full_name() or user.get_username(),
            "username": user.get_username(),
            "link": set_password_link(user),
            "site_url": settings.SITE_URL,
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 3600)),
        }
        subject = " ".join(render_to_string(f"{template}-subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject,
            render_to_string(f"{template}-body.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        message.attach_alternative(render_to_string(f"{template}-body.html", context), "text/html")
    return message


def invitation_message(user: User, *, language: str | None = None) -> EmailMultiAlternatives:
    """The invitation to set a first password."""
    return _message(user, "emails/account-invitation", language or settings.LANGUAGE_CODE)


def reset_message(user: User, *, language: str | None = None) -> EmailMultiAlternatives:
    """The link to set a new password, for a user who has one."""
    return _message(user, "emails/password-reset", language or translation.get_language() or "nl")


def _send(messages: Sequence[EmailMultiAlternatives]) -> None:
    """Send over one connection; a mail server that refuses is logged, never raised."""
    if not messages:
        return
    try:
        with get_connection() as connection:
            connection.send_messages(list(messages))
    except Exception:  # the users can ask again through "Forgot your password?"
        logger.exception("Could not send %d set-password e-mails", len(messages))


def users_invite(*, users: Iterable[User], language: str | None = None) -> int:
    """Invite each user without a password (and with an e-mail address) to set one.

    The e-mails go once the current transaction commits, so a rolled-back import invites
    nobody. Returns how many will be sent.
    """
    messages = [
        invitation_message(user, language=language)
        for user in users
        if user.is_active and user.email and not user.has_usable_password()
    ]
    if messages:
        transaction.on_commit(lambda: _send(messages), robust=True)
    return len(messages)


def _same_address(one: str, other: str) -> bool:
    def fold(text: str) -> str:
        return unicodedata.normalize("NFKC", text).casefold()

    return fold(one) == fold(other)


class PasswordLinkForm(PasswordResetForm):
    """ "Forgot your password?" that also reaches invited users who never set one.

    Django's form skips users without a usable password (it cannot tell an invited user from
    one whose password was switched off). Here an account that is switched off is inactive;
    an active user without a password gets a new invitation instead of a reset e-mail.
    """

    def get_users(self, email: str) -> Iterable[User]:
        user_model = get_user_model()
        field = user_model.get_email_field_name()
        candidates = user_model._default_manager.filter(
            **{f"{field}__iexact": email, "is_active": True}
        )
        # As Django does: the database's case-insensitive match may pair different Unicode
        # spellings; only an address that is the same after normalising gets the link.
        return [u for u in candidates if _same_address(email, getattr(u, field))]

    def save(self, *args: object, request: HttpRequest | None = None, **kwargs: object) -> None:
        email = self.cleaned_data["email"]
        messages = [
            reset_message(user)
            if user.has_usable_password()
            else invitation_message(user, language=translation.get_language())
            for user in self.get_users(email)
        ]
        _send(messages)


def user_find(name: str) -> User:
    """The active user with this user name, or else with this e-mail address.

    Raises LookupError when there is none, or when the address belongs to several users.
    """
    user_model = get_user_model()
    manager = user_model._default_manager.filter(is_active=True)
    found = manager.filter(**{f"{user_model.USERNAME_FIELD}__iexact": name}).first()
    if found is not None:
        return found
    by_email = list(manager.filter(**{f"{user_model.get_email_field_name()}__iexact": name})[:2])
    if len(by_email) != 1:
        raise LookupError(name)
    return by_email[0]
