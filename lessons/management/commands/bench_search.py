"""`manage.py bench_search`: how long search takes on the database DATABASE_URL names.

Each representative query is timed twice: the engine alone (search_query.search: the one SQL
query plus marking the words) and the whole page through Django's test client (in-process,
no network), after a warm-up. Figures, not assertions; load the content first, e.g.
`manage.py synthetic_content --pieces 1000`.
"""

from __future__ import annotations

import logging
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from lessons import contentcache, search_query, search_suggest
from lessons.models import TierVersion

# (label, query, language). A trailing space means "the word is finished": no prefix.
QUERIES = [
    ("single word", "quorum ", "en"),
    ("two words", "fencing token ", "en"),
    ("phrase", '"fencing token"', "en"),
    ("code identifier", "KeepAlive ", "en"),
    ("method call", "lease.Held()", "en"),
    ("Russian word", "аренда ", "ru"),
    ("Russian, 2 words", "токен ограждения ", "ru"),
    ("prefix", "repl", "en"),
    ("prefix, 2 letters", "le", "en"),
    ("common + prefix", "lease ti", "en"),
    ("no match", "zeppelin ", "en"),
    # Nothing found: the page adds "Did you mean …?" (search_suggest, vocabulary cached).
    ("typo", "fencing tokn ", "en"),
    ("Russian typo", "токен огрождения ", "ru"),
]
# The typos whose suggestion is timed on its own (suggestion_timing).
TYPOS = [("fencing tokn ", "en"), ("lederr election ", "en"), ("аренад ", "ru")]


@dataclass
class QueryTiming:
    label: str
    query: str
    language: str
    hits: int
    engine_median_ms: float
    engine_p95_ms: float
    page_median_ms: float
    page_p95_ms: float


def _samples(call: Callable[[], object], iterations: int) -> list[float]:
    call()  # warm-up: connection, caches, templates
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def run(iterations: int = 200, queries=QUERIES) -> list[QueryTiming]:
    client = Client(HTTP_HOST="127.0.0.1")
    timings = []
    for label, query, language in queries:
        with translation.override(language):
            url = f"{reverse('lessons:search')}?{urlencode({'q': query})}"
        hits = len(search_query.search(query, language))
        engine = _samples(lambda q=query, lang=language: search_query.search(q, lang), iterations)
        page = _samples(lambda u=url: client.get(u), iterations)
        timings.append(
            QueryTiming(
                label=label,
                query=query,
                language=language,
                hits=hits,
                engine_median_ms=statistics.median(engine),
                engine_p95_ms=_p95(engine),
                page_median_ms=statistics.median(page),
                page_p95_ms=_p95(page),
            )
        )
    return timings


@dataclass
class SuggestionTiming:
    vocabulary_ms: float  # reading and building it: once per content generation
    median_ms: float  # a suggestion with the vocabulary cached
    p95_ms: float


def suggestion_timing(iterations: int = 200, typos=TYPOS) -> SuggestionTiming:
    """How long "Did you mean" takes: the vocabulary read and built from scratch (in this
    process its words are stemmed already, as in one that has searched), then the
    suggestions themselves with it cached."""
    build = []
    for _ in range(max(1, iterations // 20)):
        contentcache.clear_local()
        start = time.perf_counter()
        search_suggest.vocabularies()
        build.append((time.perf_counter() - start) * 1000)
    samples = []
    for query, language in typos:
        samples += _samples(
            lambda q=query, lang=language: search_suggest.suggestion(q, lang), iterations
        )
    return SuggestionTiming(statistics.median(build), statistics.median(samples), _p95(samples))


class Command(BaseCommand):
    help = (
        "Time representative searches (single word, two words, phrase, code identifier, "
        "Russian, prefix) on the configured database: median and p95 in milliseconds, for "
        "search_query.search() alone and for the whole /search/ page."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--iterations", type=int, default=200, help="Runs per query (default 200)."
        )

    def handle(self, *args, iterations: int, **options):
        versions = TierVersion.objects.published().count()
        # The machine may be busy with other work: the load says how far to trust the figures.
        load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
        self.stdout.write(
            f"{platform.python_implementation()} {platform.python_version()}, database: "
            f"{connection.vendor}, {versions} published tier versions, {iterations} runs each, "
            f"{os.cpu_count()} CPUs, load average {load}"
        )
        self.stdout.write(
            f"{'query':<19}{'lang':<5}{'hits':>5}{'search ms':>11}{'p95':>8}"
            f"{'page ms':>10}{'p95':>8}  text"
        )
        logging.disable(logging.INFO)  # a log line per request would bury the table
        try:
            timings = run(iterations)
        finally:
            logging.disable(logging.NOTSET)
        for t in timings:
            self.stdout.write(
                f"{t.label:<19}{t.language:<5}{t.hits:>5}{t.engine_median_ms:>11.2f}"
                f"{t.engine_p95_ms:>8.2f}{t.page_median_ms:>10.2f}{t.page_p95_ms:>8.2f}"
                f"  {t.query!r}"
            )
        suggesting = suggestion_timing(iterations)
        self.stdout.write(
            f"Did you mean: vocabulary read and built in {suggesting.vocabulary_ms:.1f} ms (once "
            f"per content change), then a suggestion in {suggesting.median_ms:.2f} ms "
            f"(p95 {suggesting.p95_ms:.2f})"
        )
