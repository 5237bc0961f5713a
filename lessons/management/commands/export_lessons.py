from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lessons.exporter import export_to, stale_files
from lessons.lessonfile import LessonFileError, parse_file
from lessons.models import Climb


class Command(BaseCommand):
    help = (
        "Write every climb (or the ones named) as lesson files under DIR, one folder per "
        "climb, in the format import_lessons reads. Drafts are exported too. Lesson files "
        "left in those folders that the database no longer has are listed (--prune removes "
        "them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Folder to write into (created if missing).")
        parser.add_argument(
            "--climb", action="append", dest="climbs", help="Only this climb slug (repeatable)."
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Remove lesson files in the exported climbs' folders that the database no "
            "longer has (a renamed, re-tiered, re-ordered or deleted piece).",
        )

    def handle(self, *args, directory: str, climbs: list[str] | None, prune: bool, **options):
        if climbs:
            # A mistyped slug wrote nothing and said "0 files written", with exit status 0.
            known = list(Climb.objects.order_by("slug").values_list("slug", flat=True))
            unknown = [slug for slug in climbs if slug not in known]
            if unknown:
                raise CommandError(
                    f"no climb {', '.join(map(repr, unknown))}, nothing written; the climbs "
                    f"are: {', '.join(known) or 'none yet'}"
                )
        written = export_to(directory, climbs)
        self.stdout.write(self.style.SUCCESS(f"{len(written)} files written to {directory}"))
        self.report_stale(directory, written, prune)
        # Each file read back as the import will read it: content stored before a rule the
        # files have (an explanation line that reads as a choice, say) exports to a file the
        # import refuses, found now rather than by whoever imports it next.
        refused = []
        for path in written:
            try:
                parse_file(path)
            except LessonFileError as exc:
                refused.append(str(exc))
        if refused:
            for problem in refused:
                self.stderr.write(f"  {problem}")
            raise CommandError(
                f"{len(refused)} of the files written would not import again (above): "
                "correct those parts in the admin and export again"
            )

    def report_stale(self, directory: str, written: list, prune: bool) -> None:
        stale = stale_files(directory, written)
        if not stale:
            return
        if prune:
            for path in stale:
                path.unlink()
            self.stdout.write(f"{len(stale)} files the database no longer has, removed:")
        else:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(stale)} files here are not in the database (renamed, re-tiered, "
                    "re-ordered or deleted pieces): the next import would bring each back. "
                    "Remove them, or export again with --prune:"
                )
            )
        for path in stale:
            (self.stdout if prune else self.stderr).write(f"  {path}")
