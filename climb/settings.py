"""Climb's one settings module.

Everything that differs between a laptop and production comes from environment variables,
with defaults that make a fresh clone run: DEBUG on, SQLite under var/, the local-memory
cache. With DJANGO_DEBUG=0 the site refuses to start without a real secret key and hosts.
"""

from __future__ import annotations

import logging
import math
import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "django-insecure-climb-development-only"


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def envint(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, not {value!r}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be {maximum} or less, not {value!r}")
    return number


def envfloat(name: str, default: float, minimum: float | None = None) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # float() also reads "nan" and "inf"
        raise ImproperlyConfigured(f"{name} must be a number such as 1 or 0.5, not {value!r}")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, not {value!r}")
    return number


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, in any case, written as the choice is."""
    value = os.environ.get(name) or default
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def envloglevel(name: str, default: str) -> str | int:
    """A level as Python's logging knows it: a name in any case (WARN and FATAL included, as
    before this was checked) or a number."""
    value = (os.environ.get(name) or default).strip()
    if value.isdigit():
        return int(value)
    level = logging.getLevelName(value.upper())
    if not isinstance(level, int):
        raise ImproperlyConfigured(
            f"{name} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value!r}"
        )
    return logging.getLevelName(level)  # WARN -> WARNING


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
# Keys a rotation retired, still accepted for what they signed (sign-ins, password-reset
# links, open pages' answer forms) until it is signed again with the new one: README,
# "Rotating the secret key".
SECRET_KEY_FALLBACKS = envlist("DJANGO_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")

if not DEBUG:
    # A production process with a guessable key or no host list is worse than none at all.
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY: a random value of 50 or more characters."
        )
    if any(key == DEV_SECRET_KEY or len(key) < 50 for key in SECRET_KEY_FALLBACKS):
        # An old key still signs in whoever holds it: as strict as the current one.
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY_FALLBACKS: each key (comma-separated) must be a random value "
            "of 50 or more characters, as DJANGO_SECRET_KEY."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG=0 needs DJANGO_ALLOWED_HOSTS, e.g. climb.example.com"
        )

INSTALLED_APPS = [
    # The site's own management commands (climb/management/), first so that they stand in
    # for Django's: migrate taking turns, createsuperuser keeping the account rules.
    "climb",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "lessons",
    "climb.learning",
    "climb.accounts",
    "climb.teams",
]

MIDDLEWARE = [
    "climb.ops.HealthCheckMiddleware",  # /healthz: before the host check and the redirect
    # Before SecurityMiddleware, so that its answers (the redirect to HTTPS, a 400 for a
    # host not allowed) are logged like every other request.
    "climb.ops.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "climb.learning.sessions.RenewSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "climb.i18n.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "climb.ops.CSPMiddleware",  # django-csp's, building the constant policy once
    "climb.ops.ResponseHeadersMiddleware",  # Permissions-Policy, no-store pages
    "django_htmx.middleware.HtmxMiddleware",
    "climb.errors.MethodNotAllowedMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "climb.urls"
WSGI_APPLICATION = "climb.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------------

SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"

try:
    DATABASES = {
        "default": dj_database_url.parse(
            # Unset or empty (as an env file's `DATABASE_URL=` leaves it): the embedded SQLite
            # file.
            os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
            conn_max_age=envint("CONN_MAX_AGE", 0, minimum=0),
            conn_health_checks=True,
        )
    }
except ValueError:  # dj_database_url's errors for an unknown scheme or an unreadable URL
    DATABASES = {"default": {"ENGINE": ""}}
if DATABASES["default"]["ENGINE"] not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    # "DATABASE_URL=foo" was dj_database_url's UnknownSchemeError, naming neither the variable
    # nor the two databases the site runs on. The value is not repeated: it may hold a password.
    raise ImproperlyConfigured(
        "DATABASE_URL must be postgres://user:password@host:5432/name or "
        "sqlite:////absolute/path.sqlite3 (empty: var/db.sqlite3); characters such as @ : / "
        "in the password written %-encoded."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent web use on one file: WAL lets readers run beside the writer, the busy timeout
    # waits for the write lock instead of failing, and IMMEDIATE takes that lock when a
    # transaction starts, so two writers never deadlock on a read-then-write upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    SQLITE_PATH.parent.mkdir(exist_ok=True)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A server that accepts the connection and never answers (overloaded, half failed over)
    # would hold every request and /healthz until gunicorn killed the worker: give up after
    # 5 s, and the 503 page with Retry-After is shown. `?connect_timeout=N` in the URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and sessions -------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
# Without a scheme ("localhost:6379") redis-py refused the URL on first use, so every page was
# a 500. Several servers (the first for writes) are comma- or semicolon-separated, as Django's
# RedisCache takes them. The value is not repeated: it may hold a password.
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
if REDIS_URL and not all(
    server.lower().startswith(REDIS_SCHEMES) for server in re.split("[;,]", REDIS_URL)
):
    raise ImproperlyConfigured(
        "REDIS_URL must be redis://host:port/db, rediss:// (TLS) or unix://path, e.g. "
        "redis://cache.internal:6379/0; several servers comma-separated, each with its scheme."
    )
if REDIS_URL:
    # Several app servers share one Redis: the cache, and the sessions in it (sessions are
    # also written to the database, so a Redis restart logs nobody out).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "climb",
            # A Redis that stops answering (not one that refuses) would hold every request
            # and /healthz until gunicorn killed the worker: a second, then the 503 page.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    SESSION_ENGINE = "climb.learning.cached_sessions"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Room for every learner's rate-limit counter (the default, 300, culls early);
            # content parts stay in lessons.contentcache's own bounded copy instead.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
    SESSION_ENGINE = "climb.learning.sessions"

# How often a process checks the database for a content change (lessons.models
# ContentGeneration): an edit reaches every app server within this many seconds.
CONTENT_CHECK_SECONDS = envfloat("CONTENT_CHECK_SECONDS", 1, minimum=0)

# --- auth ------------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out account or address before any password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, finding the account by username or email in any case.
    "climb.accounts.backends.UsernameOrEmailBackend",
    # Sessions started before it name this one: listed, so that they stay signed in.
    "django.contrib.auth.backends.ModelBackend",
]
# Brute force: 5 failures lock the account, and separately the address, for 15 minutes.
# Attempts are stored in the database, so this works on SQLite and across app servers.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Not axes' own reset on success: it forgets every failure from the address too, so signing
# in to one's own account between guesses never locked anyone (climb.accounts.backends).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "climb.accounts.views.locked_out"
AXES_USERNAME_CALLABLE = "climb.accounts.backends.lockout_username"
AXES_HTTP_RESPONSE_CODE = 429
# Behind the load balancer the client address is an X-Forwarded-For hop (climb.ops.client_ip):
# the lock by address, and every other limit per address, count clients, not the balancer.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "climb.ops.lockout_address"
# Masked in what axes logs and stores: its own defaults (the username, often an email here,
# and the address), and ?next=, where a log-in on the way to a team invite carries its token.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "next"]

# How long a team dashboard's figures are kept for sorting, paging and other viewers (0: off).
TEAM_DASHBOARD_SECONDS = envint("TEAM_DASHBOARD_SECONDS", 30, minimum=0)

# Answer posts per learner (or address) per minute; a human answers far fewer.
ANSWER_RATE_LIMIT = envint("ANSWER_RATE_LIMIT", 60, minimum=1)
# Per hour: password-reset mails to one address (more are not sent, and the page looks the
# same, so it tells nobody whether an account exists), reset requests and sign-ups from one
# client address (loose: a whole office signs up from one address when a team starts).
RESET_MAILS_PER_ADDRESS = envint("RESET_MAILS_PER_ADDRESS", 3, minimum=1)
RESET_REQUESTS_PER_CLIENT = envint("RESET_REQUESTS_PER_CLIENT", 20, minimum=1)
SIGNUPS_PER_CLIENT = envint("SIGNUPS_PER_CLIENT", 60, minimum=1)
# Per hour and account: wrong current passwords the password change form takes.
PASSWORD_GUESSES_PER_ACCOUNT = envint("PASSWORD_GUESSES_PER_ACCOUNT", 10, minimum=1)
# Per hour: anonymous learners one client address may start (each first answer without a
# session starts one, with a session row kept SESSION_DAYS): a script posting without
# cookies would otherwise fill the database. Loose, for an office behind one address.
NEW_LEARNERS_PER_CLIENT = envint("NEW_LEARNERS_PER_CLIENT", 120, minimum=1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "learning:progress"
LOGOUT_REDIRECT_URL = "lessons:home"

# Password-reset mail goes out by SMTP when EMAIL_HOST is set. Without it: to the console in
# development, and in production to nowhere, logged without its content (climb.mail), since
# a reset mail's link opens the account to whoever reads the logs.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "climb.mail.UnsentEmailBackend"
)
if os.environ.get("DJANGO_EMAIL_BACKEND"):
    # A misspelt one passed every check, and each password-reset request was a 500.
    try:
        import_string(EMAIL_BACKEND)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"DJANGO_EMAIL_BACKEND must be a mail backend's dotted path, such as "
            f"django.core.mail.backends.smtp.EmailBackend, not {EMAIL_BACKEND!r} ({error})"
        ) from None
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)  # port 465; otherwise STARTTLS on 587
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
# The port goes with the choice: SSL alone kept 587, where servers speak STARTTLS, and every
# mail failed its handshake.
EMAIL_PORT = envint("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587, minimum=1)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    # Django refuses the pair only when a mail is sent: the password-reset request was a 500.
    raise ImproperlyConfigured(
        "EMAIL_USE_SSL and EMAIL_USE_TLS cannot both be on: EMAIL_USE_SSL=1 for SMTP over TLS "
        "(port 465), EMAIL_USE_TLS=1 for STARTTLS (port 587)."
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Climb <climb@localhost>")
# Seconds for each SMTP step. Django waits forever by default: a mail server that accepts and
# never answers held the password-reset request until gunicorn killed the worker.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)

# --- i18n ------------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static files ----------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# In development WhiteNoise serves straight from the app and project folders, no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- security headers that cost nothing in development ---------------------------------------

# A strict policy from day one: our scripts and styles are static files, htmx is configured
# without eval or inline styles (see base.html), and nothing loads from anywhere else.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A session (an anonymous learner's progress, or a sign-in) lasts this long after its last
# visit: RenewSessionMiddleware moves the expiry forward once a day while it is in use.
# At most ten years: 99999999 days passed, and every log-in was a 500 (the expiry date is
# past the year 9999).
SESSION_COOKIE_AGE = envint("SESSION_DAYS", 90, minimum=1, maximum=3650) * 24 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "climb.errors.csrf_failure"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

if not DEBUG:
    # Production runs behind a TLS-terminating proxy or load balancer, which must set
    # X-Forwarded-Proto (and strip any the client sent): that is how Django knows a request
    # came over HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
    CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")

# One JSON object per line in production (DJANGO_LOG_FORMAT=json), readable text otherwise.
LOG_FORMAT = envchoice("DJANGO_LOG_FORMAT", "text" if DEBUG else "json", ("text", "json"))
LOG_LEVEL = envloglevel("DJANGO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "climb.logs.JsonFormatter"},
    },
    "filters": {
        "without_traceback": {"()": "climb.logs.WithoutTraceback"},
        "redact_secrets": {"()": "climb.logs.RedactSecrets"},
        "not_a_request_line": {"()": "climb.logs.NotARequestLine"},
    },
    # stderr, as gunicorn's logs (climb/gunicorn_logging.py): stdout stays the commands' own,
    # so that `manage.py dumpdata > backup.json` holds nothing but the data.
    # The level on the handler too: Django's own "django" logger is set to INFO, and the
    # request log to INFO below, so the root's level alone let their lines through.
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "level": LOG_LEVEL}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django gives its logger a console handler of its own in development: each of its
        # messages (a 500's traceback) was printed twice by `make run`. The root's is enough.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # Requests are logged once, by climb.ops.RequestLogMiddleware, in development too:
        # runserver's own lines said 4xx twice (one bare, as Django's handler was replaced)
        # and the 200s not at all. Its other errors (HTTPS to plain HTTP) still show; its
        # broken pipes (INFO: a reader who left before the answer) do not.
        "climb.request": {"level": "INFO"},
        # A 500's line names the path, which may be a reset or invite link.
        "django.request": {"level": "ERROR", "filters": ["redact_secrets"]},
        # Its warning names the path unredacted; climb.errors.csrf_failure logs it redacted.
        "django.security.csrf": {"level": "ERROR"},
        "django.server": {"level": "ERROR", "propagate": True, "filters": ["not_a_request_line"]},
        # A Host outside ALLOWED_HOSTS (scanners, mostly): one WARNING line, not an ERROR
        # with a traceback each time.
        "django.security.DisallowedHost": {"filters": ["without_traceback"]},
        # Its start-up banner, on every command and every worker: not news. Nor its lines for
        # every log-in and reset (three a log-in); failures and lockouts are warnings.
        "axes.apps": {"level": "WARNING"},
        "axes.handlers": {"level": "WARNING"},
    },
}

# --- full-text search on PostgreSQL ----------------------------------------------------------

# lessons/search_index.py writes (SearchVector) and lessons/search_query.py searches (SearchQuery,
# SearchRank) with django.contrib.postgres when the database is PostgreSQL; on SQLite they use
# FTS5 and the app is not needed (nor installed).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    INSTALLED_APPS.append("django.contrib.postgres")
