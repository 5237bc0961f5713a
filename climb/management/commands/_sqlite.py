"""What the SQLite backup, restore and check commands share."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connections

from climb.accounts.names import SQLITE_FUNCTION, fold


def sqlite_connection(database: str = "default"):
    """The site's own SQLite connection (the raw sqlite3 one), or a CommandError saying what
    to use on PostgreSQL instead."""
    connection = connections[database]
    if connection.vendor != "sqlite":
        raise CommandError(
            "This database is PostgreSQL: back up with `pg_dump --format=custom --file "
            "climb.dump DBNAME` and restore into a new database with `pg_restore --no-owner "
            "--exit-on-error --dbname NEWDB climb.dump` (see the README's Backups)."
        )
    connection.ensure_connection()
    return connection.connection


def open_copy(path: str | Path) -> sqlite3.Connection:
    """A backup file, opened as the site's connections are: with climb_lower(), which its
    account indexes need for an integrity check."""
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    copy = sqlite3.connect(path)
    copy.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
    return copy


def integrity(connection) -> str:
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as error:  # not a database at all
        return str(error)
    return "; ".join(str(row[0]) for row in rows)
