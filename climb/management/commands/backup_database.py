"""A consistent copy of the SQLite database, taken while the site runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ._sqlite import integrity, open_copy, sqlite_connection


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to PATH with SQLite's online backup (safe while the site "
        "runs, unlike copying the file and its -wal beside it), then check the copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file to write (must not exist).")

    def handle(self, *args, path: str, **options):
        source = sqlite_connection()
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists already: choose a new name")
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
        copy = open_copy(target)
        try:
            result = integrity(copy)
        finally:
            copy.close()
        if result != "ok":
            raise CommandError(f"{target} was written but fails its integrity check: {result}")
        size = target.stat().st_size / 1_000_000
        self.stdout.write(f"Backed up to {target} ({size:.1f} MB), integrity ok.")
