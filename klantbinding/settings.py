"""Settings for Klantbinding, read from the environment (django-environ).

Development defaults are safe and complete; production differs only by environment variables.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"), overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# A developer's laptop or a test run (set by `make run`, `make test` and pytest): the only
# case in which the app may run on the published development key and plain HTTP defaults.
DEVELOPMENT = env.bool("KB_DEVELOPMENT", default=False)
LOCAL = DEBUG or DEVELOPMENT

DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production-0123456789"
# Keys that were published with the project: never a production key.
PUBLISHED_SECRET_KEYS = {
    DEVELOPMENT_SECRET_KEY,
    "change-me-in-production-please-0123456789abcdef",  # docker-compose.yml's old default
}
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not LOCAL and (not SECRET_KEY or SECRET_KEY in PUBLISHED_SECRET_KEYS):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set (or is a key published with Klantbinding), and "
        "DJANGO_DEBUG is off: Klantbinding refuses to run on a key anyone can read. Set "
        "DJANGO_SECRET_KEY to a long random value of your own, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. On a developer's "
        "laptop, set KB_DEVELOPMENT=1 instead (`make run` and `make test` do)."
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A refused form says why in the app's layout (the error pages: klantbinding/errors.py).
CSRF_FAILURE_VIEW = "klantbinding.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # Bootstrap 5's css and js, served from the installed package
    "django_celery_beat",
    "axes",
    "csp",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by the app itself (no CDN)
    "klantbinding",
    "scoring",
    "surveys",
    "actions",
    "relations",
    "alerts",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every page and JSON answer gzipped (Django's, with its BREACH padding); below WhiteNoise,
    # which serves the static files' own gzipped copies.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "klantbinding.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "klantbinding.urls"
WSGI_APPLICATION = "klantbinding.wsgi.application"
ASGI_APPLICATION = "klantbinding.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "klantbinding.context_processors.roles",
                "alerts.context_processors.alert_count",
            ],
        },
    },
]

# SQLite under var/ is the embedded default; PostgreSQL is production (DATABASE_URL).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'klantbinding.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, worker and beat share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests get a file of their own rather than shared-cache memory, whose table locks fail
    # at once: threads in the tests (a Celery worker, concurrent submits) need real
    # connections with WAL and the busy timeout. One name per process, so runs side by side
    # do not clash; the test runner deletes it afterwards.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(tempfile.gettempdir()) / f"klantbinding-test-{os.getpid()}.sqlite3")
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")


def _redis_database(url: str, number: int) -> str:
    """``url`` with its database number replaced: the cache never shares the broker's."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


# The cache holds the sign-in lockout (django-axes) and the survey link throttle, so in
# production it is shared by every process: Redis, by default REDIS_URL's server, database 1.
# A laptop or a test run keeps it in the process's memory.
CACHES = {
    "default": env.cache_url(
        "DJANGO_CACHE_URL",
        default="locmemcache://" if LOCAL else _redis_database(REDIS_URL, 1),
    )
}

# Celery (klantbinding/celery.py reads every CELERY_* setting). The survey e-mails go through
# it; the invitation table is the outbox, so a broker outage delays mail but loses none.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=4)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Enqueuing must not hang a web request when Redis is away: fail fast, the sweep sends later.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# Longest retry countdown of a send task (seconds); the broker's visibility timeout must be
# longer, or Redis hands a waiting task to a second worker.
SURVEYS_RETRY_MAX_SECONDS = env.int("SURVEYS_RETRY_MAX_SECONDS", default=3600)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # `make run` without Redis: kombu's filesystem transport under var/ (development only).
    _BROKER_DIR = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(_BROKER_DIR / "control"),
    }
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 2 * SURVEYS_RETRY_MAX_SECONDS + CELERY_TASK_TIME_LIMIT,
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }

# Argon2 for new and changed passwords; older PBKDF2 hashes still sign in and are upgraded
# to Argon2 when they do.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out sign-in before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A set-password link (password reset, or the invitation of a user without a password)
# works this long, and only once.
PASSWORD_RESET_TIMEOUT = env.int("KB_PASSWORD_LINK_DAYS", default=3) * 24 * 3600

# Sign-in lockout (django-axes, on the shared cache): after KB_LOGIN_FAILURE_LIMIT wrong
# passwords for one username, or from one address, sign-in is refused for
# KB_LOGIN_COOLOFF_MINUTES (counted again from each refused try).
AXES_HANDLER = "klantbinding.security.LockoutCacheHandler"
AXES_FAILURE_LIMIT = env.int("KB_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KB_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "klantbinding.security.client_ip"
AXES_LOCKOUT_CALLABLE = "klantbinding.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # the handler logs each failure itself, without the password
# The reverse proxies in front of the app (addresses or networks, e.g. 10.0.0.0/8). Only a
# request coming from one of them is believed about the client's address (X-Forwarded-For);
# with none set, the address is the connection's own, whatever headers say.
KB_TRUSTED_PROXIES = env.list("KB_TRUSTED_PROXIES", default=[])

# Sessions end after KB_SESSION_IDLE_MINUTES without a request, and KB_SESSION_MAX_HOURS after
# sign-in however busy (klantbinding.middleware.SessionTimeoutMiddleware).
KB_SESSION_IDLE_MINUTES = env.int("KB_SESSION_IDLE_MINUTES", default=30)
KB_SESSION_MAX_HOURS = env.int("KB_SESSION_MAX_HOURS", default=10)
SESSION_COOKIE_AGE = KB_SESSION_IDLE_MINUTES * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Spreadsheet imports (scoring.imports.tables): a file uploaded on a page may be at most
# KB_UPLOAD_MAX_MB, a file given to an import command at most KB_IMPORT_FILE_MAX_MB. Whatever
# its size, a file is refused before it is parsed when it has more than KB_IMPORT_MAX_ROWS rows
# or KB_IMPORT_MAX_COLUMNS columns, a cell longer than KB_IMPORT_MAX_CELL_CHARS characters, or
# (XLSX) unpacks to more than KB_IMPORT_MAX_UNPACKED_MB. A refused file lists at most
# KB_IMPORT_MAX_PROBLEMS problems and counts the rest.
KB_UPLOAD_MAX_BYTES = env.int("KB_UPLOAD_MAX_MB", default=10) * 1024 * 1024
KB_IMPORT_FILE_MAX_BYTES = env.int("KB_IMPORT_FILE_MAX_MB", default=50) * 1024 * 1024
KB_IMPORT_MAX_ROWS = env.int("KB_IMPORT_MAX_ROWS", default=100_000)
KB_IMPORT_MAX_COLUMNS = env.int("KB_IMPORT_MAX_COLUMNS", default=200)
KB_IMPORT_MAX_CELL_CHARS = env.int("KB_IMPORT_MAX_CELL_CHARS", default=10_000)
KB_IMPORT_MAX_UNPACKED_BYTES = env.int("KB_IMPORT_MAX_UNPACKED_MB", default=100) * 1024 * 1024
KB_IMPORT_MAX_PROBLEMS = env.int("KB_IMPORT_MAX_PROBLEMS", default=100)
# Small uploads in memory, larger ones on disk, but no more of them than an upload may hold.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "scoring.imports.handlers.SizeLimitedUploadHandler",
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One way to write a date per language (Dutch 1-12-2026 / 1 december 2026, English 1 Dec 2026).
FORMAT_MODULE_PATH = ["klantbinding.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = env.bool("USE_TZ", default=True)

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "klantbinding.staticfiles.PlotlyFinder",  # plotly.js from the plotly package
]
# Hashed, compressed file names from the first `collectstatic` on (klantbinding/staticfiles.py):
# WhiteNoise serves them with a year's cache. Plain names while nothing is collected.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "DJANGO_STATICFILES_STORAGE", default="klantbinding.staticfiles.StaticStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Klantbinding <klantbinding@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Surveys: the sender of invitations and reminders, and the address links in e-mails point to.
SURVEYS_FROM_EMAIL = env.str("SURVEYS_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
DEVELOPMENT_SITE_URL = "http://127.0.0.1:8000"


def _site_url_default() -> str:
    """Production's default address: https on the first plain host name it may serve."""
    host = ALLOWED_HOSTS[0] if ALLOWED_HOSTS else ""
    if LOCAL or not host or host.startswith(".") or "*" in host:
        return DEVELOPMENT_SITE_URL
    return f"https://{host}"


SITE_URL = env.str("SITE_URL", default=_site_url_default()).rstrip("/")
SURVEYS_SEND_BATCH_SIZE = env.int("SURVEYS_SEND_BATCH_SIZE", default=200)  # e-mails per task
SURVEYS_SEND_MAX_ATTEMPTS = env.int("SURVEYS_SEND_MAX_ATTEMPTS", default=8)
SURVEYS_RETRY_BASE_SECONDS = env.int("SURVEYS_RETRY_BASE_SECONDS", default=60)
# A send task's claim that has not moved for this long belongs to a worker that died: the sweep
# sends its invitations again, with the same link (at least once). Keep it well above the
# time ten e-mails can take (a send task refreshes its claim every ten).
SURVEYS_SEND_STALE_SECONDS = env.int("SURVEYS_SEND_STALE_SECONDS", default=900)
# The sweep queues a pending invitation again this long after its task was queued (a task lost
# with a worker that died before it started).
SURVEYS_REQUEUE_SECONDS = env.int("SURVEYS_REQUEUE_SECONDS", default=600)
SURVEYS_LINK_FAILURES_PER_IP = env.int("SURVEYS_LINK_FAILURES_PER_IP", default=20)  # per 15 min

# Alerts: the sender of alert e-mails; up to this many customers with new snapshots are
# evaluated at once in the process that stored them, more in a Celery task.
ALERTS_FROM_EMAIL = env.str("ALERTS_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
ALERTS_INLINE_CUSTOMERS = env.int("ALERTS_INLINE_CUSTOMERS", default=20)
# The effect report is computed when its inputs change and served from a store; on, a Celery
# task computes it and the page shows the last one meanwhile; off (development, tests), the
# first request after a change computes it (actions/services/report.py).
ACTIONS_EFFECT_REPORT_BACKGROUND = env.bool("ACTIONS_EFFECT_REPORT_BACKGROUND", default=not LOCAL)

# The REST API (api/): personal tokens or the session, errors as problem details, cursor
# pages, requests per token limited to KB_API_RATE (e.g. "1200/min").
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("KB_API_RATE", default="1200/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Klantbinding API",
    "DESCRIPTION": "Customers, binding scores with why they moved, assessments, contacts, "
    "actions, alerts and departures. Authenticate with a personal token: "
    "`Authorization: Bearer kb_…`.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Without deep links an operation's summary button holds no link (a link inside a
    # button is an interactive element nested in another, which screen readers cannot reach);
    # without syntax highlighting the examples are light text on dark at AA contrast (the
    # highlighter's red strings are not). static/css/api-docs.css fixes Swagger UI's colours.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "syntaxHighlight": {"activated": False}},
    "REDOC_DIST": "SIDECAR",
}
# Webhooks: only https receivers on public addresses, unless this switch (tests, a laptop)
# allows http and loopback or private-range addresses. An endpoint whose deliveries all
# failed for WEBHOOKS_DISABLE_AFTER_DAYS is switched off and its owner told by e-mail.
WEBHOOKS_ALLOW_PRIVATE = env.bool("KB_WEBHOOKS_ALLOW_PRIVATE", default=False)
WEBHOOKS_TIMEOUT_SECONDS = env.float("KB_WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
WEBHOOKS_RETRY_BASE_SECONDS = env.float("KB_WEBHOOKS_RETRY_BASE_SECONDS", default=30.0)
WEBHOOKS_RETRY_MAX_SECONDS = env.float("KB_WEBHOOKS_RETRY_MAX_SECONDS", default=6 * 3600.0)
WEBHOOKS_DISABLE_AFTER_DAYS = env.int("KB_WEBHOOKS_DISABLE_AFTER_DAYS", default=3)
WEBHOOKS_FROM_EMAIL = env.str("WEBHOOKS_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)

# Production hardening: on unless this is a laptop or a test run (LOCAL), each switchable.
# Behind a TLS proxy that sets X-Forwarded-Proto (and redirects to https itself, if wanted),
# set DJANGO_SECURE_PROXY_SSL_HEADER=true; DJANGO_SECURE_SSL_REDIRECT=false leaves the
# redirect to that proxy.


def _set(name: str) -> bool:
    """Whether the variable has a value: docker-compose.yml passes unset ones through empty."""
    return bool(os.environ.get(name, "").strip())


def _switch(name: str, default: bool) -> bool:
    return env.bool(name) if _set(name) else default


if _switch("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _switch("DJANGO_SECURE_SSL_REDIRECT", not LOCAL)
# The health check answers plain HTTP inside the stack (docker compose, load balancers).
SECURE_REDIRECT_EXEMPT = [r"^health/?$"]
SESSION_COOKIE_SECURE = _switch("DJANGO_SESSION_COOKIE_SECURE", not LOCAL)
CSRF_COOKIE_SECURE = _switch("DJANGO_CSRF_COOKIE_SECURE", not LOCAL)
_HSTS_DEFAULT = 0 if LOCAL else 365 * 24 * 3600
SECURE_HSTS_SECONDS = (
    env.int("DJANGO_SECURE_HSTS_SECONDS") if _set("DJANGO_SECURE_HSTS_SECONDS") else _HSTS_DEFAULT
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _switch("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not LOCAL)
SECURE_HSTS_PRELOAD = _switch("DJANGO_SECURE_HSTS_PRELOAD", not LOCAL)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts only from the app's own static files, never
# inline (data for scripts travels in <script type="application/json">); no framing. Inline
# styles stay allowed: plotly draws its charts with them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# The binding-score rule (DESIGN.md §3). Thresholds and weights are settings, not code.
KLANTBINDING = {
    "VALIDITY_DAYS": env.int("KB_VALIDITY_DAYS", default=365),
    "SOURCE_WEIGHTS": {
        "staff": env.float("KB_SOURCE_WEIGHT_STAFF", default=1.0),
        "customer": env.float("KB_SOURCE_WEIGHT_CUSTOMER", default=1.0),
        "expert": env.float("KB_SOURCE_WEIGHT_EXPERT", default=1.0),
    },
    "BAND_THRESHOLDS": tuple(env.list("KB_BAND_THRESHOLDS", cast=float, default=[40, 55, 70])),
    "PROVISIONAL_COVERAGE": env.float("KB_PROVISIONAL_COVERAGE", default=50.0),
    "STAFF_CADENCE_DAYS": env.int("KB_STAFF_CADENCE_DAYS", default=90),
    # A cached dashboard follows the data (scoring.selectors.dashboard_cache_key); this bounds
    # how long it shows what only the passing of time changes (who is due for re-scoring).
    "DASHBOARD_CACHE_SECONDS": env.int("KB_DASHBOARD_CACHE_SECONDS", default=300),
}

# Background jobs of scoring (publishing a model, recomputing every score): customers per
# committed batch, seconds one task works before it hands over to a fresh one, and the wait
# before a failed batch is tried again.
SCORING_JOB_BATCH_SIZE = env.int("SCORING_JOB_BATCH_SIZE", default=1000)
SCORING_JOB_SLICE_SECONDS = env.int("SCORING_JOB_SLICE_SECONDS", default=20)
SCORING_JOB_RETRY_SECONDS = env.int("SCORING_JOB_RETRY_SECONDS", default=5)
# An upload of at least KB_IMPORT_BACKGROUND_ROWS rows is imported by a worker (a background
# job with a progress bar) instead of within the request; its task may run for
# KB_IMPORT_TASK_TIME_LIMIT seconds (the import is one transaction).
KB_IMPORT_BACKGROUND_ROWS = env.int("KB_IMPORT_BACKGROUND_ROWS", default=2000)
KB_IMPORT_TASK_TIME_LIMIT = env.int("KB_IMPORT_TASK_TIME_LIMIT", default=1800)
