"""The cache for what is derived from content, with the most used entries kept in-process.

Every key here includes the content generation (`lessons.models.content_generation`), so the
value under a key never goes stale: an edit changes the keys instead. That makes a copy in
each process safe, and it saves unpickling the value on every request (and, with Redis, a
round trip). Values are shared by the requests of one process: callers must not change them.

With a shared cache (Redis) entries also go there, so a new process starts warm. With the
local-memory cache they stay in this module's bounded copy only: the same process would hold
them twice, and the local cache's own limit counts entries, not bytes.

Keys also carry the release (`release()`): a digest of the code, templates and static
manifest this process runs. Without it, a deploy that changed a template, or the hashed
names of the static files, went on serving the HTML the previous release had left in Redis
(pages linking stylesheets that no longer exist), and unpickled model instances saved by a
release with other fields; during a rolling deploy the two releases would swap each other's.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

LOCAL_ENTRIES = 1000  # parts are a few KiB, a page around them tens: tens of MiB at most

_local: OrderedDict[str, object] = OrderedDict()
_lock = threading.Lock()


# What makes one release's cached HTML and objects differ from another's.
RELEASE_SOURCES = ("climb", "lessons", "templates", "locale")
RELEASE_SUFFIXES = (".py", ".html", ".txt", ".mo")


def digest_files(paths: Iterable[Path]) -> str:
    """A short digest of these files' names and contents, in a fixed order."""
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(paths):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def release() -> str:
    """This process's release: the code, templates and translations it runs, its
    dependencies as pyproject.toml names them, and its static manifest (the hashed names its
    pages link). Read once, a few milliseconds at start-up."""
    base = Path(settings.BASE_DIR)
    files = [
        path
        for folder in RELEASE_SOURCES
        for path in (base / folder).rglob("*")
        if path.suffix in RELEASE_SUFFIXES and path.is_file()
    ]
    for extra in (base / "pyproject.toml", Path(settings.STATIC_ROOT) / "staticfiles.json"):
        if extra.is_file():
            files.append(extra)
    return digest_files(files)


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
        ours = {f"{release()}:{key}": key for key in missing}
        shared = {ours[key]: value for key, value in cache.get_many(list(ours)).items()}
        _remember(shared)
        found.update(shared)
    return found


def get(key: str):
    return get_many([key]).get(key)


def set_many(values: dict[str, object], timeout: float) -> None:
    if _shared():
        prefix = release()
        cache.set_many({f"{prefix}:{key}": value for key, value in values.items()}, timeout)
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
