"""CPU per request, in-process, for the three requests the production bench loads most.

    .venv/bin/python tests/perf/profile_requests.py [--requests N] [--profile WHICH]

Sets up its own SQLite database under var/bench/ (demo climb, a learner with 200 answers),
with the production settings (DEBUG off, hashed static files), and calls Django's WSGI
handler directly: no server, no network, no test-client instrumentation. It prints the CPU
milliseconds per request (process time, so other work on the machine hardly matters) and
the queries each request ran:

- piece page, anonymous reader (the whole page from the cache);
- piece page, signed-in learner with 200 answers (assembled from cached parts);
- answer post (htmx), anonymous learners answering every question as the locust bench does.

Each is warmed first: the answers until a first learner has answered every question (as on
a server that has been up a while, every page and question revision is then in this
process's cache). The queries column counts them over as many requests again, by how many
each ran: the answers mix retries, first attempts and each new learner's first answer.
`PROFILE_SQL=1` prints the queries of one request of each count.

`--profile page|learner|answer` prints the top of a cProfile listing for that request.
Figures, not assertions: the tests hold the query counts.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parents[2]
WORK = BASE_DIR / "var" / "bench"
DATABASE = WORK / "profile.sqlite3"
PAGE = "/climbs/distributed-systems/leader-election-code-and-log-reading/senior/"
ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "climb.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "profile-" + "k" * 56,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "DATABASE_URL": f"sqlite:///{DATABASE}",
    "CONN_MAX_AGE": "60",
    "ANSWER_RATE_LIMIT": "1000000",
    "NEW_LEARNERS_PER_CLIENT": "1000000",
    "DJANGO_LOG_LEVEL": "ERROR",
}


def prepare() -> None:
    """A fresh database with the demo climb and a learner, and the static files collected."""
    WORK.mkdir(parents=True, exist_ok=True)
    DATABASE.unlink(missing_ok=True)
    env = {**os.environ, **ENVIRONMENT}
    python = sys.executable
    for args in (
        ["manage.py", "migrate", "--noinput", "-v0"],
        ["manage.py", "load_demo"],
        ["manage.py", "collectstatic", "--noinput", "-v0"],
        ["tests/perf/bench_django.py", "learner", "profiler", "profiler-pw-1", "200"],
        ["tests/perf/bench_django.py", "questions", str(WORK / "profile-questions.json")],
    ):
        subprocess.run([python, *args], cwd=BASE_DIR, env=env, check=True, capture_output=True)


class Wsgi:
    """Calls the WSGI application as gunicorn would, keeping each client's cookies."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.app = WSGIHandler()

    def __call__(self, path: str, cookies: dict, method: str = "GET", body: bytes = b"", **meta):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_X_FORWARDED_PROTO": "https",  # as from the TLS proxy
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            **meta,
        }
        if cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        seen = {}

        def start_response(status, headers):
            seen["status"] = status
            seen["headers"] = headers

        content = b"".join(self.app(environ, start_response))
        for name, value in seen["headers"]:
            if name == "Set-Cookie":
                key, _, rest = value.strip().partition("=")
                cookies[key] = rest.split(";", 1)[0]
        if not seen["status"].startswith("200"):
            raise SystemExit(f"{method} {path}: {seen['status']}\n{content[:500]!r}")
        return content


def requests_to_time(wsgi: Wsgi) -> dict:
    """Name -> (a function making one request of that kind, how many to warm up with)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    anonymous: dict = {}
    wsgi(PAGE, anonymous)  # the csrftoken cookie, as a returning reader has it

    client = Client()
    client.force_login(get_user_model().objects.get(username="profiler"))
    learner = {"sessionid": client.cookies["sessionid"].value}

    pages = json.loads((WORK / "profile-questions.json").read_text())["pages"]
    # Every question, wrong choices first.
    posts = [
        (question["id"], choice, attempt)
        for page in pages
        for question in page["questions"]
        for attempt, choice in enumerate(
            [c for c in question["choices"] if c != question["correct"]] + [question["correct"]],
            start=1,
        )
    ]
    state = {"cookies": {}, "posts": []}

    def answer():
        if not state["posts"]:  # a new anonymous learner
            state["cookies"] = {}
            wsgi(pages[0]["page"], state["cookies"])
            state["posts"] = list(posts)
        question, choice, attempt = state["posts"].pop(0)
        cookies = state["cookies"]
        body = urlencode({"question": question, "choice": choice, "attempt": attempt})
        wsgi(
            "/answer/",
            cookies,
            "POST",
            body.encode(),
            HTTP_HX_REQUEST="true",
            HTTP_X_CSRFTOKEN=cookies["csrftoken"],
            HTTP_ORIGIN="https://127.0.0.1",
        )

    # The first learner's answers are each the first to their question in this process, and
    # the first to each page loads the whole piece (the profile never reads those pages).
    # A fixed 200, fewer than one learner's answers once the demo grew, left the counted
    # answer among those: 14 queries, where a warm process then ran 5 or 6.
    return {
        "page": (lambda: wsgi(PAGE, anonymous), 200),
        "learner": (lambda: wsgi(PAGE, learner), 200),
        "answer": (answer, max(200, len(posts))),
    }


LABELS = {
    "page": "piece page, anonymous reader",
    "learner": "piece page, learner with 200 answers",
    "answer": "answer post (htmx), anonymous learners",
}


def _queries_of(request, connection, times: int) -> str:
    """How many queries each of `times` requests ran: "5 ×376, 6 ×122, 11 ×2"."""
    counts: Counter[int] = Counter()
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    for _ in range(times):
        queries.clear()
        with connection.execute_wrapper(count):
            request()
        if os.environ.get("PROFILE_SQL") and len(queries) not in counts:
            print(f"  {len(queries)} queries:")
            print("\n".join(f"    {sql[:120]}" for sql in queries))
        counts[len(queries)] += 1
    return ", ".join(f"{n} ×{seen}" for n, seen in counts.most_common())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--profile", choices=sorted(LABELS))
    options = parser.parse_args()
    prepare()
    os.environ.update(ENVIRONMENT)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.db import connection

    timed = requests_to_time(Wsgi())
    print(f"CPython {sys.version.split()[0]}, SQLite, {options.requests} requests each\n")
    print("| request | CPU ms | queries |\n|---|---|---|")
    for name, (request, warm_up) in timed.items():
        for _ in range(warm_up):
            request()
        queries = _queries_of(request, connection, options.requests)
        started = time.process_time()
        for _ in range(options.requests):
            request()
        cpu_ms = (time.process_time() - started) * 1000 / options.requests
        print(f"| {LABELS[name]} | {cpu_ms:.2f} | {queries} |")
    if options.profile:
        profile = cProfile.Profile()
        request = timed[options.profile][0]
        profile.runcall(lambda: [request() for _ in range(options.requests)])
        print()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
