"""SQLite's integrity check, which the sqlite3 shell cannot run on this database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ._sqlite import integrity, open_live


class Command(BaseCommand):
    help = (
        "Run SQLite's integrity check on the database through a connection that has "
        "climb_lower(), which the account indexes use and the sqlite3 shell does not have."
    )

    def handle(self, *args, **options):
        live = open_live(instead="check it with PostgreSQL's own tools (pg_amcheck).")
        try:
            result = integrity(live)
        finally:
            live.close()
        if result != "ok":
            raise CommandError(f"integrity check failed: {result}")
        self.stdout.write("Integrity ok.")
