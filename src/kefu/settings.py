"""Kefu settings, driven entirely by KEFU_* environment variables.

Operators change behaviour through the environment only; tests override what they need
through pytest fixtures. Nothing here reads the database.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from kefu.core.secret_key import read_secret_key

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("KEFU_DATA_DIR", "var")).resolve()
# The data dir must exist before Django loads the apps: djhuey opens the SQLite queue
# (DATA_DIR/huey.sqlite3) on import. Nothing else here touches the disk.
DATA_DIR.mkdir(parents=True, exist_ok=True)

# KEFU_SECRET_KEY, else the key `kefu setup` (or `kefu serve`) generated and kept 0600 in
# the data dir (kefu.core.secret_key). Before that, SECRET_KEY is empty and Django refuses
# to sign anything, so a process that skipped `kefu setup` fails loudly, never silently
# with a throwaway key.
SECRET_KEY = os.environ.get("KEFU_SECRET_KEY") or read_secret_key(DATA_DIR)
DEBUG = _env_bool("KEFU_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("KEFU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("KEFU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "huey.contrib.djhuey",
    "kefu.core",
    "kefu.org",
    "kefu.customers",
    "kefu.calendars",
    "kefu.notify",
    "kefu.workorders",
    "kefu.sla",
    "kefu.complaints",
    "kefu.callbacks",
    "kefu.portal",
    "kefu.surveys",
    "kefu.outages",
    "kefu.intake",
    "kefu.rules",
    "kefu.web",
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
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kefu.urls"
WSGI_APPLICATION = "kefu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kefu.web.context.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
_default_db = f"sqlite:///{DATA_DIR / 'kefu.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("KEFU_DATABASE_URL", _default_db), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the Huey worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _env_bool(
    "KEFU_DB_PREPARED", default=True
):
    # Server-side parameters let PostgreSQL keep each connection's plans for repeated
    # queries (psycopg prepares a statement on its second use): planning was two thirds
    # of the database's CPU for a trivial API request. KEFU_DB_PREPARED=0 turns it off
    # behind a pooler in transaction mode (pgbouncer), which cannot keep them.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=2
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- `kefu serve` -------------------------------------------------------------------------
KEFU_HOST = os.environ.get("KEFU_HOST", "127.0.0.1")
KEFU_PORT = os.environ.get("KEFU_PORT", "8000")
KEFU_WEB_WORKERS = int(os.environ.get("KEFU_WEB_WORKERS", "3"))  # gunicorn worker processes

# --- Background work (Huey) ---------------------------------------------------------------
REDIS_URL = os.environ.get("KEFU_REDIS_URL", "")
# An idle consumer polls at most every 2 s (Huey's default backs off to 10 s): a user
# watching an upload's progress bar should not wait for the worker to wake up.
_HUEY_CONSUMER = {"workers": 2, "worker_type": "thread", "max_delay": 2.0}
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("KEFU_HUEY_NAME", "kefu"),
        "url": REDIS_URL,
        "immediate": _env_bool("KEFU_HUEY_IMMEDIATE"),
        "consumer": _HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "kefu",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": _env_bool("KEFU_HUEY_IMMEDIATE"),
        "consumer": _HUEY_CONSUMER,
    }

# --- Auth ---------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["kefu.org.backends.RoleBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling: failures per (username, IP) inside the window lock the pair out.
KEFU_LOGIN_MAX_FAILURES = int(os.environ.get("KEFU_LOGIN_MAX_FAILURES", "5"))
KEFU_LOGIN_LOCK_SECONDS = int(os.environ.get("KEFU_LOGIN_LOCK_SECONDS", "900"))
KEFU_IDEMPOTENCY_TTL_HOURS = int(os.environ.get("KEFU_IDEMPOTENCY_TTL_HOURS", "24"))

CACHES = {
    "default": (
        {"BACKEND": "kefu.core.cache.KefuRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    )
}

# --- i18n / time --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Plotly's browser bundle, as the plotly package ships it: {% static "plotly/plotly.min.js" %}
# (no CDN at run time).
STATICFILES_DIRS = [
    ("plotly", Path(importlib.util.find_spec("plotly").origin).parent / "package_data")
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or _env_bool("KEFU_TESTING")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
KEFU_IMPORT_MAX_BYTES = int(os.environ.get("KEFU_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
# Customer imports: files from this size validate in parallel worker processes (spawning
# costs ~1 s), and an import of at least this many rows that at least doubles the table
# drops and rebuilds the indexes (sorting once beats random inserts).
KEFU_IMPORT_PARALLEL_MIN_BYTES = int(
    os.environ.get("KEFU_IMPORT_PARALLEL_MIN_BYTES", str(4 * 1024 * 1024))
)
KEFU_IMPORT_REBUILD_MIN_ROWS = int(os.environ.get("KEFU_IMPORT_REBUILD_MIN_ROWS", "20000"))
# Files that come with an order (e-mail attachments) live in DATA_DIR/attachments/<order
# number>/; a larger one is not kept (the order's timeline names it).
KEFU_ATTACHMENT_MAX_BYTES = int(os.environ.get("KEFU_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))

# --- REST API -----------------------------------------------------------------------------
# Failed identity checks (change register) on one customer, by anyone, before further
# checks are refused for the rest of the window (customers.services_pii.customer_identity_check).
KEFU_IDENTITY_FAILURES = int(os.environ.get("KEFU_IDENTITY_FAILURES", "5"))
KEFU_IDENTITY_FAILURE_WINDOW_MINUTES = int(
    os.environ.get("KEFU_IDENTITY_FAILURE_WINDOW_MINUTES", "60")
)
# Unknown API tokens one client address may try per minute before it gets 429 (org.tokens).
KEFU_BAD_TOKENS_PER_MINUTE = int(os.environ.get("KEFU_BAD_TOKENS_PER_MINUTE", "60"))
REST_FRAMEWORK = {
    # Token first: an unauthenticated request then gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kefu.org.tokens.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Proxies in front of Kefu (nginx): throttles then key on the real client address.
    "NUM_PROXIES": int(os.environ["KEFU_NUM_PROXIES"])
    if os.environ.get("KEFU_NUM_PROXIES")
    else None,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "kefu.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "kefu.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "kefu.core.throttling.AnonRateThrottle",
        "kefu.core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("KEFU_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("KEFU_THROTTLE_USER", "6000/min"),
        # Screen-pop and customer search by phone/account: each confirms that a whole
        # number belongs to a customer, so far fewer per user (docs/admin-guide.md).
        "screen_pop": os.environ.get("KEFU_THROTTLE_SCREEN_POP", "120/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "kefu.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "kefu.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kefu API",
    "DESCRIPTION": "Kefu (客服) customer service management platform — REST API v1",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ serves Swagger UI from the installed sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set, where several fields share a name or a set.
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "kefu.customers.models.CustomerKind",
        "ProductKindEnum": "kefu.customers.models.ProductKind",
        "ContactKindEnum": "kefu.customers.models.ContactKind",
        "ServiceTierEnum": "kefu.customers.models.ServiceTier",
        "DataScopeEnum": "kefu.org.models.DataScope",
        "HistorySourceEnum": "kefu.customers.models.HistorySource",
        "ComplaintSourceEnum": "kefu.workorders.models.ComplaintSource",
        "WorkOrderStatusEnum": "kefu.workorders.models.Status",
        "CalendarNameEnum": "kefu.calendars.selectors.CALENDAR_NAMES",
        "CategoryKindEnum": "kefu.workorders.models.CategoryKind",
        "AssignmentEnum": "kefu.workorders.models.Assignment",
        "OrgLevelEnum": "kefu.org.models.OrgLevel",
        "CallbackKindEnum": "kefu.callbacks.models.TaskKind",
        "SatisfactionLevelEnum": "kefu.callbacks.models.Level",
        "CallbackStatusEnum": "kefu.callbacks.models.TaskStatus",
        "InboundSmsStatusEnum": "kefu.callbacks.models.InboundStatus",
        "CallbackOutcomeEnum": "kefu.callbacks.models.Outcome",
        "CallOutcomeEnum": "kefu.callbacks.outcomes.CALL_OUTCOMES",
    },
}

# --- Security outside debug mode ----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
if not DEBUG:
    _https = _env_bool("KEFU_HTTPS", default=False)
    SESSION_COOKIE_SECURE = _https
    CSRF_COOKIE_SECURE = _https
    SECURE_SSL_REDIRECT = _https
    SECURE_HSTS_SECONDS = 31536000 if _https else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
    SECURE_HSTS_PRELOAD = _https
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _https else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEFU_LOG_LEVEL", "WARNING")},
    # The Huey consumer installs its own handler; propagating would print every line twice.
    "loggers": {"huey": {"propagate": False}},
}

# --- Notifications (kefu.notify) -----------------------------------------------------------
# Without SMTP or an SMS gateway, external messages are written to DATA_DIR/outbox.log.
# KEFU_SMTP_URL: smtp://user:pass@host:25, smtp+starttls://user:pass@host:587 or
# smtps://user:pass@host:465 (percent-encode @ and : inside the user name or password).
KEFU_SMTP_URL = os.environ.get("KEFU_SMTP_URL", "")
KEFU_MAIL_FROM = os.environ.get("KEFU_MAIL_FROM", "")  # default: the SMTP user, if an address
# Generic HTTP SMS gateway: POST {"phone": "...", "text": "..."} as JSON, 2xx = accepted.
KEFU_SMS_GATEWAY_URL = os.environ.get("KEFU_SMS_GATEWAY_URL", "")
KEFU_SMS_GATEWAY_TOKEN = os.environ.get("KEFU_SMS_GATEWAY_TOKEN", "")  # sent as Bearer token
# How messages to customers are signed (【…】) and the hotline they are told to call.
# Unset: the name of the top unit of the org tree, and no hotline line.
KEFU_ORG_NAME = os.environ.get("KEFU_ORG_NAME", "")
KEFU_HOTLINE = os.environ.get("KEFU_HOTLINE", "")
# Where customers reach this site (the signed answer links in callback SMS).
KEFU_PUBLIC_URL = os.environ.get("KEFU_PUBLIC_URL", f"http://{KEFU_HOST}:{KEFU_PORT}")
# The key the SMS gateway signs inbound replies with (POST /api/v1/sms/inbound, header
# X-Kefu-Signature: sha256=<HMAC-SHA256 of the raw body>). Unset: every delivery is refused.
KEFU_SMS_INBOUND_SECRET = os.environ.get("KEFU_SMS_INBOUND_SECRET", "")
