"""Cache invalidation: the content generation every content change bumps, and the content lock."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils.translation import gettext_lazy as _

from .climbs import Climb, Piece
from .steps import Choice, Question, Step
from .versions import Source, TierVersion


class ContentGeneration(models.Model):
    """One row holding a number that every content change bumps.

    It is part of every cache key derived from content, so an edit changes the keys and no
    page shows stale content. It lives in the database, not the cache, so that processes
    with their own local-memory cache (several gunicorn workers on SQLite) all see a bump;
    each process reads it at most every CONTENT_CHECK_SECONDS.
    """

    value = models.PositiveBigIntegerField(default=1, db_default=1)
    # rendering.RENDERER_VERSION when the stored HTML was last made whole (lessons.rerender).
    rendered_with = models.PositiveSmallIntegerField(default=1, db_default=1)

    class Meta:
        default_permissions = ()  # bookkeeping, not content: nobody edits it
        verbose_name = _("content generation")
        verbose_name_plural = _("content generation")

    def __str__(self) -> str:
        return str(self.value)


_generation: tuple[int, float] | None = None  # (value, monotonic time to check again)


def content_generation() -> int:
    """The current content generation, as this process last read it."""
    global _generation
    now = time.monotonic()
    if _generation is None or _generation[1] <= now:
        value = ContentGeneration.objects.filter(pk=1).values_list("value", flat=True).first()
        _generation = (value or 0, now + settings.CONTENT_CHECK_SECONDS)
    return _generation[0]


def forget_content_generation() -> None:
    global _generation
    _generation = None


def lock_content() -> None:
    """Take the content lock until the transaction ends: the ContentGeneration row, which
    every content write updates anyway. Every transaction that writes content takes it
    before any content row (an import, a re-index and the admin's conflict check at their
    start, any other save or delete just before it: `_lock_before_writing`), so on
    PostgreSQL they queue up in one order instead of one reading rows another is about to
    change, or two deadlocking (on SQLite the IMMEDIATE transaction serialises them)."""
    if ContentGeneration.objects.select_for_update().filter(pk=1).values_list("pk").first():
        return
    ContentGeneration.objects.get_or_create(pk=1)


def _lock_before_writing(sender, using: str, **kwargs) -> None:
    # Outside a transaction each statement commits on its own: there is no order to keep.
    if transaction.get_connection(using).in_atomic_block:
        lock_content()


def bump_content_generation(**kwargs) -> None:
    if not ContentGeneration.objects.filter(pk=1).update(value=F("value") + 1):
        ContentGeneration.objects.get_or_create(pk=1, defaults={"value": 2})
    # This process reads the new number at once, and again once the change is committed.
    forget_content_generation()
    transaction.on_commit(forget_content_generation)


for _model in (Climb, Piece, TierVersion, Source, Step, Question, Choice):
    pre_save.connect(_lock_before_writing, sender=_model, dispatch_uid=f"lock-{_model.__name__}")
    pre_delete.connect(
        _lock_before_writing, sender=_model, dispatch_uid=f"lock-del-{_model.__name__}"
    )
    post_save.connect(
        bump_content_generation, sender=_model, dispatch_uid=f"bump-{_model.__name__}"
    )
    post_delete.connect(
        bump_content_generation, sender=_model, dispatch_uid=f"unbump-{_model.__name__}"
    )
