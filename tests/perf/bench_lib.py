"""Shared helpers for the production benchmark (`make bench`, `make bench-faults`).

Nothing here imports Django: every step that needs the ORM runs `bench_django.py` (or
`manage.py`) as a child process with the environment of the database being measured, so one
orchestrating process can drive SQLite and PostgreSQL one after the other.

Every server, load generator and browser is started with `start_new_session=True`, remembered
here, and stopped by its own process id (its process group) in `stop_all()`; the scripts call
it from `finally`; Ctrl-C raises KeyboardInterrupt, and SIGTERM/SIGHUP are turned into it
too (install_signal_handlers), so that `finally` always runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import runpy
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = BASE_DIR / ".venv" / "bin"
PYTHON = str(BIN / "python")
PERF_DIR = BASE_DIR / "tests" / "perf"
WORK_DIR = BASE_DIR / "var" / "bench"  # git-ignored: databases, logs, CSVs, JSON reports
STATIC_ROOT = BASE_DIR / "staticfiles"  # settings.STATIC_ROOT
BENCH_STATIC_DIR = STATIC_ROOT / "bench"  # the same-size files: generated, removed at the end

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "climb_bench"
PG_BENCH_URL = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
REDIS_BENCH_URL = "redis://127.0.0.1:6379/5"

# The demo climb's senior piece: the README's reference page (4 steps).
PIECE_PATH = "/climbs/distributed-systems/leader-election-code-and-log-reading/senior/"
CLIMB_PATH = "/climbs/distributed-systems/"

# What the TLS-terminating proxy adds in production. Sent with every load-generator request,
# so Django sees a secure request (request.is_secure(), CSRF origin checks, HSTS) exactly as
# behind the load balancer, while the bench itself talks plain HTTP on loopback.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}

# One random key per bench run: production mode refuses to start without 50+ characters.
SECRET_KEY = secrets.token_urlsafe(64)


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


# --- machine ---------------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "cpu": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load": load,
    }


def busy_processes(limit: int = 5) -> list[str]:
    """Other processes using CPU right now (the machine is shared): reported with the figures."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    rows = []
    for line in out.splitlines():
        pcpu, _, comm = line.strip().partition(" ")
        try:
            if float(pcpu) >= 10:
                rows.append(f"{comm.strip()} {pcpu}%")
        except ValueError:
            continue
    return rows[:limit]


# --- processes -------------------------------------------------------------------------------

_started: list[subprocess.Popen] = []


def spawn(cmd: list[str], *, env: dict[str, str], stdout=None, **kwargs) -> subprocess.Popen:
    """Start a background process in its own process group and remember it for stop_all()."""
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=BASE_DIR,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        **kwargs,
    )
    _started.append(proc)
    return proc


def stop(proc: subprocess.Popen, grace: float = 35.0) -> None:
    """SIGTERM the process (gunicorn: graceful), then SIGKILL its whole group if needed."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers in its group (workers, chromium children)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    if proc in _started:
        _started.remove(proc)


def stop_all() -> None:
    for proc in list(reversed(_started)):
        stop(proc)


def run_bounded(
    cmd: list[str], *, env: dict[str, str], timeout: float, log_path: Path | None = None
) -> tuple[int, str]:
    """Run a foreground command in its own group with a hard time limit; return (rc, output)."""
    out = open(log_path, "w") if log_path else subprocess.PIPE  # noqa: SIM115
    proc = spawn(cmd, env=env, stdout=out, text=True)
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc, grace=5)
        raise RuntimeError(f"timed out after {timeout:.0f}s: {' '.join(cmd[:3])} ...") from None
    finally:
        if log_path:
            out.close()
    if proc in _started:
        _started.remove(proc)
    text = log_path.read_text(errors="replace") if log_path else (stdout or "")
    return proc.returncode, text


def install_signal_handlers() -> None:
    """Ctrl-C or a kill from make: raise, so that every `finally` stops what it started."""

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- environments and databases --------------------------------------------------------------


@dataclass
class Backend:
    name: str  # "sqlite" | "postgresql"
    database_url: str
    redis_url: str = ""
    sqlite_path: Path | None = None


def sqlite_backend() -> Backend:
    path = WORK_DIR / "bench.sqlite3"
    return Backend("sqlite", f"sqlite:///{path}", sqlite_path=path)


def postgres_backend() -> Backend:
    return Backend("postgresql", PG_BENCH_URL, redis_url=REDIS_BENCH_URL)


def prod_env(backend: Backend, port: int, **extra: str) -> dict[str, str]:
    """The production configuration of the README, on loopback and plain HTTP."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="climb.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # No TLS on loopback: the bench sends X-Forwarded-Proto itself (see PROXY_HEADERS).
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=backend.database_url,
        CONN_MAX_AGE="60",
        ANSWER_RATE_LIMIT="1000000",
        NEW_LEARNERS_PER_CLIENT="1000000",  # every locust user is a new learner
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    if backend.redis_url:
        env["REDIS_URL"] = backend.redis_url
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    rc, out = run_bounded([PYTHON, "manage.py", *args], env=env, timeout=timeout)
    if rc != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({rc}):\n{out[-3000:]}")
    return out


def django_helper(env: dict[str, str], *args: str, timeout: float = 900) -> dict:
    """Run bench_django.py ACTION ... in the given environment; it prints one JSON object."""
    rc, out = run_bounded(
        [PYTHON, str(PERF_DIR / "bench_django.py"), *args], env=env, timeout=timeout
    )
    if rc != 0:
        raise RuntimeError(f"bench_django.py {' '.join(args)} failed ({rc}):\n{out[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", PG_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
        timeout=120,
        capture_output=True,
    )


def reset_database(backend: Backend) -> None:
    """A fresh, empty database (and an empty Redis database for the PostgreSQL run)."""
    if backend.sqlite_path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{backend.sqlite_path}{suffix}").unlink(missing_ok=True)
    else:
        psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        psql(f"CREATE DATABASE {PG_BENCH_DB}")
    if backend.redis_url:
        subprocess.run(
            ["redis-cli", "-n", "5", "FLUSHDB"], check=True, timeout=30, capture_output=True
        )


def drop_database(backend: Backend) -> None:
    try:
        if backend.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{backend.sqlite_path}{suffix}").unlink(missing_ok=True)
        else:
            psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        if backend.redis_url:
            subprocess.run(["redis-cli", "-n", "5", "FLUSHDB"], timeout=30, capture_output=True)
    except Exception as exc:  # cleanup must not hide the real error
        log(f"could not drop the bench database: {exc}")


def prepare_database(backend: Backend, env: dict[str, str]) -> None:
    reset_database(backend)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "load_demo")


# --- gunicorn --------------------------------------------------------------------------------


@dataclass
class Server:
    """gunicorn with the repository's gunicorn.conf.py, its output in a log file."""

    backend: Backend
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    _log_file: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        self._log_file = open(self.log_path, "a")  # noqa: SIM115
        self.proc = spawn(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env=self.env, stdout=self._log_file
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            status, _ = http_get(f"{self.url}/healthz", timeout=2)
            if status == 200 and len(self.worker_pids()) >= self.expected_workers():
                return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not become healthy in {timeout}s; see {self.log_path}")

    def expected_workers(self) -> int:
        if self.env.get("WEB_CONCURRENCY"):
            return int(self.env["WEB_CONCURRENCY"])
        config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
        return config["default_workers"](self.env.get("DATABASE_URL", ""), os.cpu_count() or 1)

    def worker_pids(self) -> list[int]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        import psutil  # installed with locust

        try:
            return sorted(child.pid for child in psutil.Process(self.proc.pid).children())
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn: master, live workers, and workers that have
        exited (recycled by max_requests or killed), which the master's children_* count.
        The difference over a run, divided by its requests, is the server's CPU cost per
        request: unlike throughput, it barely depends on what else the machine is doing."""
        import psutil

        try:
            master = psutil.Process(self.proc.pid)
            times = master.cpu_times()
            total = times.user + times.system + times.children_user + times.children_system
            for child in master.children():
                with contextlib.suppress(psutil.NoSuchProcess):
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
            return total
        except (psutil.NoSuchProcess, AttributeError):
            return 0.0

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 10):
    request = urllib.request.Request(url, headers={**PROXY_HEADERS, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


# --- wrk -------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class WrkResult:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    size_bytes: int = 0
    load1: float = 0.0  # the machine's 1-minute load average when the run started
    cpu_ms: float = 0.0  # gunicorn's CPU time per request (Server.cpu_seconds)


def run_wrk(
    label: str,
    url: str,
    headers: dict[str, str],
    *,
    duration: int = 15,
    threads: int = 2,
    connections: int = 16,
) -> WrkResult:
    # --timeout 10s: a slow page is measured as slow, not dropped as a 2 s socket timeout.
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    cmd += ["--timeout", "10s"]
    for name, value in {**PROXY_HEADERS, **headers}.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    load1 = os.getloadavg()[0]
    rc, out = run_bounded(cmd, env=dict(os.environ), timeout=duration + 60)
    if rc != 0:
        raise RuntimeError(f"wrk failed ({rc}): {out}")
    (WORK_DIR / f"wrk-{label}.txt").write_text(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        label=label,
        rps=rps,
        p50_ms=p50,
        p99_ms=p99,
        requests=total,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(x) for x in sock.groups()) if sock else 0,
        load1=load1,
    )


# --- locust ----------------------------------------------------------------------------------


@dataclass
class LocustResult:
    label: str
    seconds: float
    accepted: int  # 200 with the feedback fragment, counted by the client
    failed: int  # every other outcome of an answer post (status, connection error)
    answers_per_s: float
    p50_ms: float
    p99_ms: float
    rows_before: int
    rows_after: int
    errors: dict[str, int]
    timeline: dict[str, list[int]]  # second -> [accepted, failed]
    lost_exact: int = -1  # accepted (session, question, attempt) with no row; -1: not checked
    load1: float = 0.0  # the machine's 1-minute load average when the run started
    cpu_ms: float = 0.0  # gunicorn's CPU time per accepted answer (GETs of new learners too)
    client_cpu_ms: float = 0.0  # locust's, on the same cores

    @property
    def rows_created(self) -> int:
        return self.rows_after - self.rows_before

    @property
    def lost(self) -> int:
        """Accepted by the server as seen by a client, yet not in the database."""
        return max(0, self.accepted - self.rows_created)


def locust_cmd(host: str, users: int, seconds: int, csv_prefix: Path) -> list[str]:
    return [
        str(BIN / "locust"),
        "-f",
        str(PERF_DIR / "bench_answers_locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "--host",
        host,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]


def locust_env(questions_json: Path, out_json: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(BENCH_QUESTIONS=str(questions_json), BENCH_OUT=str(out_json))
    return env


def read_locust(
    label: str, out_json: Path, csv_prefix: Path, rows_before: int, rows_after: int
) -> LocustResult:
    data = json.loads(out_json.read_text())
    p50 = p99 = 0.0
    stats = Path(f"{csv_prefix}_stats.csv")
    if stats.exists():
        import csv

        with stats.open() as handle:
            for row in csv.DictReader(handle):
                if row["Name"] == "POST /answer/":
                    p50, p99 = float(row["50%"] or 0), float(row["99%"] or 0)
    seconds = data["seconds"] or 1.0
    # Throughput over the timed run only (posts that finish during the stop are not in it).
    in_run = sum(ok for second, (ok, _) in data["timeline"].items() if int(second) < seconds)
    return LocustResult(
        label=label,
        seconds=seconds,
        accepted=data["accepted"],
        failed=data["failed"],
        answers_per_s=in_run / seconds,
        p50_ms=p50,
        p99_ms=p99,
        rows_before=rows_before,
        rows_after=rows_after,
        errors=data["errors"],
        timeline=data["timeline"],
    )


# --- tools -----------------------------------------------------------------------------------


def which(name: str) -> str | None:
    return shutil.which(name)
