"""What the SQLite backup, restore and check commands share."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connections

from climb.accounts.names import SQLITE_FUNCTION, fold

# Seconds to wait for another connection's write lock before saying the database is busy.
BUSY_SECONDS = 5


def _open(name: str, *, uri: bool = False) -> sqlite3.Connection:
    """A connection of its own (not Django's, which may be inside a transaction), with
    climb_lower(), which the account indexes need for an integrity check or a write."""
    connection = sqlite3.connect(name, uri=uri, timeout=BUSY_SECONDS)
    connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
    return connection


def open_live(database: str = "default", *, instead: str) -> sqlite3.Connection:
    """A connection of our own to the site's SQLite database; on PostgreSQL, a CommandError
    saying what to do `instead`."""
    connection = connections[database]
    if connection.vendor != "sqlite":
        raise CommandError(f"This database is {connection.display_name}: {instead}")
    name = str(connection.settings_dict["NAME"])
    return _open(name, uri=name.startswith("file:"))


def open_copy(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    return _open(str(path))


def integrity(connection: sqlite3.Connection) -> str:
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as error:  # not a database at all
        return str(error)
    return "; ".join(str(row[0]) for row in rows)


def refuse_if_busy(connection: sqlite3.Connection) -> None:
    """Take and give back the write lock: a copy into a database someone is writing to
    would wait on it for ever (SQLite's backup retries a busy step without end)."""
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError as error:
        raise CommandError(
            f"The database is busy ({error}): stop the app servers, then run this again."
        ) from None


POSTGRES_BACKUP = (
    'back up with `pg_dump --format=custom --file climb.dump "$DATABASE_URL"`, and restore '
    "into a new database with `pg_restore --no-owner --exit-on-error --dbname NEWDB "
    "climb.dump` (see the README's Backups)."
)
