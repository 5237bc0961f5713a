from __future__ import annotations

import platform

from django.core.management.base import BaseCommand
from django.db import connection

from lessons.benchmarks import run


class Command(BaseCommand):
    help = (
        "Time the home, climb and piece pages in-process (Django test client, no network) "
        "and print the median and p95 in milliseconds, the query count and the page size."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--requests", type=int, default=500, help="Requests per page (default 500)."
        )

    def handle(self, *args, requests: int, **options):
        self.stdout.write(
            f"{platform.python_implementation()} {platform.python_version()} on "
            f"{platform.machine()}, database: {connection.vendor}, {requests} requests per page"
        )
        self.stdout.write(f"{'page':<8}{'median ms':>11}{'p95 ms':>9}{'queries':>9}{'KiB':>7}  url")
        for t in run(requests):
            self.stdout.write(
                f"{t.label:<8}{t.median_ms:>11.2f}{t.p95_ms:>9.2f}{t.queries:>9}"
                f"{t.size_bytes / 1024:>7.1f}  {t.url}"
            )
