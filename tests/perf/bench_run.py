"""`make bench`: the production configuration under load, measured, in one run.

For SQLite (a fresh file under var/bench/) and then PostgreSQL (database climb_bench, Redis
database 5), this script:

1. prepares the database (migrate, load_demo), a learner with a history, and the same-size
   static file, then starts gunicorn with gunicorn.conf.py on a free port of 127.0.0.1 with
   DJANGO_DEBUG=0 (see bench_lib.prod_env);
2. checks that the CSRF and session cookies (Secure in production) work for answer posts;
3. measures the piece page against a static file of the same size with wrk, for an anonymous
   reader and for the signed-in learner;
4. runs 32 simulated learners posting answers for 60 s with locust, and compares the answers
   the clients saw accepted with the rows created in the database;
5. stops gunicorn, then times the team dashboard and search in-process (generate_team and
   bench_team, synthetic_content and bench_search);

then runs Lighthouse on the SQLite server's pages, the fault drills of bench_faults.py, prints
the table and writes it to docs/bench-latest.md.

For a quicker partial re-run (written to var/bench/bench-partial.md instead):
BENCH_DATABASES=sqlite (or postgresql), BENCH_INPROCESS=0 (no dashboard/search),
BENCH_LIGHTHOUSE=0, BENCH_FAULTS=0; BENCH_WRK_SECONDS and BENCH_LOCUST_SECONDS shorten runs.

Every loop is bounded (wrk -d, locust -t, timeouts on every child), and every server is
stopped in `finally`, whatever happens.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_faults  # noqa: E402
import bench_inprocess  # noqa: E402
import bench_lib as lib  # noqa: E402
import bench_report  # noqa: E402

WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "15"))
LOCUST_SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "60"))
LOCUST_USERS = 32
HISTORY_ANSWERS = 200
LEARNER = ("bench-learner", "bench-Learner-password-1")
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
INPROCESS = os.environ.get("BENCH_INPROCESS", "1") != "0"
LIGHTHOUSE = os.environ.get("BENCH_LIGHTHOUSE", "1") != "0"
FAULTS = os.environ.get("BENCH_FAULTS", "1") != "0"
COMPLETE = (
    set(DATABASES) == {"sqlite", "postgresql"}
    and INPROCESS
    and LIGHTHOUSE
    and FAULTS
    and WRK_SECONDS == 15
    and LOCUST_SECONDS == 60
)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- checks over HTTP ------------------------------------------------------------------------


def check_cookies(server: lib.Server, questions: dict) -> list[str]:
    """Do Secure CSRF/session cookies work for answer posts over plain HTTP on loopback?

    A standards-following client (requests' cookie jar) does not send Secure cookies back over
    http://, so its post is refused by CSRF (403). The same post with the cookies passed on
    explicitly, plus X-Forwarded-Proto: https as the proxy would add, must be accepted, and a
    second attempt on the same session must land on the same learner.
    """
    import requests

    notes = []
    origin = server.url.replace("http://", "https://")
    jar = requests.Session()
    page = jar.get(
        server.url + questions["pages"][0]["page"], headers=lib.PROXY_HEADERS, timeout=10
    )
    set_cookie = page.headers.get("Set-Cookie", "")
    notes.append(
        "csrftoken cookie flags: "
        + ", ".join(
            f for f in ("Secure", "HttpOnly", "SameSite=Lax") if f.lower() in set_cookie.lower()
        )
    )
    token = TOKEN.search(page.text).group(1)
    question = questions["pages"][0]["questions"][0]
    wrong = next(c for c in question["choices"] if c != question["correct"])
    form = {"csrfmiddlewaretoken": token, "question": question["id"], "choice": wrong}
    headers = {**lib.PROXY_HEADERS, "Origin": origin, "HX-Request": "true"}

    refused = jar.post(
        server.url + "/answer/", data={**form, "attempt": 1}, headers=headers, timeout=30
    )
    notes.append(f"cookie jar over http (Secure cookies withheld): {refused.status_code}")

    cookies = "; ".join(f"{c.name}={c.value}" for c in jar.cookies)
    first = requests.post(
        server.url + "/answer/",
        data={**form, "attempt": 1},
        headers={**headers, "Cookie": cookies},
        allow_redirects=False,
        timeout=30,
    )
    session = first.cookies.get("sessionid")
    second = requests.post(
        server.url + "/answer/",
        data={**form, "choice": question["correct"], "attempt": 2},
        headers={**headers, "Cookie": f"{cookies}; sessionid={session}"},
        allow_redirects=False,
        timeout=30,
    )
    ok = (
        first.status_code == 200
        and f'id="feedback-{question["id"]}"' in first.text
        and session
        and second.status_code == 200
        and "is-right" in second.text
    )
    notes.append(
        f"cookies sent explicitly + X-Forwarded-Proto: https: attempt 1 -> {first.status_code}, "
        f"sessionid {'set' if session else 'missing'}"
        f"{' (Secure)' if 'secure' in first.headers.get('Set-Cookie', '').lower() else ''}, "
        f"attempt 2 on that session -> {second.status_code}"
    )
    if not ok:
        raise RuntimeError(
            "answer posts do not work with the production cookies: " + "; ".join(notes)
        )
    return notes


def log_in(server: lib.Server, username: str, password: str) -> str:
    """Post the real log-in form (CSRF, django-axes and all); return the sessionid."""
    import requests

    origin = server.url.replace("http://", "https://")
    page = requests.get(server.url + "/accounts/login/", headers=lib.PROXY_HEADERS, timeout=10)
    token = TOKEN.search(page.text).group(1)
    response = requests.post(
        server.url + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={
            **lib.PROXY_HEADERS,
            "Origin": origin,
            "Cookie": f"csrftoken={page.cookies['csrftoken']}",
        },
        allow_redirects=False,
        timeout=10,
    )
    session = response.cookies.get("sessionid")
    if response.status_code != 302 or not session:
        raise RuntimeError(f"log-in failed: {response.status_code}")
    return session


# --- the measurements ------------------------------------------------------------------------


def measure_pages(server: lib.Server, session: str) -> list[lib.WrkResult]:
    """wrk on each static file, then on the page it copies (same size, same server)."""
    piece_url = server.url + lib.PIECE_PATH
    static = f"{server.url}/static/bench/"
    runs = [
        (bench_report.FLOOR_LABEL, server.url + "/robots.txt", {}),
        ("static, anonymous page's size", static + "anonymous.html", {}),
        ("piece page, anonymous", piece_url, {}),
        ("static, learner page's size", static + "learner.html", {}),
        (
            f"piece page, learner ({HISTORY_ANSWERS} answers)",
            piece_url,
            {"Cookie": f"sessionid={session}"},
        ),
    ]
    results = []
    for index, (label, url, headers) in enumerate(runs):
        status, body = lib.http_get(url, headers)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        lib.log(f"wrk {WRK_SECONDS}s: {label} ({len(body)} bytes)")
        cpu = server.cpu_seconds()
        result = lib.run_wrk(f"{server.backend.name}-{index}", url, headers, duration=WRK_SECONDS)
        result.cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(1, result.requests)
        result.label, result.size_bytes = label, len(body)
        results.append(result)
    return results


def measure_answers(
    server: lib.Server, questions_json: Path, users: int = LOCUST_USERS
) -> lib.LocustResult:
    name = server.backend.name
    before = lib.django_helper(server.env, "count")["answers"]
    out_json = lib.WORK_DIR / f"locust-{name}.json"
    csv_prefix = lib.WORK_DIR / f"locust-{name}"
    out_json.unlink(missing_ok=True)
    lib.log(f"locust: {users} learners posting answers for {LOCUST_SECONDS}s on {name}")
    load1 = os.getloadavg()[0]
    cpu = server.cpu_seconds()
    client_cpu = _reaped_children_cpu()
    rc, output = lib.run_bounded(
        lib.locust_cmd(server.url, users, LOCUST_SECONDS, csv_prefix),
        env=lib.locust_env(questions_json, out_json),
        timeout=LOCUST_SECONDS + 120,
        log_path=lib.WORK_DIR / f"locust-{name}.log",
    )
    cpu = server.cpu_seconds() - cpu
    client_cpu = _reaped_children_cpu() - client_cpu  # locust: the only child reaped meanwhile
    time.sleep(1)  # let the last responses' transactions settle (they are committed already)
    after = lib.django_helper(server.env, "count")["answers"]
    if not out_json.exists():
        raise RuntimeError(f"locust wrote no result (rc {rc}):\n{output[-2000:]}")
    result = lib.read_locust(name, out_json, csv_prefix, before, after)
    result.lost_exact = lib.django_helper(server.env, "verify", str(out_json))["missing"]
    result.load1 = load1
    result.cpu_ms = cpu * 1000 / max(1, result.accepted)
    result.client_cpu_ms = client_cpu * 1000 / max(1, result.accepted)
    return result


def _reaped_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_log_problems(server: lib.Server) -> dict[str, int]:
    text = server.log_text()
    return {
        "database is locked": text.count("database is locked"),
        "errors logged": len(re.findall(r'"level": "ERROR"|\[ERROR\]', text)),
    }


def lighthouse(server: lib.Server) -> list[dict]:
    """Lighthouse 12, mobile (default) and desktop, on home, climb and piece pages."""
    if not (Path("/usr/bin/chromium").exists() and lib.which("npx")):
        return [{"skipped": "chromium or npx not found"}]
    rows = []
    pages = [("home", "/"), ("climb", lib.CLIMB_PATH), ("piece", lib.PIECE_PATH)]
    for preset in ("mobile", "desktop"):
        for label, path in pages:
            out = lib.WORK_DIR / f"lighthouse-{label}-{preset}.json"
            out.unlink(missing_ok=True)
            cmd = [
                "npx",
                "--yes",
                "lighthouse@12",
                server.url + path,
                "--chrome-flags=--headless --no-sandbox --disable-gpu",
                "--output=json",
                f"--output-path={out}",
                "--quiet",
                f"--extra-headers={json.dumps(lib.PROXY_HEADERS)}",
            ]
            if preset == "desktop":
                cmd.append("--preset=desktop")
            env = {**os.environ, "CHROME_PATH": "/usr/bin/chromium"}
            row: dict = {"page": label, "preset": preset}
            # Lighthouse sometimes fails to record the trace on a busy machine (NO_NAVSTART,
            # scores null): try up to three times, and report the error if it persists.
            for attempt in range(1, 4):
                lib.log(f"lighthouse {preset}: {label} (attempt {attempt})")
                out.unlink(missing_ok=True)
                try:
                    lib.run_bounded(cmd, env=env, timeout=300)
                    report = json.loads(out.read_text())
                except Exception as exc:  # report it, go on with the other pages
                    row["error"] = str(exc)[:200]
                    continue
                row.pop("error", None)
                for key, category in report["categories"].items():
                    score = category.get("score")
                    row[key] = round(100 * score) if score is not None else None
                if report.get("runtimeError"):
                    row["error"] = report["runtimeError"].get("code", "runtime error")
                if None not in row.values() and "error" not in row:
                    break
            row["attempts"] = attempt
            rows.append(row)
    return rows


# --- one database ----------------------------------------------------------------------------


def bench_backend(backend: lib.Backend, with_lighthouse: bool) -> dict:
    port = lib.free_port()
    env = lib.prod_env(backend, port)
    result: dict = {"database": backend.name}
    lib.log(f"== {backend.name}: migrate, load_demo, learner with history")
    lib.prepare_database(backend, env)
    questions_json = lib.WORK_DIR / f"questions-{backend.name}.json"
    result["content"] = lib.django_helper(env, "questions", str(questions_json))
    questions = json.loads(questions_json.read_text())
    result["learner"] = lib.django_helper(env, "learner", *LEARNER, str(HISTORY_ANSWERS))
    # The static files are copies of the piece page as each client gets it: same size, and
    # written before gunicorn starts, since whitenoise indexes STATIC_ROOT when it starts.
    for name, user in (("anonymous", ""), ("learner", LEARNER[0])):
        out = str(lib.BENCH_STATIC_DIR / f"{name}.html")
        lib.django_helper(env, "page-html", lib.PIECE_PATH, out, user)

    server = lib.Server(backend, port, env, lib.WORK_DIR / f"gunicorn-{backend.name}.log")
    server.log_path.unlink(missing_ok=True)
    try:
        server.start()
        result["workers"] = len(server.worker_pids())
        result["cookies"] = check_cookies(server, questions)
        session = log_in(server, *LEARNER)
        result["pages"] = measure_pages(server, session)
        if with_lighthouse:
            result["lighthouse"] = lighthouse(server)
        result["answers"] = measure_answers(server, questions_json)
        result["log"] = server_log_problems(server)
    finally:
        server.stop()

    if not INPROCESS:
        result["dashboard"] = result["search"] = {"skipped": "BENCH_INPROCESS=0"}
        return result
    lib.log(f"team dashboard and search on {backend.name} (in-process, server stopped)")
    for key, measure in (
        ("dashboard", bench_inprocess.dashboard),
        ("search", bench_inprocess.search),
    ):
        try:
            result[key] = measure(env)
        except Exception as exc:  # one failed part is reported; the rest of the run stands
            result[key] = {"skipped": f"failed: {str(exc)[-300:]}"}
            result.setdefault("failures", []).append(key)
    return result


def collectstatic() -> None:
    env = lib.prod_env(lib.sqlite_backend(), 0)
    lib.manage(env, "collectstatic", "--noinput", "--verbosity", "0")


def main() -> int:
    lib.install_signal_handlers()
    lib.WORK_DIR.mkdir(parents=True, exist_ok=True)
    info = lib.machine_info()
    info["busy"] = ", ".join(lib.busy_processes()) or "none"
    lib.log(f"{info['nproc']} x {info['cpu']}, {info['python']}, load {info['load']}")
    results: dict = {"machine": info, "backends": []}
    backends = [
        make()
        for name, make in (("sqlite", lib.sqlite_backend), ("postgresql", lib.postgres_backend))
        if name in DATABASES
    ]
    failures: list[str] = []
    try:
        collectstatic()
        for index, backend in enumerate(backends):
            lighthouse_here = LIGHTHOUSE and index == 0
            results["backends"].append(bench_backend(backend, with_lighthouse=lighthouse_here))
            failures += [f"{backend.name} {f}" for f in results["backends"][-1].get("failures", [])]
            lib.drop_database(backend)
        if FAULTS:
            try:
                results["faults"] = bench_faults.run()
            except Exception as exc:
                results["faults"] = {"skipped": f"failed: {str(exc)[-300:]}"}
                failures.append("faults")
        else:
            results["faults"] = {"skipped": "BENCH_FAULTS=0"}
    finally:
        lib.stop_all()
        for backend in backends:
            lib.drop_database(backend)
        shutil.rmtree(lib.BENCH_STATIC_DIR, ignore_errors=True)
    info["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    table = bench_report.render(results)
    print()
    print(table)
    out = lib.BASE_DIR / "docs" / "bench-latest.md"
    if not COMPLETE:
        out = lib.WORK_DIR / "bench-partial.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(table)
    (lib.WORK_DIR / "results.json").write_text(
        json.dumps(results, indent=1, default=lambda o: o.__dict__)
    )
    lib.log(f"written to {out.relative_to(lib.BASE_DIR)}; raw outputs under var/bench/")
    if failures:
        lib.log(f"parts that failed (see the table): {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
