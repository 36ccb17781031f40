"""Settings for the Hetao Registry, read from the environment.

Every switch that makes the site less safe (debug, an insecure secret key) must be asked for
explicitly; the defaults are the production-safe ones. See README.md, "Configuration".
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    """Read a yes/no switch; anything but the usual spellings is a configuration error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it in the environment (make run does this for you)."
        )
    # Debug only, and only when asked for: a throwaway key, so no secret ever sits in the repo.
    from django.core.management.utils import get_random_secret_key

    SECRET_KEY = get_random_secret_key()

if SECRET_KEY == "replace-me" and not DEBUG:  # deploy/production.env's placeholder
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is still the placeholder: set a real secret.")

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    # First, so its templates can extend and override the admin's.
    "registry",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "simple_history",
    "import_export",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    # Failed admin sign-ins, and the locks they earn (see "Brute force" below).
    "axes",
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
    # ETag from the content and 304s for every GET that does not set its own.
    "django.middleware.http.ConditionalGetMiddleware",
    "csp.middleware.CSPMiddleware",
    # Attributes every admin change to the signed-in user in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as axes asks: turns a sign-in refused for a lock into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The lists' indexes carry INCLUDE columns for PostgreSQL (registry/models/indexes.py);
# SQLite builds them on their key columns alone, which is all it needs at its sizes.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

ROOT_URLCONF = "hetao.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "hetao.wsgi.application"

# SQLite by default so that a fresh checkout runs with nothing else installed. WAL lets readers
# and one writer work at once; IMMEDIATE transactions plus a timeout make concurrent writers
# queue instead of failing with "database is locked".
SQLITE_DEFAULT = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": BASE_DIR / "db.sqlite3",
    "OPTIONS": {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # A writer waits this long for another's lock, then gets a 503 (readers never wait,
        # WAL): a few seconds, so a stuck writer cannot hold every request thread.
        "timeout": envint("REGISTRY_SQLITE_TIMEOUT", 3),
    },
}
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"],
            conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
            # A kept connection is tested before each request reuses it, so the server recovers
            # by itself once a restarted database answers again.
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_DEFAULT["OPTIONS"]
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parallel workers serve big reports, not a page of 100: with every core busy serving
        # requests they only compete with them (at a million projects, a search page's keys
        # took 60 ms with two workers and 7 ms without; docs/performance.md).
        workers = envint("REGISTRY_PG_PARALLEL_WORKERS", 0)
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c max_parallel_workers_per_gather={workers}"
        )
else:
    DATABASES = {"default": SQLITE_DEFAULT}

# `manage.py loaddata reference demo` (fixtures/reference.json, fixtures/demo.json).
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Chinese amounts grouped by thousands with commas, as the zone's publications write them.
FORMAT_MODULE_PATH = ["hetao.formats"]
TIME_ZONE = "Asia/Hong_Kong"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development, whitenoise looks files up per request instead of scanning STATIC_ROOT.
WHITENOISE_AUTOREFRESH = DEBUG

DJANGO_ADMIN_PATH = os.environ.get("DJANGO_ADMIN_PATH", "admin/").strip("/") + "/"

# Cache: Redis when REDIS_URL is given (shared between app servers), else files in
# REGISTRY_CACHE_DIR, shared by the worker processes of one machine. The API's throttles count
# in it: a cache of each process's own would give every gunicorn worker a budget of its own.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("REGISTRY_CACHE_DIR") or str(BASE_DIR / "var" / "cache"),
            # A counter per client address and per token. Each write lists the directory, so
            # it stays small: past 1,000 files a random third goes (REDIS_URL for more).
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }

# Security headers that cost nothing; HTTPS-only switches follow DEBUG.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# HTTPS behind a proxy (deploy/production.env): redirect plain HTTP, tell browsers to come back
# only over HTTPS (HSTS), and trust the proxy's X-Forwarded-Proto only when told there is one.
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = envint("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = envbool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if envbool("DJANGO_BEHIND_HTTPS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers the load balancer over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Uploads (registry/uploads.py): what a file may weigh, unpack to and hold, checked before it
# is parsed. API bodies: Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), else a 413.
REGISTRY_UPLOAD_MAX_BYTES = envint("REGISTRY_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
REGISTRY_UPLOAD_MAX_UNZIPPED_BYTES = envint("REGISTRY_UPLOAD_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024)
REGISTRY_IMPORT_MAX_ROWS = envint("REGISTRY_IMPORT_MAX_ROWS", 10_000)

# Tabular import: each import runs in one transaction, so a dry run or a failed row writes nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = False

# The REST API (registry/api/). Throttle rates come from the environment so a load test or a
# schema fuzzer can raise them; production keeps the defaults.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["registry.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["registry.api.permissions.TokenScopes"],
    "DEFAULT_RENDERER_CLASSES": ["registry.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["registry.api.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "registry.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "registry.api.errors.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.api.throttling.PerIpThrottle",
        "registry.api.throttling.PerTokenThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anonymous": os.environ.get("REGISTRY_THROTTLE_ANONYMOUS", "120/minute"),
        "token": os.environ.get("REGISTRY_THROTTLE_TOKEN", "600/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "registry.api.schema.RegistryAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttling by client address: REMOTE_ADDR, unless told how many proxies to trust
    # (else a forged X-Forwarded-For would reset a client's budget).
    "NUM_PROXIES": envint("REGISTRY_TRUSTED_PROXIES", 0),
}
# Refused bearer tokens per client address (registry/api/throttling.py, BadTokenThrottle): past
# this many, the address gets 429 before any token it sends is looked up.
REGISTRY_THROTTLE_BAD_TOKENS = os.environ.get("REGISTRY_THROTTLE_BAD_TOKENS", "10/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Hetao Registry API",
    "DESCRIPTION": (
        "Organisations, facilities, joint projects, outputs and cross-border factor flows of "
        "the Hetao Shenzhen-Hong Kong Science and Technology Innovation Cooperation Zone."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"FactorEnum": "registry.models.choices.Factor"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.open_response_components",
        "registry.api.schema.shared_components",
    ],
}

# One strict Content-Security-Policy for every face: nothing inline, nothing from elsewhere.
# The admin has no inline script or style; the API docs' start-up scripts are served as files
# (registry/templates/drf_spectacular/, registry/static/registry/api-docs/).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # A nonce only where a page asks for one (Redoc's styles); elsewhere 'self' alone.
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Brute force on the admin's sign-in (django-axes; SECURITY.md): after
# REGISTRY_LOGIN_FAILURE_LIMIT failed sign-ins as one username from one client address, that
# pair is refused, the right password too, for REGISTRY_LOGIN_COOLOFF_MINUTES after its last
# try. Per pair, so that an attacker elsewhere cannot lock a curator out from everywhere. Locks
# are rows in the database, shown and cleared in the admin (registry/admin/lockouts.py).
AUTHENTICATION_BACKENDS = [
    # First: a locked pair is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("REGISTRY_LOGIN_FAILURE_LIMIT", 5)
_cool_off_minutes = envint("REGISTRY_LOGIN_COOLOFF_MINUTES", 15)
# No cool-off would be a lock for ever, until a zone editor clears it.
if AXES_FAILURE_LIMIT < 1 or _cool_off_minutes < 1:
    raise ImproperlyConfigured(
        "REGISTRY_LOGIN_FAILURE_LIMIT and REGISTRY_LOGIN_COOLOFF_MINUTES must be at least 1"
    )
AXES_COOLOFF_TIME = timedelta(minutes=_cool_off_minutes)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a curator who mistyped, then got in, starts again from nought
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure, kept after a lock is cleared
AXES_ENABLE_ADMIN = False  # registry/admin/lockouts.py registers them, for zone editors
# The client address as the API's throttles see it (REGISTRY_TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "registry.admin.lockouts.client_address"
AXES_LOCKOUT_CALLABLE = "registry.admin.lockouts.locked_out"
AXES_VERBOSE = False  # no banner from every manage.py command and worker

# The four-eyes rule: whoever submitted a record for review cannot publish it.
REGISTRY_FOUR_EYES = envbool("REGISTRY_FOUR_EYES", default=True)

# Where `manage.py export_dump` writes the open-data dumps and the data/ page reads the latest.
REGISTRY_DUMP_DIR = Path(os.environ.get("REGISTRY_DUMP_DIR") or BASE_DIR / "var" / "dumps")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
