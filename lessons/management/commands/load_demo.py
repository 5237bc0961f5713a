from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lessons.importer import DEMO_CONTENT, import_paths
from lessons.lessonfile import LessonFileError


class Command(BaseCommand):
    help = (
        "Load the demo climb from lessons/content/ through the lesson importer. Idempotent: "
        "safe on a database that already has it, and it never touches learners' answers."
    )

    def handle(self, *args, **options):
        try:
            report = import_paths([DEMO_CONTENT])
        except LessonFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"demo climb: {report.summary()}")
