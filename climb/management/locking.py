"""A file lock for management commands that instances started together must take in turn."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def file_lock(path: str, mode: str = "a"):
    """Hold an exclusive lock on the file at `path` (made if missing) while the block runs,
    and give the block the open file. Released when the process ends, however it ends."""
    import fcntl  # here, not above: only the commands that take the lock need it

    with open(path, mode) as locked:
        fcntl.flock(locked, fcntl.LOCK_EX)
        try:
            yield locked
        finally:
            fcntl.flock(locked, fcntl.LOCK_UN)
