from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection

from lessons.search_index import rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the full-text search index from every tier version (drafts included: the "
        "search filters them out). Saving content keeps the index up to date by itself; this "
        "is for content written around the ORM (bulk_create, update(), raw SQL)."
    )

    def handle(self, *args, **options):
        count = rebuild()
        noun = "tier version" if count == 1 else "tier versions"
        self.stdout.write(f"search index rebuilt on {connection.vendor}: {count} {noun}")
