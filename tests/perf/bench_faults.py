"""`make bench-faults` (and the end of `make bench`): faults under load, on PostgreSQL + Redis.

While 32 locust learners post answers to gunicorn (production configuration, CONN_MAX_AGE=60
with health checks):

1. PostgreSQL is restarted (`pg_ctlcluster ... restart`). Errors while it is down are expected
   and reported; once it is back, requests must succeed again with the same gunicorn (same
   master, no reload), and every answer a client saw accepted must be in the database.
2. One gunicorn worker is killed with SIGKILL mid-load. Its in-flight request fails (reported);
   gunicorn must boot a replacement, and nothing acknowledged may be lost.

"Lost" is checked two ways: the count (accepted posts vs Answer rows created) and exactly
(every accepted (session, question, attempt) the clients recorded is looked up as a row).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_lib as lib  # noqa: E402

SECONDS = int(os.environ.get("BENCH_FAULT_SECONDS", "50"))
USERS = 32
RESTART_AT = 12  # seconds of steady load before PostgreSQL restarts
KILL_AFTER_RECOVERY = 12  # seconds after PostgreSQL is back before a worker is killed


def pg_restart_cmd() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


def other_pg_sessions() -> int:
    """Connections to other databases: someone else's tests that the restart will cut."""
    out = subprocess.run(
        [
            "psql",
            lib.PG_ADMIN_URL,
            "-Atc",
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
            f"AND datname IS DISTINCT FROM '{lib.PG_BENCH_DB}' AND pid <> pg_backend_pid()",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return int(out.stdout.strip() or 0)


def wait_healthy(server: lib.Server, timeout: float = 90) -> float | None:
    """When /healthz answers 200 again. Under load it queues behind the learners' requests
    (sync workers), so each probe may take seconds: this is not the recovery time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _ = lib.http_get(f"{server.url}/healthz", timeout=15)
        if status == 200:
            return time.time()
        time.sleep(0.2)
    return None


def window(timeline: dict[str, list[int]], start: float, end: float) -> tuple[int, int]:
    """(accepted, failed) in the seconds [start, end) of the locust run."""
    accepted = failed = 0
    for second, (ok, bad) in timeline.items():
        if start <= int(second) < end:
            accepted += ok
            failed += bad
    return accepted, failed


def drill(server: lib.Server, questions_json: Path) -> dict:
    before = lib.django_helper(server.env, "count")["answers"]
    out_json = lib.WORK_DIR / "locust-faults.json"
    csv_prefix = lib.WORK_DIR / "locust-faults"
    out_json.unlink(missing_ok=True)
    master = server.proc.pid
    lib.log(f"faults: {USERS} learners for {SECONDS}s; PostgreSQL restart at ~{RESTART_AT}s")
    log_file = open(lib.WORK_DIR / "locust-faults.log", "w")  # noqa: SIM115
    load = lib.spawn(
        lib.locust_cmd(server.url, USERS, SECONDS, csv_prefix),
        env=lib.locust_env(questions_json, out_json),
        stdout=log_file,
        text=True,
    )
    outcome: dict = {}
    try:
        time.sleep(RESTART_AT)

        # --- fault 1: restart PostgreSQL under load -----------------------------------------
        outcome["other_pg_sessions"] = other_pg_sessions()
        restart_started = time.time()
        subprocess.run(pg_restart_cmd(), check=True, timeout=120, capture_output=True)
        restart_done = time.time()
        healthy_at = wait_healthy(server)
        lib.log(
            f"PostgreSQL restarted in {restart_done - restart_started:.1f}s; /healthz answered "
            f"200 {((healthy_at or restart_done) - restart_done):.1f}s after that"
        )
        outcome.update(
            restart_started=restart_started,
            restart_done=restart_done,
            healthy_at=healthy_at,
            master_after_restart=server.proc.pid if server.proc.poll() is None else None,
        )

        # --- fault 2: SIGKILL one worker under load -----------------------------------------
        time.sleep(KILL_AFTER_RECOVERY)
        workers = server.worker_pids()
        victim = workers[0]
        killed_at = time.time()
        os.kill(victim, signal.SIGKILL)
        lib.log(f"killed worker {victim} with SIGKILL")
        replaced_by: list[int] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = server.worker_pids()
            if victim not in now and len(now) >= server.expected_workers():
                replaced_by = sorted(set(now) - set(workers))
                break
            time.sleep(0.2)
        outcome.update(
            victim=victim,
            killed_at=killed_at,
            replaced_by=replaced_by,
            workers_after=len(server.worker_pids()),
            master_unchanged=server.proc.poll() is None and server.proc.pid == master,
        )
        load.wait(timeout=SECONDS + 120)
    finally:
        lib.stop(load, grace=15)
        log_file.close()

    time.sleep(1)
    after = lib.django_helper(server.env, "count")["answers"]
    data = json.loads(out_json.read_text())
    exact = lib.django_helper(server.env, "verify", str(out_json))
    started = data["started"]

    def rel(t: float | None) -> int:
        """The locust second (its timeline's key) in which wall-clock time t fell."""
        return int((t or time.time()) - started)

    # Windows of whole seconds. The outage runs from the restart command to two seconds after
    # it returned (pg_ctlcluster returns once PostgreSQL accepts connections; requests that
    # failed just before may still be answering). The kill window is its second and the next.
    timeline = data["timeline"]
    restart, back = rel(outcome["restart_started"]), rel(outcome["restart_done"])
    kill = rel(outcome["killed_at"])
    failed_seconds = sorted(int(sec) for sec, (_, bad) in timeline.items() if bad)
    outage_failures = [sec for sec in failed_seconds if restart <= sec < kill]
    log_text = server.log_text()
    result = {
        "seconds": data["seconds"],
        "accepted": data["accepted"],
        "failed": data["failed"],
        "errors": data["errors"],
        "rows_created": after - before,
        "lost_by_count": max(0, data["accepted"] - (after - before)),
        "lost_exact": exact["missing"],
        "checked_exact": exact["checked"],
        "stored_unacknowledged": max(0, (after - before) - data["accepted"]),
        "other_pg_sessions": outcome["other_pg_sessions"],
        "restart_at": restart,
        "restart_seconds": round(outcome["restart_done"] - outcome["restart_started"], 1),
        "back_at": back,
        "healthz_at": rel(outcome["healthy_at"]) if outcome["healthy_at"] else None,
        "last_failure_after_back": (outage_failures[-1] - back) if outage_failures else None,
        "before_restart": window(timeline, 0, restart),
        "during_outage": window(timeline, restart, back + 2),
        "after_restart": window(timeline, back + 2, kill),
        "kill_at": kill,
        "around_kill": window(timeline, kill, kill + 2),
        "after_kill": window(timeline, kill + 2, 10**6),
        "master_unchanged": outcome["master_unchanged"],
        "victim": outcome["victim"],
        "replaced_by": outcome["replaced_by"],
        "workers_after": outcome["workers_after"],
        "sigkill_logged": f"(pid:{outcome['victim']}) was sent SIGKILL" in log_text,
        "log_errors": log_text.count('"level": "ERROR"'),
    }
    (lib.WORK_DIR / "faults.json").write_text(json.dumps(result, indent=1))
    return result


def run() -> dict:
    backend = lib.postgres_backend()
    port = lib.free_port()
    env = lib.prod_env(backend, port)
    lib.log("== faults: PostgreSQL + Redis, migrate, load_demo")
    lib.prepare_database(backend, env)
    questions_json = lib.WORK_DIR / "questions-faults.json"
    lib.django_helper(env, "questions", str(questions_json))
    server = lib.Server(backend, port, env, lib.WORK_DIR / "gunicorn-faults.log")
    server.log_path.unlink(missing_ok=True)
    try:
        server.start()
        return drill(server, questions_json)
    finally:
        server.stop()
        lib.drop_database(backend)


def main() -> int:
    import bench_report

    lib.install_signal_handlers()
    lib.WORK_DIR.mkdir(parents=True, exist_ok=True)
    try:
        lib.manage(lib.prod_env(lib.sqlite_backend(), 0), "collectstatic", "--noinput", "-v", "0")
        faults = run()
    finally:
        lib.stop_all()
    print()
    print(bench_report.faults_section(faults))
    return 0 if faults["lost_by_count"] == 0 and faults["lost_exact"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
