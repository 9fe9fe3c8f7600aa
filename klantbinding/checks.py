"""System checks for `manage.py check --deploy`: settings that are fine on a laptop only."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

UNSHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}


@register(Tags.security, deploy=True)
def site_url_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Links in e-mails must reach the production site, over https."""
    url = settings.SITE_URL
    parts = urlsplit(url)
    problems = []
    if url == settings.DEVELOPMENT_SITE_URL or (parts.hostname or "") in LOOPBACK_HOSTS:
        problems.append("is still the development address")
    if parts.scheme != "https":
        problems.append("does not use https")
    if not problems:
        return []
    return [
        Warning(
            f"SITE_URL ({url}) {' and '.join(problems)}: the links in invitations, "
            "reminders and set-password e-mails would not reach the site, or not safely.",
            hint="Set SITE_URL to the address users open, e.g. https://klantbinding.example.com.",
            id="klantbinding.W001",
        )
    ]


@register(Tags.security, Tags.caches, deploy=True)
def shared_cache_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """The sign-in lockout and the survey link throttle count in the cache: all processes
    must share it, or each web worker counts on its own."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in UNSHARED_CACHES:
        return []
    return [
        Warning(
            f"The cache ({backend}) is not shared between processes: the sign-in lockout "
            "and the survey link throttle would count per process.",
            hint="Set DJANGO_CACHE_URL to Redis, e.g. redis://redis:6379/1.",
            id="klantbinding.W002",
        )
    ]
