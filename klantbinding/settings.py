"""Settings for Klantbinding, read from the environment (django-environ).

Development defaults are safe and complete; production differs only by environment variables.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    default="django-insecure-development-key-do-not-use-in-production-0123456789",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

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
    "klantbinding",
    "scoring",
    "surveys",
    "actions",
    "relations",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

# The cache holds the survey link throttle. Per-process memory by default; production shares
# it between processes through Redis, e.g. DJANGO_CACHE_URL=redis://127.0.0.1:6379/1.
CACHES = {"default": env.cache_url("DJANGO_CACHE_URL", default="locmemcache://")}

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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
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
# Hashed, compressed file names once `collectstatic` has run; plain names before that
# (development, tests), so a missing manifest never turns a page into a 500.
_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "DJANGO_STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _COLLECTED and not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
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
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SURVEYS_SEND_BATCH_SIZE = env.int("SURVEYS_SEND_BATCH_SIZE", default=100)  # e-mails per task
SURVEYS_SEND_MAX_ATTEMPTS = env.int("SURVEYS_SEND_MAX_ATTEMPTS", default=8)
SURVEYS_RETRY_BASE_SECONDS = env.int("SURVEYS_RETRY_BASE_SECONDS", default=60)
SURVEYS_LINK_FAILURES_PER_IP = env.int("SURVEYS_LINK_FAILURES_PER_IP", default=20)  # per 15 min

# Alerts: the sender of alert e-mails; up to this many customers with new snapshots are
# evaluated at once in the process that stored them, more in a Celery task.
ALERTS_FROM_EMAIL = env.str("ALERTS_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
ALERTS_INLINE_CUSTOMERS = env.int("ALERTS_INLINE_CUSTOMERS", default=20)

# Production hardening: all driven by environment variables, off in development.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

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
}
