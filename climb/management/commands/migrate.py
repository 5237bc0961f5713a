"""Django's migrate, taking turns: several instances started at once (`make serve` migrates
first) each ran the same migrations, and all but one stopped with "table already exists"."""

from __future__ import annotations

import contextlib

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from ..locking import file_lock

# pg_advisory_lock's key: any number of our own; "climb" in ASCII.
LOCK_KEY = 0x636C696D62


@contextlib.contextmanager
def migration_lock(connection):
    """Hold a lock every migrate on this database waits for: PostgreSQL's advisory lock (on
    the same connection migrate then uses), or a file lock beside the SQLite file."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        return
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or connection.is_in_memory_db() or not name:
        yield
        return
    with file_lock(f"{name}.migrate-lock"):
        yield


class Command(DjangoMigrate):
    help = (
        DjangoMigrate.help + " Runs that start together take turns: the later ones find the "
        "work done."
    )

    def handle(self, *args, **options):
        with migration_lock(connections[options["database"]]):
            return super().handle(*args, **options)
