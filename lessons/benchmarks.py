"""In-process timing of pages with the test client (`manage.py bench`, `bench_team`): figures,
not assertions."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from django.db import connection
from django.test import Client

from .models import TierVersion


@dataclass
class PageTiming:
    label: str
    url: str
    requests: int
    median_ms: float
    p95_ms: float
    cpu_median_ms: float  # this process's CPU time: SQLite runs in it, other load does not
    queries: int
    size_bytes: int


def time_page(client: Client, label: str, url: str, requests: int, **kwargs) -> PageTiming:
    """`requests` GETs of `url` after a warm-up (`kwargs` go to each, headers for one); the
    query count is taken from one request with an execute wrapper."""
    client.get(url, **kwargs)  # warm caches, template loading, connection set-up
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
    return PageTiming(
        label=label,
        url=url,
        requests=requests,
        median_ms=statistics.median(samples),
        p95_ms=samples[max(int(len(samples) * 0.95) - 1, 0)],
        cpu_median_ms=statistics.median(cpu),
        queries=len(queries),
        size_bytes=len(response.content),
    )


def run(requests: int = 500) -> list[PageTiming]:
    client = Client(HTTP_HOST="127.0.0.1")
    version = (
        TierVersion.objects.published()
        .select_related("piece__climb")
        .filter(piece__slug="leader-election-code-and-log-reading")
        .first()
        or TierVersion.objects.published().select_related("piece__climb").first()
    )
    if version is None:
        raise RuntimeError("no content: run `python manage.py load_demo` first")
    pages = [
        ("home", "/"),
        ("climb", version.piece.climb.get_absolute_url()),
        ("piece", version.get_absolute_url()),
    ]
    return [time_page(client, label, url, requests) for label, url in pages]
