"""Running in production: health check, headers, brute-force and rate limits, deploy checks."""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from climb.learning.models import Answer

from .factories import make_piece, make_version

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def answer_first_choice(client, question):
    """An htmx answer post at the first attempt, picking the question's first choice."""
    data = {"question": question.pk, "choice": question.choices.first().pk, "attempt": 1}
    return client.post("/answer/", data, headers={"HX-Request": "true"})


def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_cache_fails(client, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "error: ConnectionError"


def test_a_failing_healthz_is_one_readable_error_line(client, monkeypatch, caplog):
    """Each failing probe logged `healthz 503 b'{"status": ...}'` (the body's bytes repr) and
    Django's own 'Service Unavailable: /healthz' besides: two lines per probe, every few
    seconds from every balancer, for the whole outage."""
    import logging

    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "set", broken)
    caplog.set_level(logging.INFO)
    assert client.get("/healthz").status_code == 503
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert (record.name, record.levelname) == ("climb.request", "ERROR")
    assert record.getMessage() == "healthz 503: database ok, cache error: ConnectionError"
    assert record.fields["checks"] == {"database": "ok", "cache": "error: ConnectionError"}


def test_healthz_answers_a_balancer_asking_by_address_over_plain_http(client, settings):
    """A load balancer asks each instance by its own address, which ALLOWED_HOSTS need not
    list, over HTTP; that was a 400 with a DisallowedHost traceback. Other paths still check."""
    settings.ALLOWED_HOSTS = ["climb.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert client.get("/", HTTP_HOST="10.0.3.7:8000").status_code == 400


def test_healthz_fails_without_collected_static_files(client, settings, tmp_path):
    """With hashed names every page needs the manifest collectstatic writes: without it each
    page was a 500 while the health check said ok."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["static"] == "error: no static files manifest (run collectstatic)"


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_pages_are_never_stored_by_the_browser_but_static_files_are(client):
    """Back must show the progress made since: a stored page came back as it was."""
    make_version(make_piece())
    paths = ("/", "/progress/", "/search/?q=lease", "/about/altitude/")
    # The downloads too: a learner's answers, kept by a shared computer's browser or a proxy.
    downloads = ("/progress/answers.csv", "/progress/answers.json")
    for path in paths + downloads:
        response = client.get(path)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/robots.txt").get("Cache-Control", "")
    assert "no-cache" in client.get("/healthz")["Cache-Control"]  # its own, kept


def test_login_is_locked_after_repeated_failures_per_account(client):
    get_user_model().objects.create_user("ada", "ada@example.com", "right password 42")
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
        assert response.status_code == 200
    # the fifth failure locks the account: even the right password is refused for a while
    assert client.post("/accounts/login/", {"username": "ada", "password": "x"}).status_code == 429
    response = client.post("/accounts/login/", {"username": "ada", "password": "right password 42"})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_every_spelling_of_an_account_counts_towards_its_lockout(client, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    get_user_model().objects.create_user("ada", "ada@example.com", "right password 42")
    # From five addresses, so that only the account's own count can lock it.
    for n, login in enumerate(("ada", "ADA", "Ada", "ada@example.com", "ADA@EXAMPLE.COM")):
        response = client.post(
            "/accounts/login/", {"username": login, "password": "wrong"}, REMOTE_ADDR=f"10.0.0.{n}"
        )
        assert response.status_code in (200, 429)
    response = client.post(
        "/accounts/login/",
        {"username": "ada", "password": "right password 42"},
        REMOTE_ADDR="10.0.0.99",
    )
    assert response.status_code == 429
    assert "Try again in 30 minutes." in response.content.decode()


def test_a_password_reset_lifts_the_lockout_a_stranger_caused(client):
    """Anyone who knows a name can lock its account for a while with five wrong guesses; its
    owner, who can read its mail, gets back in with a reset link instead of waiting. The
    stranger's address stays locked by its other failures."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    users = get_user_model().objects
    ada = users.create_user("Ada", "ada@example.com", "right password 42")
    users.create_user("bob", "bob@example.com", "bob's password 42")
    stranger, owner = {"REMOTE_ADDR": "203.0.113.6"}, {"REMOTE_ADDR": "198.51.100.7"}
    for login in ("ada", "ADA", "ada@example.com", "Ada", "ada", *["bob"] * 5):
        client.post("/accounts/login/", {"username": login, "password": "x"}, **stranger)
    new = {"username": "ada@example.com", "password": "a new password 42"}
    assert client.post("/accounts/login/", new, **owner).status_code == 429

    uid = urlsafe_base64_encode(force_bytes(ada.pk))
    token = default_token_generator.make_token(ada)
    form = client.get(f"/accounts/password/reset/{uid}/{token}/", **owner).url
    passwords = {"new_password1": new["password"], "new_password2": new["password"]}
    assert client.post(form, passwords, **owner).status_code == 302

    assert client.post("/accounts/login/", new, **owner).status_code == 302
    client.logout()
    # bob's account and the stranger's address are as locked as before.
    bob = {"username": "bob", "password": "bob's password 42"}
    assert client.post("/accounts/login/", bob, **owner).status_code == 429
    assert client.post("/accounts/login/", new, **stranger).status_code == 429


def test_login_is_locked_per_address_across_accounts(client):
    for n in range(5):
        client.post("/accounts/login/", {"username": f"someone{n}", "password": "x"})
    get_user_model().objects.create_user("grace", "g@example.com", "right password 42")
    response = client.post(
        "/accounts/login/", {"username": "grace", "password": "right password 42"}
    )
    assert response.status_code == 429


def test_a_log_in_to_one_s_own_account_does_not_forget_failures_against_others(client):
    """An attacker with an account of their own signed in to it between guesses: axes' reset
    on success forgot every failure from the address, those against the victim too, so five
    guesses never locked the victim's account nor the attacker's address."""
    users = get_user_model().objects
    users.create_user("ada", "ada@example.com", "right password 42")
    users.create_user("mallory", "m@example.com", "mallory's password 42")
    mallory = {"username": "mallory", "password": "mallory's password 42"}
    for _ in range(2):
        for _ in range(2):
            client.post("/accounts/login/", {"username": "ada", "password": "guess"})
        assert client.post("/accounts/login/", mallory).status_code == 302
        client.logout()
    client.post("/accounts/login/", {"username": "ada", "password": "guess"})  # the fifth
    ada = {"username": "ada", "password": "right password 42"}
    assert client.post("/accounts/login/", ada, REMOTE_ADDR="198.51.100.7").status_code == 429


def test_an_office_behind_one_address_is_not_locked_by_mistyped_names(client):
    """Once a log-in no longer forgot its address's failures (above), five mistyped names
    in a quarter of an hour locked everyone behind an office's one address. Failures against
    names that are no account's guess nobody's password: a log-in forgets those."""
    users = get_user_model().objects
    users.create_user("ada", "ada@example.com", "right password 42")
    users.create_user("Grace", "grace@example.com", "right password 43")
    ada = {"username": "ada", "password": "right password 42"}
    grace = {"username": "grace", "password": "right password 43"}
    for name in ("adaa", "graec", "ada.lovelace", "nobody@example.com"):
        client.post("/accounts/login/", {"username": name, "password": "x"})
    assert client.post("/accounts/login/", ada).status_code == 302
    client.logout()
    for name in ("adda", "gace", "GRACEE", "a_da"):
        client.post("/accounts/login/", {"username": name, "password": "x"})
    assert client.post("/accounts/login/", grace).status_code == 302


def test_a_log_in_forgets_the_owner_s_own_typos(client):
    get_user_model().objects.create_user("ada", "ada@example.com", "right password 42")
    ada = {"username": "ada", "password": "right password 42"}
    for _ in range(2):
        for _ in range(4):
            client.post("/accounts/login/", {"username": "Ada", "password": "typo"})
        assert client.post("/accounts/login/", ada).status_code == 302
        client.logout()


def test_an_ipv6_client_is_locked_by_its_64_and_invite_tokens_are_not_stored(client):
    """A client rotating addresses within its /64 sprayed guesses without limit (the lock by
    address counted each IPv6 address apart); a failed log-in on the way to an invite
    stored the invite's token in the attempt."""
    from axes.models import AccessAttempt

    for n in range(5):
        client.post(
            "/accounts/login/?next=/teams/join/secret-token-123/",
            {"username": f"someone{n}", "password": "x"},
            REMOTE_ADDR=f"2001:db8:1:3::{n + 1:x}",
        )
    get_user_model().objects.create_user("grace", "g@example.com", "right password 42")
    grace = {"username": "grace", "password": "right password 42"}
    response = client.post("/accounts/login/", grace, REMOTE_ADDR="2001:db8:1:3:ffff::9")
    assert response.status_code == 429
    # Another /64 is another client.
    assert client.post("/accounts/login/", grace, REMOTE_ADDR="2001:db8:1:4::1").status_code == 302
    stored = list(AccessAttempt.objects.values_list("ip_address", "get_data", "post_data"))
    assert {ip for ip, _, _ in stored} == {"2001:db8:1:3::"}
    assert not any("secret-token-123" in get + post for _, get, post in stored), stored


def test_ipv4_clients_of_a_dual_stack_socket_are_locked_each_by_its_own_address(client):
    """Bound to [::] (gunicorn sets no IPV6_V6ONLY), every IPv4 client arrives as
    ::ffff:a.b.c.d, and the /64 counted for IPv6 is ::/64 for all of them: one stranger's
    five failures locked every IPv4 client out of logging in."""
    from axes.models import AccessAttempt

    for n in range(5):
        client.post(
            "/accounts/login/",
            {"username": f"someone{n}", "password": "x"},
            REMOTE_ADDR="::ffff:203.0.113.5",
        )
    get_user_model().objects.create_user("grace", "g@example.com", "right password 42")
    grace = {"username": "grace", "password": "right password 42"}
    response = client.post("/accounts/login/", grace, REMOTE_ADDR="::ffff:198.51.100.7")
    assert response.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


def test_behind_the_load_balancer_one_client_s_failures_lock_only_that_client(client, settings):
    """Every request comes from the balancer's address: the lock by address must count the
    client it names in X-Forwarded-For (django-axes reads TRUSTED_PROXY_COUNT only through
    climb.ops.client_ip), or five bad log-ins lock everyone out."""
    settings.TRUSTED_PROXY_COUNT = 1
    balancer = {"REMOTE_ADDR": "10.1.0.2"}
    for n in range(5):
        client.post(
            "/accounts/login/",
            {"username": f"someone{n}", "password": "x"},
            headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.66"},  # the first hop is forged
            **balancer,
        )
    get_user_model().objects.create_user("grace", "g@example.com", "right password 42")
    grace = {"username": "grace", "password": "right password 42"}
    response = client.post(
        "/accounts/login/", grace, headers={"X-Forwarded-For": "203.0.113.5"}, **balancer
    )
    assert response.status_code == 302
    client.logout()
    # The attacker's own address is locked, whatever it puts first in the header.
    response = client.post(
        "/accounts/login/", grace, headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.66"}, **balancer
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.1.0.2"),  # no proxy trusted: the header is the client's word
        (1, "", "10.1.0.2"),  # reached the app directly
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6,203.0.113.5", "203.0.113.5"),
        (2, "6.6.6.6, 203.0.113.5, 10.1.0.9", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # fewer hops than proxies: the first there is
        (1, "not-an-address", "10.1.0.2"),
        (1, "2001:DB8::1", "2001:db8::1"),
        # Ports and brackets, as some balancers write them (the review's case: they fell
        # back to the balancer's address, one bucket for everyone again).
        (1, "203.0.113.7:54321", "203.0.113.7"),
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        (1, "[2001:db8::7]", "2001:db8::7"),
        # An IPv4 client of a proxy listening on a dual-stack socket: its IPv4 address.
        (1, "::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_the_client_address_behind_trusted_proxies(rf, settings, proxies, forwarded, expected):
    from climb.ops import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.1.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_answer_posts_are_rate_limited_with_a_clear_message(client, settings):
    settings.ANSWER_RATE_LIMIT = 3
    version = make_version(make_piece(), steps=5)
    questions = [step.question for step in version.steps.select_related("question")]
    statuses = []
    for question in questions:
        response = answer_first_choice(client, question)
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429, 429]
    assert "Too many answers in a minute" in response.content.decode()
    assert Answer.objects.count() == 3


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="climb.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="p" * 20 + "x9$Lk2!qZ7@vR4#tW1^mN8&bC5*hJ3(yE6)" + "s" * 10,
        DJANGO_ALLOWED_HOSTS="climb.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_csp_header_is_the_policy_django_csp_builds(client, settings):
    import csp.utils

    assert client.get("/")["Content-Security-Policy"] == csp.utils.build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/")["Content-Security-Policy"] == "default-src 'none'"


def test_a_per_response_policy_still_goes_through_django_csp(rf):
    from csp.decorators import csp_update
    from django.http import HttpResponse

    from climb.ops import CSPMiddleware

    @csp_update({"img-src": ["https://images.example"]})
    def view(request):
        return HttpResponse("ok")

    request = rf.get("/")
    middleware = CSPMiddleware(view)
    header = middleware(request)["Content-Security-Policy"]
    assert "img-src 'self' https://images.example" in header
    assert "script-src 'self'" in header


@pytest.mark.parametrize(
    ("env", "cores", "workers"),
    [
        ({}, 2, 2),  # the embedded default: one worker per core...
        ({"DATABASE_URL": "sqlite:///var/other.sqlite3"}, 8, 8),
        ({}, 1, 2),  # ...but never one alone, which a single slow request would stop
        ({"DATABASE_URL": "postgres://db.internal/climb"}, 2, 5),  # waits on the network
        ({"DATABASE_URL": "postgres://db.internal/climb", "WEB_CONCURRENCY": "3"}, 2, 3),
    ],
)
def test_gunicorn_workers_suit_the_database(monkeypatch, env, cores, workers):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: cores)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["workers"] == workers


@pytest.mark.parametrize(
    "name, value, says",
    [
        ("WEB_CONCURRENCY", "four", "WEB_CONCURRENCY must be a whole number, not 'four'"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be 1 or more, not '0'"),
        ("GUNICORN_TIMEOUT", "30s", "GUNICORN_TIMEOUT must be a whole number, not '30s'"),
        # gunicorn took any word it does not know for "info".
        (
            "GUNICORN_LOG_LEVEL",
            "loud",
            "GUNICORN_LOG_LEVEL must be one of debug, info, warning, error, critical, not 'loud'",
        ),
    ],
)
def test_a_mistyped_gunicorn_setting_stops_the_start_and_says_which(monkeypatch, name, value, says):
    """The operations audit: int() in the config file gave gunicorn's 'Failed to read config
    file' and a traceback. (gunicorn itself reads WEB_CONCURRENCY as a number before the
    file, so a word there is its own traceback when gunicorn is run directly; `make serve`
    runs the file first: see below.)"""
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as excinfo:
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert str(excinfo.value) == says


@pytest.mark.parametrize(("value", "level"), [(None, "info"), ("WARNING", "warning")])
def test_the_gunicorn_log_level_is_one_gunicorn_knows(monkeypatch, value, level):
    monkeypatch.delenv("GUNICORN_LOG_LEVEL", raising=False)
    if value is not None:
        monkeypatch.setenv("GUNICORN_LOG_LEVEL", value)
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["loglevel"] == level


@pytest.mark.parametrize(
    ("value", "accesslog"), [(None, "-"), ("", None), ("/var/log/climb.log", "/var/log/climb.log")]
)
def test_an_empty_gunicorn_access_log_is_off(monkeypatch, value, accesslog):
    """The README's `GUNICORN_ACCESS_LOG=""` (off) stopped gunicorn: "'' isn't writable"."""
    from gunicorn.config import Config

    from climb.gunicorn_logging import JsonAccessLogger

    monkeypatch.delenv("GUNICORN_ACCESS_LOG", raising=False)
    if value is not None:
        monkeypatch.setenv("GUNICORN_ACCESS_LOG", value)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["accesslog"] == accesslog
    if value == "":
        cfg = Config()
        cfg.set("accesslog", config["accesslog"])
        logger = JsonAccessLogger(cfg)  # what gunicorn sets up at start: no error
        assert not any(getattr(h, "_gunicorn", False) for h in logger.access_log.handlers)


def test_gunicorn_refuses_the_development_settings(tmp_path):
    """DJANGO_DEBUG is on unless set (for `make run`): `make serve` without it served debug
    pages, with the settings and a traceback, to anyone who hit an error."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}", PORT="0")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # serving (the refusal missing), it would run until killed
    )
    assert result.returncode != 0
    assert "gunicorn serves production, and DJANGO_DEBUG is on: set DJANGO_DEBUG=0" in (
        result.stderr
    )
    assert "Listening at" not in result.stderr  # refused before it took the port


PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "x.test"}


def test_gunicorn_reads_its_config_from_another_folder(tmp_path):
    """`gunicorn --chdir /srv/climb -c /srv/climb/gunicorn.conf.py`, started from elsewhere (a
    service manager's working folder is /): the config imports the project before gunicorn
    has put --chdir's folder on the import path, and stopped at "No module named 'climb'"."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}")
    env.pop("PYTHONPATH", None)
    command = [str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(ROOT)]
    command += ["-c", str(ROOT / "gunicorn.conf.py"), "--check-config"]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert "No module named" not in result.stderr
    assert result.returncode == 0, result.stderr


def make_serve(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """`make serve` with the environment `env` and a database of its own, expected to stop
    before gunicorn starts (a timeout, if it served)."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))
    }
    environment.update(DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}", PORT="0", **env)
    return subprocess.run(
        # -o: never reinstall from make's `install` target in a test.
        ["make", "--no-print-directory", "-o", ".venv/.installed-stamp", "serve"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@needs_make
def test_make_serve_refuses_the_development_settings_before_it_migrates(tmp_path):
    """gunicorn refused DJANGO_DEBUG on, but only after `make serve` had migrated: with a
    production DATABASE_URL and DJANGO_DEBUG forgotten, production was migrated (and its
    static files collected) under the development settings."""
    result = make_serve(tmp_path)
    assert result.returncode != 0
    assert "gunicorn serves production, and DJANGO_DEBUG is on" in result.stderr
    assert "Traceback" not in result.stderr
    assert "migrate" not in result.stdout
    assert not (tmp_path / "serve.sqlite3").exists()


@needs_make
def test_make_serve_names_a_word_in_web_concurrency(tmp_path):
    """gunicorn int()s WEB_CONCURRENCY when it is imported, before it reads gunicorn.conf.py:
    a word there was a ValueError traceback, never the config file's message."""
    result = make_serve(tmp_path, **PRODUCTION, WEB_CONCURRENCY="abc")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "WEB_CONCURRENCY must be a whole number, not 'abc'" in result.stderr.splitlines()
    assert not (tmp_path / "serve.sqlite3").exists()


def test_the_serve_checks_pass_in_production():
    """What `make serve` runs before it migrates says nothing, and lets it go on."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "gunicorn.conf.py"],
        cwd=ROOT,
        env={**environment, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "error, status, says",
    [
        (OperationalError("server closed the connection unexpectedly"), 503, "briefly unavailable"),
        (InterfaceError("connection already closed"), 503, "briefly unavailable"),
        (RedisConnectionError("Error 111 connecting to 10.0.0.9:6379"), 503, "briefly unavailable"),
        (RuntimeError("a bug"), 500, "Something broke on our side"),
    ],
)
def test_the_database_out_of_reach_is_a_503_to_retry_and_a_bug_a_500(
    client, monkeypatch, error, status, says
):
    import lessons.views

    def fail(request):
        raise error

    monkeypatch.setattr(lessons.views, "learner_id_for", fail)
    client.raise_request_exception = False
    for path, language in [("/", "en"), ("/ru/", "ru")]:
        response = client.get(path)
        assert response.status_code == status
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        if language == "en":
            assert says in html
        assert response.get("Retry-After") == ("5" if status == 503 else None)
    russian = client.get("/ru/").content.decode()
    assert ("Climb ненадолго недоступен" if status == 503 else "Что-то сломалось") in russian


def test_a_client_without_cookies_cannot_start_learners_without_end(settings):
    """The audit posted 50 answers without a session cookie: 50 learners and 50 session rows,
    each kept 90 days. New learners per client address are limited per hour."""
    from django.test import Client

    from climb.learning.models import Learner

    settings.NEW_LEARNERS_PER_CLIENT = 3
    question = make_version(make_piece(), steps=1).steps.get().question
    statuses = []
    for _ in range(5):
        client = Client()  # no cookie kept between posts
        response = answer_first_choice(client, question)
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429, 429]
    assert "Too many new learners from your address" in response.content.decode()
    assert Learner.objects.count() == 3
    # A learner who keeps the cookie goes on answering.
    other = Client(REMOTE_ADDR="10.7.7.7")
    for _ in range(2):
        assert answer_first_choice(other, question).status_code == 200
    assert Learner.objects.count() == 4


def test_answers_from_clients_without_a_learner_are_limited_by_address(settings):
    """No learner to count by: the address is, ten times as loosely (an office shares one)."""
    from django.test import Client

    settings.ANSWER_RATE_LIMIT = 1
    settings.NEW_LEARNERS_PER_CLIENT = 100
    question = make_version(make_piece(), steps=1).steps.get().question
    statuses = [answer_first_choice(Client(), question).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert Answer.objects.count() == 10
    elsewhere = Client(REMOTE_ADDR="10.7.7.8")
    assert answer_first_choice(elsewhere, question).status_code == 200


def test_limits_count_an_ipv6_client_by_its_64(rf, settings):
    from climb.ops import limit_key

    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    assert limit_key(request) == "2001:db8:1:2::/64"
    assert limit_key(rf.get("/", REMOTE_ADDR="203.0.113.9")) == "203.0.113.9"


def test_the_gunicorn_access_log_is_json_whatever_the_client_sends():
    """A hand-written JSON format broke on a backslash in a User-Agent and could be steered
    by a quote; static files (sent with sendfile) logged 0 bytes."""
    import json
    import logging
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from climb.gunicorn_logging import JsonAccessLogger

    config = Config()
    config.set("accesslog", "-")
    logger = JsonAccessLogger(config)
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger.access_log.addHandler(Keep())
    # Everything on stderr, as JSON: the access log and gunicorn's own messages.
    (access,) = [h for h in logger.access_log.handlers if getattr(h, "_gunicorn", False)]
    assert access.stream is sys.stderr
    (error,) = [h for h in logger.error_log.handlers if getattr(h, "_gunicorn", False)]
    record = logging.LogRecord("gunicorn.error", logging.INFO, "", 0, "Booting worker", (), None)
    assert json.loads(error.format(record))["message"] == "Booting worker"
    agent = 'C:\\temp\\x", "remote": "10.0.0.1'
    environ = {
        "REMOTE_ADDR": "10.0.0.2",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/static/css/site.abc123.css",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": agent,
    }
    response = SimpleNamespace(status="200 OK", sent=0, response_length=5120)
    logger.access(response, None, environ, timedelta(microseconds=2500))
    entry = json.loads(lines[-1])
    assert entry["agent"] == agent and entry["remote"] == "10.0.0.2"
    assert entry["forwarded_for"] == "203.0.113.7"
    assert entry["status"] == 200 and entry["bytes"] == 5120 and entry["duration_ms"] == 2.5

    # A balancer's passing health check is not logged; secrets in addresses never are.
    healthy = {**environ, "PATH_INFO": "/healthz", "RAW_URI": "/healthz"}
    logger.access(response, None, healthy, timedelta(microseconds=900))
    assert len(lines) == 1
    reset = "/ru/accounts/password/reset/MQ/cz8x1k-0123abcdef/"
    secret = {**environ, "RAW_URI": reset, "HTTP_REFERER": "https://x.test/teams/join/tok3n/"}
    logger.access(response, None, secret, timedelta(microseconds=900))
    entry = json.loads(lines[-1])
    assert entry["path"] == "/ru/accounts/password/reset/…/…/"
    assert entry["referer"] == "https://x.test/teams/join/…/"


def _database_for_race(tmp_path):
    """A fresh, empty database of the kind the suite runs on, and how to drop it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'race.sqlite3'}", lambda: None
    import psycopg

    name = f"climb_migrate_race_{os.getpid()}"
    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


def test_instances_starting_together_take_turns_to_migrate(tmp_path):
    """`make serve` migrates first; two instances started together on a new database ran
    the same migrations and one stopped with 'table ... already exists'."""
    url, drop = _database_for_race(tmp_path)
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "manage.py", "migrate", "--noinput"]
    try:
        runs = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=300)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        assert any("Applying lessons.0001_initial... OK" in output for output in outputs)
    finally:
        drop()


def test_the_request_log_never_holds_a_reset_or_invite_token(client, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="climb.request")
    client.get("/accounts/password/reset/MQ/cz8x1k-0123abcdef/")
    client.get("/teams/join/s3cr3t-invite-token/")
    assert "cz8x1k" not in caplog.text and "s3cr3t" not in caplog.text
    assert "/accounts/password/reset/…/…/" in caplog.text and "/teams/join/…/" in caplog.text


def test_djangos_own_lines_never_hold_a_token_either(caplog):
    """A 500 on an invite or reset link was logged by Django as 'Internal Server Error:
    <path>' with the token, and a refused form as 'Forbidden (CSRF cookie not set.): <path>'."""
    import logging

    from django.test import Client

    Client(enforce_csrf_checks=True).post("/teams/join/s3cr3t-invite-token/")
    logging.getLogger("django.request").error(
        "Internal Server Error: %s", "/accounts/password/reset/MQ/cz8x1k-0123abcdef/"
    )
    assert "CSRF failure on /teams/join/…/" in caplog.text
    assert "Internal Server Error: /accounts/password/reset/…/…/" in caplog.text
    assert "s3cr3t" not in caplog.text and "cz8x1k" not in caplog.text


def test_quoted_tokens_in_a_query_are_redacted_too():
    """gunicorn's access log has the query: on the way to an invite, through log-in or
    sign-up, its address is quoted in ?next=, and the token went into the log as it was."""
    from climb.logs import redact

    assert (
        redact("/accounts/signup/?next=%2Fteams%2Fjoin%2Fqu0ted-token%2F&x=1")
        == "/accounts/signup/?next=%2Fteams%2Fjoin%2F…%2F&x=1"
    )
    assert "twice" not in redact("/accounts/login/?next=%252Fteams%252Fjoin%252Ftwice-quoted")
    assert "MQ" not in redact("/x/?next=%2Faccounts%2Fpassword%2Freset%2FMQ%2Fcz8x1k-0123%2F")
    assert redact("/climbs/teams-and-joins/") == "/climbs/teams-and-joins/"


def test_a_request_for_another_host_is_one_warning_line_without_a_traceback(client, caplog):
    """Django logs each as an ERROR with a traceback: scanners asking by address or by other
    names filled the error log. Still logged, so that a misconfigured host list shows."""
    response = client.get("/", HTTP_HOST="scanner.example")
    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert record.levelname == "WARNING" and record.exc_info is None
    assert "Invalid HTTP_HOST header: 'scanner.example'" in record.getMessage()
    assert "Traceback" not in caplog.text
    # A warning now, it goes where warnings go: not into a log kept to errors (the code
    # review: it passed the logger's level check as an ERROR and printed anyway).
    import logging

    from climb.logs import WithoutTraceback

    logger = logging.getLogger("django.security.DisallowedHost")
    was = logger.level
    try:
        logger.setLevel(logging.ERROR)
        record = logger.makeRecord(logger.name, logging.ERROR, "f", 1, "Invalid host", (), None)
        assert WithoutTraceback().filter(record) is False
        logger.setLevel(logging.WARNING)
        assert WithoutTraceback().filter(record) is True
    finally:
        logger.setLevel(was)


def test_the_redirect_to_https_is_in_the_request_log(client, settings, caplog):
    """SecurityMiddleware answered plain HTTP before the request log saw it: the README says
    each request is logged once from Django, and these were not logged at all."""
    import logging

    settings.SECURE_SSL_REDIRECT = True
    caplog.set_level(logging.INFO, logger="climb.request")
    response = client.get("/climbs/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    [record] = [r for r in caplog.records if r.name == "climb.request"]
    assert record.fields["status"] == 301 and record.fields["path"] == "/climbs/"
