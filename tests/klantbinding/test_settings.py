"""Production settings: check --deploy is clean with the production variables, the app
refuses a missing or published secret key, and every response carries the security headers."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client

from tests.klantbinding.conftest import PASSWORD, sign_in

BASE_DIR = Path(django_settings.BASE_DIR)
PRODUCTION = {
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "klantbinding.example.com",
}


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process with only these settings variables (no .env file)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KB_", "SITE_URL", "DATABASE_URL", "REDIS_URL"))
    }
    env.update({"DJANGO_ENV_FILE": os.devnull, "PYTHONDONTWRITEBYTECODE": "1", **variables})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_about_a_development_site_url():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        SITE_URL="http://127.0.0.1:8000",
    )
    assert result.returncode != 0
    assert "klantbinding.W001" in result.stderr


def test_check_deploy_warns_about_a_site_url_without_https():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        SITE_URL="http://klantbinding.example.com",
    )
    assert result.returncode != 0
    assert "klantbinding.W001" in result.stderr
    assert "does not use https" in result.stderr
    assert "development address" not in result.stderr


def test_check_deploy_warns_about_a_cache_each_process_keeps_for_itself():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        DJANGO_CACHE_URL="locmemcache://",
    )
    assert result.returncode != 0
    assert "klantbinding.W002" in result.stderr


@pytest.mark.parametrize(
    "key",
    ["", "django-insecure-development-key-do-not-use-in-production-0123456789"],
    ids=["no key", "the published development key"],
)
def test_the_app_refuses_to_start_without_a_secret_key_of_its_own(key):
    variables = {**PRODUCTION, "DJANGO_SECRET_KEY": key}
    result = manage("check", "--deploy", **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_the_development_switch_lets_a_laptop_run_without_a_key():
    result = manage("check", DJANGO_DEBUG="False", KB_DEVELOPMENT="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_responses_carry_the_security_headers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = dict(
        [*d.strip().split(" ", 1), ""][:2]
        for d in response["Content-Security-Policy"].split(";")
        if d.strip()
    )
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert "'unsafe-inline'" not in policy["default-src"]


def test_production_defaults_are_strict():
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SITE_URL, s.CACHES['default']['BACKEND'])"
    )
    result = manage("shell", "-v", "0", "-c", script, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "https://klantbinding.example.com",
        "django.core.cache.backends.redis.RedisCache",
    ]


INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>", re.IGNORECASE)


def assert_no_inline_script(html: str) -> None:
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)
    for match in SCRIPT.finditer(html):
        attrs = match.group("attrs")
        assert "src=" in attrs or 'type="application/json"' in attrs, match.group(0)


@pytest.mark.django_db
def test_pages_have_no_inline_script(client, mira, anne):
    from tests.factories import CustomerFactory
    from tests.surveys.support import make_campaign

    CustomerFactory(account_manager=anne)
    campaign = make_campaign()
    from surveys import services

    round_ = services.round_open(campaign=campaign, user=mira).round
    assert_no_inline_script(client.get("/accounts/login/").content.decode())
    client.force_login(mira)
    for path in (
        "/customers/",
        "/dashboard/",
        "/surveys/campaigns/",
        "/surveys/mine/",
        round_.get_absolute_url(),
        "/audit/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_inline_script(response.content.decode())


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2_and_old_ones_upgrade_on_sign_in(anne, settings):
    from klantbinding import settings as project

    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS  # the suite's fast MD5 set aside
    assert make_password("x").startswith("argon2$")
    anne.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    anne.save()
    assert sign_in(Client(), "anne").status_code == 302
    anne.refresh_from_db()
    assert anne.password.startswith("argon2$")
    assert check_password(PASSWORD, anne.password)
