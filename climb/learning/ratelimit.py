"""Fixed-window counters: enough to stop a script hammering a form.

Counted in the cache. Without Redis the cache is each worker's own memory, so a limit would
be counted once per worker (and start again when one is recycled): the limits that guard
accounts and mail (`shared=True`) are then counted in the database, which every worker and
app server shares. The per-minute answer limits stay in memory: a database write on every
answer would cost more than the flood they stop, and a flood is all they are for.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone


def clock() -> float:
    return time.time()


def hit(key: str, limit: int, window: int = 60, *, shared: bool = False) -> bool:
    """Count one event for `key`; False once `limit` events happened in this window."""
    bucket = _bucket(key, window)
    if shared and process_local_cache():
        return _hit_in_database(_digest(bucket), window) <= limit
    # add() is atomic on every backend: it creates the counter only if it is missing.
    if cache.add(bucket, 1, timeout=window + 5):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add() and incr()
        cache.add(bucket, 1, timeout=window + 5)
        return True
    return count <= limit


def used(key: str, window: int = 60, *, shared: bool = False) -> int:
    """How many events `key` had in this window, without counting one: for a limit on
    failures, checked before the attempt and counted only when it fails."""
    bucket = _bucket(key, window)
    if shared and process_local_cache():
        from .models import RateCounter

        counter = RateCounter.objects.filter(bucket=_digest(bucket))
        return counter.values_list("count", flat=True).first() or 0
    return cache.get(bucket, 0)


def _bucket(key: str, window: int) -> str:
    """The counter of `key` in the current window."""
    return f"ratelimit:{key}:{int(clock() // window)}"


def _digest(bucket: str) -> str:
    """A bucket as the database holds it: keys hold email addresses, up to 254 characters,
    and the column holds their digest."""
    return hashlib.sha256(bucket.encode()).hexdigest()


def process_local_cache() -> bool:
    return settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def _hit_in_database(bucket: str, window: int) -> int:
    """The bucket's count with this event, counted in one transaction: an UPDATE, or the
    INSERT of a new window (then the windows gone by are deleted, by their index)."""
    from .models import RateCounter

    counters = RateCounter.objects.filter(bucket=bucket)
    with transaction.atomic():
        if counters.update(count=F("count") + 1):
            return counters.values_list("count", flat=True).get()
        now = timezone.now()
        try:
            with transaction.atomic():
                RateCounter.objects.create(
                    bucket=bucket, expires_at=now + timedelta(seconds=window + 5)
                )
        except IntegrityError:  # another request started the window meanwhile
            counters.update(count=F("count") + 1)
            return counters.values_list("count", flat=True).get()
        RateCounter.objects.filter(expires_at__lt=now).delete()
        return 1
