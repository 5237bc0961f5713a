from __future__ import annotations

from django.core.management.base import BaseCommand

from lessons.exporter import export_to


class Command(BaseCommand):
    help = (
        "Write every climb (or the ones named) as lesson files under DIR, one folder per "
        "climb, in the format import_lessons reads. Drafts are exported too."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Folder to write into (created if missing).")
        parser.add_argument(
            "--climb", action="append", dest="climbs", help="Only this climb slug (repeatable)."
        )

    def handle(self, *args, directory: str, climbs: list[str] | None, **options):
        written = export_to(directory, climbs)
        self.stdout.write(self.style.SUCCESS(f"{len(written)} files written to {directory}"))
