from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lessons import search_index, translations
from lessons.exporter import file_name
from lessons.importer import import_paths
from lessons.lessonfile import LessonFileError


class Command(BaseCommand):
    help = (
        "Load lesson files (see the README's 'Writing lessons') into the database. Creates and "
        "updates; running it twice changes nothing; a bad file changes nothing at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Lesson files or folders of them.")

    def handle(self, *args, paths: list[str], **options):
        try:
            report = import_paths(paths)
        except LessonFileError as exc:
            raise CommandError(str(exc)) from None
        labelled = (
            ("created", report.created),
            ("updated", report.updated),
            ("translated", report.translated),
        )
        for label, items in labelled:
            for path in items:
                self.stdout.write(report.line(label, path))
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        # Recorded as the import committed (lessons.translations); at once when the command
        # runs inside an outer transaction (a test). Said on every import until the
        # translation is edited, or marked as checked in the admin.
        search_index.flush_pending()
        for version in translations.behind():
            name = f"{version.piece.climb.slug}/{file_name(version, 'ru')}"
            where = f" (changed: {'; '.join(version.changed)})" if version.changed else ""
            self.stderr.write(
                self.style.WARNING(
                    f"{name}: behind its English original, which changed since the "
                    f"translation last did{where}; update it, or mark it checked in the admin"
                )
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
