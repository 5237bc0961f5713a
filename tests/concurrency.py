"""Two requests at once, for real: jobs in threads of their own, each with its own
connection, started together. Only PostgreSQL runs transactions side by side; SQLite's
IMMEDIATE transactions queue up whole, so the races these tests hold cannot happen there."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

needs_concurrent_transactions = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="real concurrent transactions: SQLite's IMMEDIATE ones run one at a time",
)


def at_once(*jobs) -> list:
    """Run each job in a thread of its own, started together; returns their results in
    order. Each thread closes its connection; an exception in any job fails the test."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results
