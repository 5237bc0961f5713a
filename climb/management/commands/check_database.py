"""SQLite's integrity check, which the sqlite3 shell cannot run on this database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ._sqlite import integrity, sqlite_connection


class Command(BaseCommand):
    help = (
        "Run SQLite's integrity check on the database through the site's own connection: the "
        "account indexes use climb_lower(), which the sqlite3 shell does not have."
    )

    def handle(self, *args, **options):
        result = integrity(sqlite_connection())
        if result != "ok":
            raise CommandError(f"integrity check failed: {result}")
        self.stdout.write("Integrity ok.")
