"""In-process timing of the team pages (`manage.py bench_team`): figures, not assertions.

The Django test client signs in as the team's owner and requests each page `requests` times
after a warm-up, as `lessons.benchmarks` does for the reading pages; the query count is
taken from one request with an execute wrapper.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings

from .models import Membership, Role, Team


@dataclass
class Timing:
    label: str
    url: str
    median_ms: float
    p95_ms: float
    cpu_median_ms: float  # this process's CPU time: SQLite runs in it, other load does not
    queries: int
    size_bytes: int


def time_request(client: Client, label: str, url: str, requests: int, **kwargs) -> Timing:
    client.get(url, **kwargs)  # warm caches, template loading, the session row
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url, **kwargs)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    samples, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url, **kwargs)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    return Timing(
        label=label,
        url=url,
        median_ms=statistics.median(samples),
        p95_ms=samples[max(int(len(samples) * 0.95) - 1, 0)],
        cpu_median_ms=statistics.median(cpu),
        queries=len(queries),
        size_bytes=len(response.content),
    )


def largest_team() -> Team | None:
    return Team.objects.annotate(size=Count("memberships")).order_by("-size", "pk").first()


def run(team: Team, requests: int = 50, climb: str | None = None) -> list[Timing]:
    owner = Membership.objects.filter(team=team, role=Role.OWNER).select_related("user").first()
    if owner is None:
        raise RuntimeError(f"team {team.pk} has no owner")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner.user)
    base = f"/teams/{team.pk}/"
    query = f"?{urlencode({'climb': climb})}" if climb else ""
    sorted_query = (
        f"?{urlencode({**({'climb': climb} if climb else {}), 'sort': '-altitude', 'page': 3})}"
    )
    with override_settings(TEAM_DASHBOARD_SECONDS=0):  # each request's full cost
        timings = [
            time_request(client, "dashboard", base + query, requests),
            time_request(
                client, "fragment", base + sorted_query, requests, headers={"HX-Request": "true"}
            ),
            time_request(client, "export", f"{base}export.csv{query}", requests),
            time_request(client, "members", f"{base}members/", requests),
        ]
    # Sorting or paging soon after a first view: the figures are kept (TEAM_DASHBOARD_SECONDS).
    timings.append(
        time_request(client, "kept", base + sorted_query, requests, headers={"HX-Request": "true"})
    )
    return timings
