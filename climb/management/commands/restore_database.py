"""Put a backup made by backup_database back in place of the SQLite database."""

from __future__ import annotations

import sqlite3
import sys

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from ._sqlite import POSTGRES_BACKUP, integrity, open_copy, open_live, refuse_if_busy


class Command(BaseCommand):
    help = (
        "Replace the SQLite database with a backup (stop the app servers first). Checks the "
        "backup, then copies it in with SQLite's backup API, which also empties the -wal "
        "file a plain copy would leave to be replayed over it; empties the cache."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A backup written by backup_database.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, path: str, interactive: bool = True, **options):
        live = open_live(instead=POSTGRES_BACKUP)
        backup = open_copy(path)
        try:
            result = integrity(backup)
            if result != "ok":
                raise CommandError(f"{path} fails its integrity check, nothing changed: {result}")
            tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master")}
            if "django_migrations" not in tables:
                raise CommandError(f"{path} is not a Climb database, nothing changed")
            if interactive:
                if sys.stdin is None or not sys.stdin.isatty():
                    # From cron or a script input() met the end of its input: an EOFError
                    # traceback, or a "yes" piped in without anyone having looked.
                    raise CommandError(
                        "No terminal to ask whether the app servers are stopped: stop them, "
                        "then run this again with --noinput. Nothing changed."
                    )
                answer = input(
                    "Everything in the database now is replaced by the backup. "
                    "Are the app servers stopped? Type 'yes' to go on: "
                )
                if answer != "yes":
                    raise CommandError("Nothing changed.")
            refuse_if_busy(live)
            backup.backup(live)
        except sqlite3.Error as error:
            raise CommandError(f"not restored: {error}") from None
        finally:
            backup.close()
            live.close()
        # Cached ids (each question revision's) name rows of the database as it was.
        cache.clear()
        self.stdout.write(
            f"Restored from {path}; the cache is empty. Run `manage.py migrate` if the backup "
            "is from an older release, then start the app servers."
        )
