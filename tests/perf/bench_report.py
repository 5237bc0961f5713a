"""The bench's table, as Markdown: printed by `make bench` and written to docs/bench-latest.md."""

from __future__ import annotations

import math

import bench_lib as lib

GOAL_RATIO = 0.5
GOAL_ANSWERS_PER_S = 500
FLOOR_LABEL = "Django floor: /robots.txt"


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def pages_section(backends: list[dict]) -> list[str]:
    rows = []
    against_floor = []
    for backend in backends:
        static = floor = None
        for page in backend.get("pages") or []:
            ratio = cpu_ratio = ""
            if page.label.startswith(FLOOR_LABEL):
                floor = page  # no static file to compare with: the reference for the note
            elif page.label.startswith("static"):
                static = page  # the file of the same size as the page in the next row
            elif static is not None:
                value = page.rps / static.rps
                # Truncated, not rounded: 0.498 must not print as a failing "0.50".
                ratio = f"{math.floor(value * 100) / 100:.2f} {_mark(value >= GOAL_RATIO)}"
                if page.cpu_ms:
                    cpu_ratio = f"{static.cpu_ms / page.cpu_ms:.2f}"
                if floor is not None and page.cpu_ms:
                    against_floor.append(
                        f"- {backend['database']}, {page.label}: {page.rps / floor.rps:.2f} of "
                        f"the Django floor's req/s, {page.cpu_ms - floor.cpu_ms:+.2f} CPU ms "
                        "per request over it"
                    )
            rows.append(
                [
                    backend["database"],
                    page.label,
                    f"{page.rps:,.0f}",
                    f"{page.p50_ms:.1f}",
                    f"{page.p99_ms:.1f}",
                    f"{page.size_bytes / 1024:.1f}",
                    ratio,
                    f"{page.cpu_ms:.2f}",
                    cpu_ratio,
                    page.non_2xx + page.socket_errors,
                    f"{page.load1:.1f}",
                ]
            )
    workers = ", ".join(f"{b['database']} {b.get('workers', '?')}" for b in backends) or "?"
    return [
        f"### 1. Piece page vs a static file of the same size (wrk -t2 -c16, gunicorn sync "
        f"workers: {workers})",
        "",
        *_table(
            [
                "database",
                "what",
                "req/s",
                "p50 ms",
                "p99 ms",
                "KiB",
                f"page/static (goal ≥ {GOAL_RATIO})",
                "server CPU ms/req",
                "static/page CPU",
                "errors",
                "load",
            ],
            rows,
        ),
        "",
        *(
            [
                "The Django floor is the same server answering /robots.txt: a few hundred "
                "constant bytes through the whole middleware stack, with no SQL and no "
                "template, which is what any Django page costs here before its own work.",
                "",
                *against_floor,
                "",
            ]
            if against_floor
            else []
        ),
    ]


def answers_section(backends: list[dict]) -> list[str]:
    rows = []
    for backend in backends:
        answers: lib.LocustResult | None = backend.get("answers")
        if answers is None:
            continue
        log = backend.get("log", {})
        goal = ""
        if backend["database"] == "sqlite":
            goal = f" {_mark(answers.answers_per_s >= GOAL_ANSWERS_PER_S)}"
        lost = answers.lost
        rows.append(
            [
                backend["database"],
                f"{answers.answers_per_s:,.0f}{goal}",
                f"{answers.p50_ms:.0f}",
                f"{answers.p99_ms:.0f}",
                f"{answers.cpu_ms:.1f}",
                f"{answers.client_cpu_ms:.1f}",
                f"{answers.accepted:,}",
                f"{answers.failed} {_mark(answers.failed == 0)}",
                f"{answers.rows_created:,}",
                f"{lost} / {answers.lost_exact} {_mark(lost == 0 and answers.lost_exact == 0)}",
                f"{log.get('database is locked', '?')} "
                f"{_mark(log.get('database is locked', 1) == 0)}",
                log.get("errors logged", "?"),
                f"{answers.load1:.1f}",
            ]
        )
    seconds = next((b["answers"].seconds for b in backends if b.get("answers")), 0)
    return [
        f"### 2. Answer posts: 32 simulated learners, {seconds:.0f} s (locust, htmx posts)",
        "",
        *_table(
            [
                "database",
                f"answers/s (goal ≥ {GOAL_ANSWERS_PER_S} on SQLite)",
                "p50 ms",
                "p99 ms",
                "server CPU ms/answer",
                "locust CPU ms/answer",
                "accepted",
                "errors",
                "rows created",
                "lost (count / exact)",
                '"database is locked"',
                "server ERROR lines",
                "load",
            ],
            rows,
        ),
        "",
    ]


def _inprocess_section(title: str, key: str, backends: list[dict]) -> list[str]:
    """The dashboard or search figures: the command's own table, one row per database."""
    lines = [title, ""]
    columns: list[str] = []
    rows, notes = [], []
    for backend in backends:
        data = backend.get(key) or {}
        if "skipped" in data:
            notes.append(f"- {backend['database']}: skipped: {data['skipped']}")
            continue
        table = data.get("table") or {}
        columns = columns or table.get("columns", [])
        rows += [[backend["database"], *row] for row in table.get("rows", [])]
        notes.append(
            f"- {backend['database']}: {data.get('generated', '').rstrip('.')}. "
            f"Timed by `{data.get('source')}`" + (f": {table['note']}" if table.get("note") else "")
        )
    if rows:
        lines += _table(["database", *columns], rows) + [""]
    return lines + notes + [""]


def lighthouse_section(backends: list[dict]) -> list[str]:
    rows = []
    notes = []
    for backend in backends:
        for row in backend.get("lighthouse") or []:
            if "skipped" in row:
                notes.append(f"- skipped: {row['skipped']}")
                continue
            if "error" in row:
                notes.append(f"- {row['page']} {row['preset']}: {row['error']}")
            rows.append(
                [
                    row["page"],
                    row["preset"],
                    *(
                        "–" if row.get(key) is None else row[key]
                        for key in ("performance", "accessibility", "best-practices", "seo")
                    ),
                    row.get("attempts", 1),
                ]
            )
    database = next((b["database"] for b in backends if b.get("lighthouse")), "")
    lines = [
        f"### 5. Lighthouse 12 ({database} server, headless Chromium, simulated throttling)",
        "",
    ]
    if not rows and not notes:
        notes.append("- not run (BENCH_LIGHTHOUSE=0)")
    if rows:
        header = ["page", "form factor", "performance", "accessibility", "best practices", "SEO"]
        lines += _table([*header, "runs"], rows)
    return lines + [""] + notes + ([""] if notes else [])


def faults_section(faults: dict) -> str:
    if not faults or "skipped" in faults:
        return f"### 6. Faults\n\nskipped: {faults.get('skipped') if faults else 'not run'}\n"

    def pair(value) -> str:
        return f"{value[0]:,} accepted / {value[1]:,} failed"

    lost_ok = faults["lost_by_count"] == 0 and faults["lost_exact"] == 0
    recovered = faults["after_restart"][0] > 0 and faults["after_restart"][1] == 0
    replaced = bool(faults["replaced_by"]) and faults["victim"] not in faults["replaced_by"]
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(faults["errors"].items())) or "none"
    last = faults["last_failure_after_back"]
    rows = [
        [f"steady load, s 0–{faults['restart_at']}", pair(faults["before_restart"])],
        [
            f"PostgreSQL restart at s {faults['restart_at']}: `pg_ctlcluster` took "
            f"{faults['restart_seconds']} s, accepting again at s {faults['back_at']}; "
            "window up to 2 s after",
            pair(faults["during_outage"]) + " (errors expected)",
        ],
        [
            "last failure relative to PostgreSQL accepting again",
            "none" if last is None else f"{last:+d} s",
        ],
        [
            f"after PostgreSQL is back (s {faults['back_at'] + 2}–{faults['kill_at']}), same "
            f"gunicorn master: {faults['master_unchanged']}; /healthz 200 at s "
            f"{faults['healthz_at']}",
            f"{pair(faults['after_restart'])} {_mark(recovered)}",
        ],
        [
            f"SIGKILL worker {faults['victim']} at s {faults['kill_at']} (+1 s)",
            pair(faults["around_kill"]) + " (its in-flight request fails)",
        ],
        [
            "worker replaced",
            f"new worker(s) {faults['replaced_by']}, {faults['workers_after']} workers, "
            f"SIGKILL logged: {faults['sigkill_logged']} {_mark(replaced)}",
        ],
        ["after the kill", pair(faults["after_kill"])],
        [
            "whole run",
            f"{faults['accepted']:,} accepted, {faults['failed']:,} failed ({errors}); "
            f"{faults['rows_created']:,} rows created",
        ],
        [
            "acknowledged answers lost (count / exact)",
            f"{faults['lost_by_count']} / {faults['lost_exact']} of "
            f"{faults['checked_exact']:,} {_mark(lost_ok)}",
        ],
        [
            "stored but not acknowledged (the client saw an error)",
            faults["stored_unacknowledged"],
        ],
        [
            "other clients' PostgreSQL sessions open at the restart (cut by it)",
            faults["other_pg_sessions"],
        ],
    ]
    lines = [
        f"### 6. Faults under load (PostgreSQL + Redis, 32 learners, {faults['seconds']:.0f} s)",
        "",
        *_table(["phase", "outcome"], rows),
        "",
    ]
    return "\n".join(lines)


def render(results: dict) -> str:
    info = results["machine"]
    backends = results["backends"]
    lines = [
        "# Climb production benchmark: latest run",
        "",
        "Written by `make bench` (tests/perf/bench_run.py). Production configuration "
        "(DJANGO_DEBUG=0, gunicorn.conf.py, whitenoise) on 127.0.0.1, plain HTTP with "
        "`X-Forwarded-Proto: https` as from the TLS proxy. Load generators run on the same "
        "machine as the server.",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['nproc']} × {info['cpu']} (`nproc` = {info['nproc']})",
        f"- Python: {info['python']}",
        "- databases: SQLite (WAL, fresh file under var/bench/), PostgreSQL "
        f"(`{lib.PG_BENCH_DB}`, Redis cache and cached_db sessions)",
        "- `server CPU ms/req`: gunicorn's CPU time (master and workers, recycled ones "
        "included) over the run divided by its requests; unlike req/s it hardly depends on "
        "what else the machine runs. `static/page CPU` is the page/static ratio those costs "
        "predict. 2 cores give 2,000 CPU ms per second, shared with the load generator: "
        f"{GOAL_ANSWERS_PER_S} answers/s needs server and locust together under "
        f"{2000 // GOAL_ANSWERS_PER_S} CPU ms per answer",
        "- the `load` columns: the 1-minute load average just before that run started (this "
        "bench's own server idle): above ~0.5 on 2 cores, other work was competing for the CPUs",
        f"- load average at start / end: {info['load']} / {info.get('load_end', '?')}; "
        f"other busy processes at start: {info.get('busy', '?')}",
        "",
    ]
    for backend in backends:
        learner = backend.get("learner", {})
        content = backend.get("content", {})
        lines.append(
            f"- {backend['database']}: demo climb ({content.get('questions')} questions on "
            f"{content.get('pages')} pages), learner with {learner.get('answers')} answers; "
            f"cookies: {'; '.join(backend.get('cookies', []))}"
        )
    lines.append("")
    lines += pages_section(backends)
    lines += answers_section(backends)
    lines += _inprocess_section(
        "### 3. Team dashboard at 500 members and 100,000 answers (in-process)",
        "dashboard",
        backends,
    )
    lines += _inprocess_section("### 4. Search at 1,000 pieces (in-process)", "search", backends)
    lines += lighthouse_section(backends)
    lines.append(faults_section(results.get("faults") or {}))
    return "\n".join(lines) + "\n"
