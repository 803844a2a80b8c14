"""medsite settings: one module, every difference comes from the environment.

Variables (all optional in development):
  DJANGO_DEBUG          "1"/"true" for development (default on unless DJANGO_SECRET_KEY is set)
  DJANGO_SECRET_KEY     required when DJANGO_DEBUG is off; the site refuses to start without it
  DJANGO_ALLOWED_HOSTS  comma-separated host names (default: localhost names in debug)
  DATABASE_URL          dj-database-url syntax; postgres://... switches to PostgreSQL
  REDIS_URL             redis://...: shared cache for several app servers (default: local memory)
  MEDSITE_ALLOW_SELF_APPROVAL  "1" lets an author approve their own revision (one-person sites)
  MEDSITE_MAX_SECTION_CHARS    most characters in one section (default 100000)
  DJANGO_EMAIL_BACKEND  dotted path (default: console backend)
  DJANGO_SECURE_SSL_REDIRECT  redirect http to https (default on when DEBUG is off; "0" for plain
                        HTTP on loopback, e.g. benchmarks behind no proxy)
  DJANGO_SECURE_COOKIES session and CSRF cookies only over https (default on when DEBUG is off)
  DJANGO_HSTS_SECONDS   Strict-Transport-Security max-age (default 31536000 when DEBUG is off;
                        "0" turns HSTS off)
  MEDSITE_REQUIRE_2FA   "1": moderators and superusers must sign in with a TOTP code
  MEDSITE_STAFF_IDLE_MINUTES  staff sessions end after this many idle minutes (default 30)
  MEDSITE_UPLOAD_QUOTA_MB     image upload bytes per user (default 200)
  MEDSITE_UPLOADS_PER_MINUTE  image uploads per user per minute (default 10)
  MEDSITE_TRUSTED_PROXIES     reverse proxies in front (X-Forwarded-For) for sign-in lockouts
  DJANGO_ADMINS         "Name <mail@example.org>, other@example.org": server errors are mailed
  MEDSITE_SQLITE_TIMEOUT  seconds a SQLite write waits for the lock (default 20)
  MEDSITE_VERSION_POLL_SECONDS  how often each process re-reads the site version (0.5)
  MEDSITE_PAGE_MEMORY_BYTES     in-process page copies per process (24 MB with Redis, else 0)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in _TRUE


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or default


DEBUG = env_bool("DJANGO_DEBUG", default="DJANGO_SECRET_KEY" not in os.environ)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG off the site refuses to start "
            "without a secret key: set DJANGO_SECRET_KEY to a long random string."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "markdownx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "monographs",
]

MIDDLEWARE = [
    # First: its log line times everything below, and every log record gets the request id.
    "medsite.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "medsite.middleware.StaffIdleTimeoutMiddleware",
    "medsite.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "medsite.middleware.PermissionsPolicyMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during sign-in into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "medsite.urls"
WSGI_APPLICATION = "medsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite that never loses an edit (docs/architecture.md, "SQLite"):
    # - IMMEDIATE: a write transaction takes the write lock when it begins, so it waits
    #   (busy timeout) instead of failing with "database is locked" when a read lock it
    #   already holds cannot be upgraded while another request writes;
    # - WAL: readers never block the writer, nor the writer the readers;
    # - timeout: how long a writer waits for the lock (MEDSITE_SQLITE_TIMEOUT seconds);
    #   past it, the workflow shows "busy, try again" with the editor's text kept.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": float(os.environ.get("MEDSITE_SQLITE_TIMEOUT", "20")),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRES:
    # Django's backend, health-checking a persistent connection only after it sat idle for
    # MEDSITE_DB_CHECK_IDLE_SECONDS, not before every request (medsite/db/postgresql).
    DATABASES["default"]["ENGINE"] = "medsite.db.postgresql"
MEDSITE_DB_CHECK_IDLE_SECONDS = float(os.environ.get("MEDSITE_DB_CHECK_IDLE_SECONDS", "1"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "medsite.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "medsite"),
            # A frozen Redis must cost milliseconds, not seconds: caching.py then serves
            # pages from the database until Redis answers again.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "medsite",
        }
    }

# django-axes first: it refuses sign-in while an address/user pair is locked out (see
# "Staff sign-in" below). monographs.auth refuses the published demo passwords when DEBUG is off.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "monographs.auth.MedsiteModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "medsite <noreply@localhost>")
SITE_URL = os.environ.get("MEDSITE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Security headers; the deploy-only ones switch on when DEBUG is off (each can be switched off
# by environment, e.g. DJANGO_SECURE_SSL_REDIRECT=0 for gunicorn over plain HTTP on loopback).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz and /readyz answer load balancers that probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Content-Security-Policy (django-csp): no inline script or style anywhere, public or admin.
# Every script and stylesheet is a file under STATIC_URL; images come from the site and from
# MEDIA_URL (editors' uploads); JSON-LD is a data block, which CSP does not execute.
_MEDIA_ORIGIN = os.environ.get("MEDSITE_MEDIA_ORIGIN", "").strip()
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", *([_MEDIA_ORIGIN] if _MEDIA_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        **(
            {"report-uri": [os.environ["MEDSITE_CSP_REPORT_URI"]]}
            if os.environ.get("MEDSITE_CSP_REPORT_URI")
            else {}
        ),
    },
}
# The browser features no page here uses are switched off for the site and anything it embeds.
MEDSITE_PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(self), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "midi=(), payment=(), picture-in-picture=(), publickey-credentials-get=(), "
    "screen-wake-lock=(), sync-xhr=(), usb=(), xr-spatial-tracking=()"
)

# --- Staff sign-in (monographs/auth.py, medsite/middleware.py)
# django-axes: 5 failed sign-ins from one address for one user name lock that pair out for
# 15 minutes (429); every lockout is written to the audit log with the address.
AXES_FAILURE_LIMIT = int(os.environ.get("MEDSITE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("MEDSITE_LOGIN_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Behind N reverse proxies, the client address is read from X-Forwarded-For (monographs/auth.py);
# without this, every sign-in behind a proxy would share the proxy's address.
MEDSITE_TRUSTED_PROXIES = int(os.environ.get("MEDSITE_TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "monographs.auth.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Two-factor (django-otp TOTP): every staff user may enrol at /admin/two-factor/; with
# MEDSITE_REQUIRE_2FA=1 moderators and superusers must, before any other admin page.
MEDSITE_REQUIRE_2FA = env_bool("MEDSITE_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = os.environ.get("MEDSITE_OTP_ISSUER", "medsite")
# Staff sessions end after this many idle minutes; the edit form's unsaved-text copy (kept
# in the browser tab) is offered back after signing in again.
MEDSITE_STAFF_IDLE_MINUTES = int(os.environ.get("MEDSITE_STAFF_IDLE_MINUTES", "30"))

# --- django-markdownx: preview goes through our sanitizer; uploads are locked down
# in monographs/markdownx_views.py (staff only, JPEG/PNG/WebP that Pillow opens).
MARKDOWNX_MARKDOWNIFY_FUNCTION = "monographs.rendering.render_markdown"
MARKDOWNX_URLS_PATH = "/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/markdownx/upload/"
MARKDOWNX_MEDIA_PATH = "uploads/"
MARKDOWNX_UPLOAD_MAX_SIZE = 5 * 1024 * 1024
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/webp"]
MARKDOWNX_SERVER_CALL_LATENCY = 400
# Per editor: bytes stored in total, and uploads per minute (monographs/uploads.py).
MEDSITE_UPLOAD_QUOTA_MB = int(os.environ.get("MEDSITE_UPLOAD_QUOTA_MB", "200"))
MEDSITE_UPLOADS_PER_MINUTE = int(os.environ.get("MEDSITE_UPLOADS_PER_MINUTE", "10"))

# --- medsite
MEDSITE_ALLOW_SELF_APPROVAL = env_bool("MEDSITE_ALLOW_SELF_APPROVAL", False)
MEDSITE_REVIEW_INTERVAL_DAYS = int(os.environ.get("MEDSITE_REVIEW_INTERVAL_DAYS", "365"))
# The most characters one section (or the disclaimer) may hold; saves and imports past it
# are refused with a message naming the section (monographs/validation.py).
MEDSITE_MAX_SECTION_CHARS = int(os.environ.get("MEDSITE_MAX_SECTION_CHARS", "100000"))
MEDSITE_PUBLIC_MAX_AGE = int(os.environ.get("MEDSITE_PUBLIC_MAX_AGE", "300"))
MEDSITE_SITE_NAME = "medsite"
# Page cache (monographs/caching.py): how often each process re-reads the site version from
# the database (the most a page can lag a publication), the in-process copies' bound, how
# long after a publication a listing may be served from its previous copy while one request
# rebuilds it, and how long a failed cache is left alone.
MEDSITE_VERSION_POLL_SECONDS = float(os.environ.get("MEDSITE_VERSION_POLL_SECONDS", "0.5"))
# In-process copies of hot pages: default 24 MB with Redis, none with the local-memory cache.
_PAGE_MEMORY = os.environ.get("MEDSITE_PAGE_MEMORY_BYTES", "").strip()
MEDSITE_PAGE_MEMORY_BYTES = int(_PAGE_MEMORY) if _PAGE_MEMORY else None
MEDSITE_STALE_SECONDS = float(os.environ.get("MEDSITE_STALE_SECONDS", "1"))
MEDSITE_CACHE_RETRY_SECONDS = float(os.environ.get("MEDSITE_CACHE_RETRY_SECONDS", "5"))


def _admins(value: str) -> list[tuple[str, str]]:
    """DJANGO_ADMINS: "Ann <ann@example.org>, bob@example.org" -> Django's ADMINS."""
    admins = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, address = item.rpartition("<")
        address = address.rstrip(">").strip()
        admins.append((name.strip() or address, address))
    return admins


# Server errors (tracebacks) are mailed to ADMINS when it is set and DEBUG is off.
ADMINS = _admins(os.environ.get("DJANGO_ADMINS", ""))
SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "medsite.request_log.RequestIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "medsite": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "medsite",
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {
        "handlers": ["console", "mail_admins"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    },
    "loggers": {
        # Django's own handlers would print and mail its errors a second time: the root's do.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}
