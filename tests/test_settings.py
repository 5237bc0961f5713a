"""Production refuses to start with development secrets."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(expression: str = "settings.DEBUG", **env: str) -> subprocess.CompletedProcess:
    return run(f"from django.conf import settings; print({expression})", **env)


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    """`code` run after Django's set-up, in a new process with the environment `env`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "climb.settings"},
        capture_output=True,
        text=True,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = start(DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="climb.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = start(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_with_both_starts():
    result = start(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 60, DJANGO_ALLOWED_HOSTS="climb.example.com"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "x.test"}


@pytest.mark.parametrize(
    ("email", "backend"),
    [
        ({}, "climb.mail.UnsentEmailBackend"),
        ({"EMAIL_HOST": "smtp.example.com"}, "django.core.mail.backends.smtp.EmailBackend"),
    ],
)
def test_production_never_prints_mail_into_the_logs(email, backend):
    """Without SMTP, Django's console backend printed every password-reset mail, live link
    and all, into the production log stream."""
    result = start("settings.EMAIL_BACKEND", **PRODUCTION, **email)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


def test_the_unsent_mail_backend_logs_who_and_what_about_but_not_the_mail(caplog):
    from django.core.mail import get_connection, send_mail

    connection = get_connection("climb.mail.UnsentEmailBackend")
    body = "Reset it: https://climb.example.com/accounts/password/reset/MQ/secret-token/"
    sent = send_mail("Reset your password", body, None, ["ada@example.com"], connection=connection)
    assert sent == 0
    assert "'Reset your password' to 1 recipient(s)" in caplog.text
    assert "secret-token" not in caplog.text and "ada@example.com" not in caplog.text


@pytest.mark.skipif("postgres" in os.environ.get("DATABASE_URL", ""), reason="SQLite settings only")
def test_sqlite_is_configured_for_concurrent_use(settings):
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


def test_an_empty_database_url_means_the_embedded_sqlite_file():
    # As an env file's `DATABASE_URL=` line leaves it: not a traceback about a scheme.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "climb.settings", "DATABASE_URL": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    engine, name = result.stdout.split()
    assert engine == "django.db.backends.sqlite3" and name.endswith("var/db.sqlite3")


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be 1/0, true/false, yes/no or on/off"),
        ({**PRODUCTION, "SECURE_HSTS_SECONDS": "a year"}, "must be a whole number, not 'a year'"),
        # Each of these was a bare ValueError traceback, or no complaint at all.
        (
            {"CONTENT_CHECK_SECONDS": "abc"},
            "CONTENT_CHECK_SECONDS must be a number such as 1 or 0.5, not 'abc'",
        ),
        (
            {"CONTENT_CHECK_SECONDS": "nan"},
            "CONTENT_CHECK_SECONDS must be a number such as 1 or 0.5, not 'nan'",
        ),
        ({"CONTENT_CHECK_SECONDS": "-1"}, "CONTENT_CHECK_SECONDS must be 0 or more, not '-1'"),
        ({"DJANGO_LOG_FORMAT": "xml"}, "DJANGO_LOG_FORMAT must be one of text, json, not 'xml'"),
        (
            {"DJANGO_LOG_LEVEL": "LOUD"},
            "DJANGO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'LOUD'",
        ),
        ({"SESSION_DAYS": "0"}, "SESSION_DAYS must be 1 or more, not '0'"),
        ({"SESSION_DAYS": "-1"}, "SESSION_DAYS must be 1 or more, not '-1'"),
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT must be 0 or more, not '-1'"),
        ({"ANSWER_RATE_LIMIT": "0"}, "ANSWER_RATE_LIMIT must be 1 or more, not '0'"),
        # Each of these passed `check`, and failed later on every request that used it.
        ({"SESSION_DAYS": "99999999"}, "SESSION_DAYS must be 3650 or less, not '99999999'"),
        ({"DATABASE_URL": "foo"}, "DATABASE_URL must be postgres://user:password@host:5432/"),
        ({"DATABASE_URL": "mysql://db/climb"}, "DATABASE_URL must be postgres://"),
        ({"DATABASE_URL": "postgres://u:p@w@db:x/c"}, "DATABASE_URL must be postgres://"),
        (
            {"EMAIL_USE_SSL": "1", "EMAIL_USE_TLS": "1"},
            "EMAIL_USE_SSL and EMAIL_USE_TLS cannot both be on",
        ),
        (
            {"DJANGO_EMAIL_BACKEND": "no.such.Backend"},
            "DJANGO_EMAIL_BACKEND must be a mail backend's dotted path, such as "
            "django.core.mail.backends.smtp.EmailBackend, not 'no.such.Backend'",
        ),
        (
            {"DJANGO_EMAIL_BACKEND": "climb.mail.NoSuchBackend"},
            "not 'climb.mail.NoSuchBackend'",
        ),
    ],
)
def test_a_misspelt_setting_stops_the_start_and_says_which(env, problem):
    result = start(**env)
    assert result.returncode != 0 and problem in result.stderr


def entry_point(command: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """`command` run from the project folder as an operator would, with the environment `env`
    and a database of its own (a refusal must come before anything touches one)."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))
    }
    environment.update(DATABASE_URL=f"sqlite:///{tmp_path / 'entry.sqlite3'}", PORT="0", **env)
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


BIN = Path(sys.executable).parent
# -o: never reinstall from make's `install` target in a test, whatever the file times say.
MAKE = ["make", "--no-print-directory", "-o", ".venv/.installed-stamp"]
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([sys.executable, "manage.py", "check"], id="manage.py"),
        pytest.param([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], id="gunicorn"),
        pytest.param([*MAKE, "run"], id="make-run", marks=needs_make),
        pytest.param([*MAKE, "serve"], id="make-serve", marks=needs_make),
    ],
)
def test_a_refused_setting_is_one_line_at_every_entry_point(command, tmp_path):
    """The README promises a message rather than a traceback: the message was the last line
    of a 55-67-line traceback from wherever Django first read the settings."""
    result = entry_point(command, tmp_path, **PRODUCTION, SESSION_DAYS="0")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    # make's own "make: *** [serve] Error 1", "make[1]: ***" when make test runs it.
    lines = [
        line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", line)
    ]
    assert lines == ["SESSION_DAYS must be 1 or more, not '0'"]
    assert not (tmp_path / "entry.sqlite3").exists()


@pytest.mark.parametrize(
    ("env", "expression", "value"),
    [
        ({"CONTENT_CHECK_SECONDS": "0.5"}, "settings.CONTENT_CHECK_SECONDS", "0.5"),
        ({"DJANGO_LOG_LEVEL": "warning"}, "settings.LOGGING['root']['level']", "WARNING"),
        # As before the check (the code review): WARN and FATAL, and numbers, still work.
        ({"DJANGO_LOG_LEVEL": "WARN"}, "settings.LOGGING['root']['level']", "WARNING"),
        ({"DJANGO_LOG_LEVEL": "fatal"}, "settings.LOGGING['root']['level']", "CRITICAL"),
        ({"DJANGO_LOG_LEVEL": "25"}, "settings.LOGGING['root']['level']", "25"),
        ({"DJANGO_LOG_FORMAT": "JSON"}, "settings.LOG_FORMAT", "json"),
        ({"SESSION_DAYS": "1"}, "settings.SESSION_COOKIE_AGE", "86400"),
        ({"SESSION_DAYS": "3650"}, "settings.SESSION_COOKIE_AGE", str(3650 * 86400)),
        # SMTP over TLS is port 465; EMAIL_USE_SSL=1 alone kept STARTTLS's 587.
        ({}, "(settings.EMAIL_PORT, settings.EMAIL_USE_TLS)", "(587, True)"),
        ({"EMAIL_USE_SSL": "1"}, "(settings.EMAIL_PORT, settings.EMAIL_USE_TLS)", "(465, False)"),
        ({"EMAIL_USE_SSL": "1", "EMAIL_PORT": "2465"}, "settings.EMAIL_PORT", "2465"),
        (
            {"DJANGO_EMAIL_BACKEND": "climb.mail.UnsentEmailBackend"},
            "settings.EMAIL_BACKEND",
            "climb.mail.UnsentEmailBackend",
        ),
    ],
)
def test_settings_take_their_values_in_any_usual_spelling(env, expression, value):
    result = start(expression, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == value


LOG_REQUESTS = """
from django.conf import settings
from django.test import Client
# A fresh clone has no collected static files for the production storage's manifest.
static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
settings.STORAGES = {**settings.STORAGES, "staticfiles": static}
client = Client(raise_request_exception=False)
client.get("/", HTTP_HOST="scanner.example")  # a WARNING from Django, and a 400
client.get("/about/altitude/", HTTP_HOST="127.0.0.1")  # an INFO line of the request log
client.get("/no-such-page/", HTTP_HOST="127.0.0.1")  # a 404: a WARNING of the request log
import climb.learning.views
climb.learning.views.render = None  # a 500: an ERROR from Django, and from the request log
client.get("/about/altitude/", HTTP_HOST="127.0.0.1")
# What runserver logs: a line per request (the request log has said it), a broken pipe
# (INFO) and its own errors.
import logging
server = logging.getLogger("django.server")
server.info('"GET /a/ HTTP/1.1" 200 5', extra={"status_code": 200})
server.error('"GET /teams/join/t0ken/ HTTP/1.1" 500 5', extra={"status_code": 500})
server.info("- Broken pipe from ('127.0.0.1', 5)")
server.error("You're accessing the development server over HTTPS, but it only supports HTTP.")
"""


REFUSED_HOST = "Invalid HTTP_HOST header: 'scanner.example'"
ERRORS = [
    "Internal Server Error: /about/altitude/",
    "GET /about/altitude/ 500",
    "You're accessing the development server over HTTPS",
]


@pytest.mark.parametrize(
    ("level", "lines"),
    [
        (
            "INFO",
            [REFUSED_HOST, "GET / 400", "GET /about/altitude/ 200", "GET /no-such-page/ 404"]
            + ERRORS,
        ),
        ("30", [REFUSED_HOST, "GET / 400", "GET /no-such-page/ 404", *ERRORS]),
        ("ERROR", ERRORS),
    ],
)
def test_the_log_level_holds_for_the_request_log_and_djangos_own(level, lines, tmp_path):
    """DJANGO_LOG_LEVEL=ERROR printed every request and every refused Host all the same: the
    request log's logger is set to INFO, and Django sets its own to INFO."""
    result = run(
        LOG_REQUESTS,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        DJANGO_LOG_LEVEL=level,
    )
    assert result.returncode == 0, result.stderr
    lines_out = result.stderr.splitlines()  # and Python's warnings ("No directory at")
    logged = [json.loads(line)["message"] for line in lines_out if line.startswith("{")]
    # The request log ends each line with the time taken; Django's line goes on to advise.
    assert len(logged) == len(lines), logged
    assert [message[: len(line)] for message, line in zip(logged, lines, strict=True)] == lines


def test_development_logs_each_line_once_and_every_request(tmp_path):
    """`make run` printed each of Django's messages twice (its own handler for development,
    and ours) and the request log only for problems, while runserver's own lines had lost
    their handler: a 404 showed twice, a 200 not at all."""
    result = run(
        LOG_REQUESTS,
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    logged = [
        line.split(" ", 3)[3]
        for line in result.stderr.splitlines()
        if re.match(r"\d{4}-\d\d-\d\d ", line)  # not Python's warnings
    ]
    assert [line.split(" ")[:4] for line in logged] == [
        ["django.security.DisallowedHost", "Invalid", "HTTP_HOST", "header:"],
        ["climb.request", "GET", "/", "400"],
        ["climb.request", "GET", "/about/altitude/", "200"],
        ["climb.request", "GET", "/no-such-page/", "404"],
        ["django.request", "Internal", "Server", "Error:"],
        ["climb.request", "GET", "/about/altitude/", "500"],
        ["django.server", "You're", "accessing", "the"],
    ]
    assert "t0ken" not in result.stderr


def test_debug_takes_the_usual_spellings_of_yes():
    assert start(DJANGO_DEBUG="Yes").stdout.strip() == "True"


DATABASE_OPTIONS = "settings.DATABASES['default']['OPTIONS']"


def test_postgresql_gives_up_connecting_after_five_seconds():
    """A server that accepted the connection and never answered held each request, and
    /healthz, until gunicorn killed the worker at 30 s: not the quick 503 the README promises."""
    result = start(DATABASE_OPTIONS, DATABASE_URL="postgres://climb@db.internal:5432/climb")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'connect_timeout': 5}"


def test_a_connect_timeout_in_the_database_url_wins():
    url = "postgres://climb@db.internal:5432/climb?connect_timeout=15"
    result = start(DATABASE_OPTIONS, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'connect_timeout': 15}"


@pytest.mark.parametrize("url", ["localhost:6379", "cache.internal", "redis://a:6379/0,b:6379/0"])
def test_a_redis_url_without_its_scheme_stops_the_start(url):
    """Accepted, it made every page a 500 once redis-py read it."""
    result = start(REDIS_URL=url)
    assert result.returncode != 0
    assert "REDIS_URL must be redis://host:port/db, rediss:// (TLS) or unix://path" in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "redis://cache.internal:6379/0",
        "rediss://:secret@cache.internal:6380/0",
        "unix:///run/redis/redis.sock?db=0",
        "redis://primary:6379/0,redis://replica:6379/0",
    ],
)
def test_redis_urls_with_a_scheme_are_taken(url):
    result = start("settings.CACHES['default']['LOCATION']", REDIS_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == url


SMTP_TIMEOUT = (
    "__import__('django.core.mail').core.mail.get_connection("
    "'django.core.mail.backends.smtp.EmailBackend').timeout"
)


def test_smtp_gives_up_after_ten_seconds():
    """Django's default is no timeout: a mail server that accepted and never answered held
    the password-reset request until gunicorn killed the worker."""
    result = start(SMTP_TIMEOUT, **PRODUCTION, EMAIL_HOST="smtp.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "10"
    result = start(SMTP_TIMEOUT, **PRODUCTION, EMAIL_HOST="smtp.example.com", EMAIL_TIMEOUT="30")
    assert result.stdout.strip() == "30"


def test_retired_secret_keys_are_taken_from_the_environment():
    keys = ["a" * 50, "b" * 60]
    result = start(
        "settings.SECRET_KEY_FALLBACKS", **PRODUCTION, DJANGO_SECRET_KEY_FALLBACKS=",".join(keys)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(keys)


def test_production_refuses_a_weak_retired_secret_key():
    """A retired key still signs people in: held to the same rule as the current one."""
    result = start(**PRODUCTION, DJANGO_SECRET_KEY_FALLBACKS=f"{'a' * 50},short")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY_FALLBACKS: each key (comma-separated) must be" in result.stderr
