"""Stored HTML made again when the renderer changes (rendering.RENDERER_VERSION).

Content is rendered once, when it is saved or imported, and pages only read the HTML. A
change to the renderer would reach only what is edited afterwards; the first `migrate` after
it (post_migrate) renders everything again instead, in batches, without signals (the text
itself, and so the translation digests, is unchanged), re-indexes every version for search
(whose body is the text of the stored HTML, lessons.search_body), then bumps the content
generation once so that no cached page keeps the old HTML.
"""

from __future__ import annotations

from django.db import transaction

from . import search_index
from .models import (
    Choice,
    Climb,
    ContentGeneration,
    Question,
    Step,
    TierVersion,
    bump_content_generation,
    lock_content,
)
from .rendering import RENDERER_VERSION

BATCH = 200
MODELS = (Climb, TierVersion, Step, Question, Choice)


def rerender_stale() -> int:
    """Render every row again if the stored HTML is older than the renderer; returns how
    many rows (0, with one query, when it is current)."""
    stored = ContentGeneration.objects.filter(pk=1).values_list("rendered_with", flat=True)
    if (stored.first() or 0) >= RENDERER_VERSION:
        return 0
    rows = 0
    with transaction.atomic():
        lock_content()  # before any content row, as every content write takes it
        for model in MODELS:
            batch, html_fields = [], set()
            for obj in model.objects.order_by("pk").iterator(chunk_size=BATCH):
                html_fields.update(obj.render(force=True))  # every field it renders
                batch.append(obj)
                if len(batch) == BATCH:
                    model.objects.bulk_update(batch, html_fields)
                    rows += len(batch)
                    batch = []
            if batch:
                model.objects.bulk_update(batch, html_fields)
                rows += len(batch)
        # A renderer change may change what a reader sees of the text (a tag the sanitiser
        # now keeps or drops): the index must hold what the new HTML shows.
        if search_index.writable():  # not part of the way through `migrate` (see there)
            search_index.reindex(TierVersion.objects.values_list("pk", flat=True))
        updated = ContentGeneration.objects.filter(pk=1).update(rendered_with=RENDERER_VERSION)
        if not updated:
            ContentGeneration.objects.create(pk=1, rendered_with=RENDERER_VERSION)
        bump_content_generation()
    return rows
