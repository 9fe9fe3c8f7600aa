"""Unsubscribing from staff e-mails: a signed link per user and kind of e-mail.

Alerts and digests go to colleagues who may rather read them in the app. Every such e-mail
carries a link (in its footer and as List-Unsubscribe, with RFC 8058's one-click POST) to a
page that turns that kind of e-mail off for that user, without signing in. The link is
signed with SECRET_KEY (salted per purpose), so it names the user and the kind and cannot be
made for another; it does not expire, because an old e-mail's link should keep working.
Turning off is a setting the user can turn back on (the page links to where).

Each kind names the app's own service that writes the setting (imported when used, so this
module does not depend on the apps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import signing
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

SALT = "klantbinding.unsubscribe"


@dataclass(frozen=True)
class MailKind:
    label: str | Promise  # what the page names: "alert e-mails sent at once"
    turn_off: str  # dotted path of ``f(user) -> None``
    settings_url: str  # URL name of the page where the user turns it back on


KINDS: dict[str, MailKind] = {
    "alerts-immediate": MailKind(
        _("alert e-mails sent at once"),
        "alerts.services.inbox.immediate_emails_off",
        "alerts:settings",
    ),
    "alerts-daily": MailKind(
        _("the daily alert digest"), "alerts.services.inbox.daily_digest_off", "alerts:settings"
    ),
    "alerts-weekly": MailKind(
        _("the weekly alert summary"),
        "alerts.services.inbox.weekly_summary_off",
        "alerts:settings",
    ),
    "action-digest": MailKind(
        _("the daily digest of your actions"),
        "actions.services.digests.digest_off",
        "actions:digest-preference",
    ),
    "overdue-digest": MailKind(
        _("the weekly e-mail of customers to contact"),
        "relations.services.digests.overdue_digest_off",
        "relations:digest-preference",
    ),
}


def unsubscribe_token(user: User, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of e-mail: {kind}")
    return signing.dumps({"u": user.pk, "k": kind}, salt=SALT)


def unsubscribe_url(user: User, kind: str) -> str:
    """The absolute link of the page that turns this kind of e-mail off for the user."""
    path = reverse("unsubscribe", args=[unsubscribe_token(user, kind)])
    return f"{settings.SITE_URL}{path}"


def unsubscribe_headers(user: User, kind: str) -> dict[str, str]:
    """List-Unsubscribe with the one-click POST (RFC 8058) for a staff e-mail."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user, kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe_read(token: str) -> tuple[User, str, MailKind] | None:
    """The active user and kind the token names, or None for a forged or stale link."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("k") not in KINDS
        or not isinstance(data.get("u"), int)
    ):
        return None
    user = get_user_model().objects.filter(pk=data["u"], is_active=True).first()
    if user is None:
        return None
    return user, data["k"], KINDS[data["k"]]


def unsubscribe(user: User, kind: str) -> None:
    """Turn the kind of e-mail off for the user (the app's own setting)."""
    turn_off: Callable[[User], None] = import_string(KINDS[kind].turn_off)
    turn_off(user)
