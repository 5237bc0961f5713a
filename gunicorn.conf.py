"""gunicorn settings for `make serve` and production (`gunicorn -c gunicorn.conf.py`).

Every value can be overridden from the environment, so one file serves a laptop and a fleet.
"""

import multiprocessing
import os
import sys
from pathlib import Path

# gunicorn puts --chdir's folder on the import path only after it has read this file: run as
# `gunicorn --chdir /srv/climb -c /srv/climb/gunicorn.conf.py` from elsewhere, the import
# below would not find the project.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from climb.startup import load_settings  # noqa: E402

# Before the app is loaded: a value the settings refuse stops the start with their one line
# (SystemExit passes gunicorn's config loader), not a traceback from loading the app.
load_settings()

wsgi_app = "climb.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")


def whole_number(name: str, default: int) -> int:
    """A positive whole number from the environment; a mistyped one stops the start with a
    line saying which (SystemExit passes gunicorn's config loader, which would print a
    traceback for any other exception)."""
    value = os.environ.get(name) or str(default)
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise SystemExit(f"{name} must be 1 or more, not {value!r}")
    return number


def one_of(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, in any case, from the environment; another stops the start with a
    line saying which."""
    value = os.environ.get(name) or default
    if value.strip().lower() not in choices:
        raise SystemExit(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value.strip().lower()


def default_workers(database_url: str, cores: int) -> int:
    """Sync workers for this machine, unless WEB_CONCURRENCY says otherwise.

    With a database server, gunicorn's usual 2 x cores + 1: a worker waits on the network for
    each query, and the spare workers use the CPU meanwhile. With the embedded SQLite file
    nothing waits on a network: every request is CPU work in this machine's processes, and
    writes take turns on one file lock, so workers beyond the cores only add switching, lock
    waits and cold caches. Measured with `make bench`'s answer posts (2 cores, 32 learners):
    2 workers 398-410 answers/s at 3.9-4.1 ms CPU each, 3 workers 359-388/s, 5 workers
    270-330/s at 5.1-6.0 ms. At least two, so one slow request never stops the site."""
    embedded = not database_url or database_url.startswith("sqlite")
    return max(2, cores) if embedded else cores * 2 + 1


workers = whole_number(
    "WEB_CONCURRENCY",
    default_workers(os.environ.get("DATABASE_URL", ""), multiprocessing.cpu_count()),
)
worker_class = "sync"
# A request that takes 30 s is a bug; kill the worker rather than let requests queue behind it.
timeout = whole_number("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never becomes an outage; rarely, since a new
# worker starts with cold caches (with the local-memory cache, empty ones). Every 5,000
# requests meant every few seconds per worker under load: the bench's p99 for an anonymous
# page halved (22 -> 11 ms) and its CPU fell 8% when that went to 100,000.
max_requests = 100_000
max_requests_jitter = 10_000
# Load the app once in the master: faster start, and a broken deploy fails before forking.
preload_app = True
# Everything logged is one JSON object per line on stderr (climb/gunicorn_logging.py), the
# access log ("-") included, beside Django's request log. Set and empty, it is off (gunicorn
# took "" for a file name and stopped: "'' isn't writable").
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
logger_class = "climb.gunicorn_logging.JsonAccessLogger"
errorlog = "-"
# gunicorn took any other word for "info" without a word.
loglevel = one_of("GUNICORN_LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical"))
# Behind a load balancer: trust its X-Forwarded-* headers only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server) -> None:
    """Refuse to serve the development settings. DJANGO_DEBUG is on unless set, for `make
    run`; under gunicorn that showed anyone a traceback with the settings on every error,
    and signed sessions with the development key. (With preload_app the app, and so the
    settings, are loaded already.)"""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "climb.settings")
    from django.conf import settings

    if settings.DEBUG:
        raise SystemExit(
            "gunicorn serves production, and DJANGO_DEBUG is on: set DJANGO_DEBUG=0, "
            "DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (README, 'Running in production'). "
            "`make run` is the development server."
        )


if __name__ == "__main__":
    # `make serve` runs this file before it migrates and collects static files, so that what
    # gunicorn would refuse is refused before anything touches the database (a forgotten
    # DJANGO_DEBUG=0 beside a production DATABASE_URL migrated production under the
    # development settings). Also the only place a word in WEB_CONCURRENCY is ours to name:
    # gunicorn itself int()s it on import, before it reads this file. The checks above have
    # run by now; the last is the hook's.
    on_starting(None)
