"""Account names compared without case, in every alphabet, on SQLite as on PostgreSQL.

"Иван" and "иван" are one name, as "Alice" and "alice" are. PostgreSQL's LOWER() folds
every alphabet; SQLite's folds ASCII only, and its LIKE (which Django's `iexact` becomes
there) too, so on the default database "Иван" could sign up beside "иван" and could not log
in as "иван". On SQLite, each connection therefore gets `climb_lower()`, Python's
str.lower(), and the unique indexes on account names use it (accounts migration 0002);
`Folded` is LOWER() on PostgreSQL and climb_lower() on SQLite.

A new name rather than a replacement for SQLite's own lower(): a tool that opens the file
without Django (the sqlite3 shell) then fails loudly on writing an account ("no such
function: climb_lower") instead of filling the index with keys folded another way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

SQLITE_FUNCTION = "climb_lower"


def fold(value):
    """What climb_lower() returns: str.lower() of text; anything else (NULL) as it is."""
    return value.lower() if isinstance(value, str) else value


def add_sqlite_function(sender=None, connection=None, **kwargs) -> None:
    """connection_created receiver: every SQLite connection gets climb_lower()."""
    if connection is not None and connection.vendor == "sqlite":
        # Deterministic: SQLite allows only such functions in an index.
        connection.connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)


class Folded(Lower):
    """LOWER(expression), with SQLite's climb_lower() in its place there."""

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function=SQLITE_FUNCTION, **extra_context)


def same_name(field: str, value: str) -> Exact:
    """A filter: `field` is `value` in any case; both sides folded by the database, so the
    lookup is the unique index's own expression and uses it."""
    return Exact(Folded(field), Folded(Value(value)))


def clashes(names: Iterable[str]) -> list[list[str]]:
    """The groups of `names` that are one name in any case (empty names left out)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        if name:
            groups[fold(name)].append(name)
    return [sorted(group) for group in groups.values() if len(group) > 1]
