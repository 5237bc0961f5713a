"""A fixed-window counter in the cache: enough to stop a script hammering the answer form."""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(key: str, limit: int, window: int = 60) -> bool:
    """Count one event for `key`; False once `limit` events happened in this window."""
    bucket = f"ratelimit:{key}:{int(time.time() // window)}"
    # add() is atomic on every backend: it creates the counter only if it is missing.
    if cache.add(bucket, 1, timeout=window + 5):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add() and incr()
        cache.add(bucket, 1, timeout=window + 5)
        return True
    return count <= limit
