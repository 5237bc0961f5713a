"""The cache for what is derived from content, with the most used entries kept in-process.

Every key here includes the content generation (`lessons.models.content_generation`), so the
value under a key never goes stale: an edit changes the keys instead. That makes a copy in
each process safe, and it saves unpickling the value on every request (and, with Redis, a
round trip). Values are shared by the requests of one process: callers must not change them.

With a shared cache (Redis) entries also go there, so a new process starts warm. With the
local-memory cache they stay in this module's bounded copy only: the same process would hold
them twice, and the local cache's own limit counts entries, not bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

LOCAL_ENTRIES = 1000  # parts are a few KiB, a page around them tens: tens of MiB at most

_local: OrderedDict[str, object] = OrderedDict()
_lock = threading.Lock()


def get_many(keys: list[str]) -> dict[str, object]:
    found = {}
    missing = []
    with _lock:
        for key in keys:
            if key in _local:
                _local.move_to_end(key)
                found[key] = _local[key]
            else:
                missing.append(key)
    if missing and _shared():
        shared = cache.get_many(missing)
        _remember(shared)
        found.update(shared)
    return found


def get(key: str):
    return get_many([key]).get(key)


def set_many(values: dict[str, object], timeout: float) -> None:
    if _shared():
        cache.set_many(values, timeout)
    _remember(values)


def set(key: str, value, timeout: float) -> None:
    set_many({key: value}, timeout)


def _shared() -> bool:
    return not isinstance(caches["default"], LocMemCache)


def _remember(values: dict[str, object]) -> None:
    with _lock:
        for key, value in values.items():
            _local[key] = value
            _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def clear_local() -> None:
    with _lock:
        _local.clear()
