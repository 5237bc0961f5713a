"""A consistent copy of the SQLite database, taken while the site runs."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ._sqlite import POSTGRES_BACKUP, integrity, open_copy, open_live


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to PATH with SQLite's online backup (safe while the site "
        "runs, unlike copying the file and its -wal beside it), then check the copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file to write (must not exist).")

    def handle(self, *args, path: str, **options):
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists already: choose a new name")
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent}: no such folder")
        # Written under another name and renamed when whole and checked: a backup that
        # stopped half-way never sits under the name a restore would be given.
        partial = target.with_name(f".{target.name}.partial")
        source = open_live(instead=POSTGRES_BACKUP)
        try:
            # Readable by its owner only, from the start (the rename keeps the mode): a
            # backup holds every password hash and live session, and came out 0644.
            partial.unlink(missing_ok=True)  # left by a backup that was killed
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            destination = sqlite3.connect(partial)
            try:
                source.backup(destination)
            finally:
                destination.close()
            copy = open_copy(partial)
            try:
                result = integrity(copy)
            finally:
                copy.close()
            if result != "ok":
                raise CommandError(f"the copy fails its integrity check: {result}")
            os.replace(partial, target)
        except sqlite3.Error as error:
            raise CommandError(f"no backup written: {error}") from None
        finally:
            source.close()
            partial.unlink(missing_ok=True)
        size = target.stat().st_size / 1_000_000
        self.stdout.write(f"Backed up to {target} ({size:.1f} MB), integrity ok.")
