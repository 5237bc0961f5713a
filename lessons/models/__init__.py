"""Authored content: climbs, their pieces, each piece's tier versions, steps and questions.

HTML is rendered when a row is saved (see RenderedFieldsMixin) and stored beside its source, so
serving a page never runs Markdown or Pygments.

The models live in modules by what they hold (base, climbs, versions, steps, generation); every
name is imported here, so `from lessons.models import X` is the one way in. Importing
`generation` connects the signals that lock and bump the content generation on every write.
"""

from __future__ import annotations

from .base import (
    CONTENT_LANGUAGES,
    Localized,
    RenderedFieldsMixin,
    Status,
    Tier,
    TranslatedMixin,
)
from .climbs import Climb, ClimbQuerySet, LessonSlugValidator, Piece, PieceAlias, PieceQuerySet
from .generation import (
    ContentGeneration,
    bump_content_generation,
    content_generation,
    forget_content_generation,
    lock_content,
)
from .steps import Choice, Question, QuestionQuerySet, Step
from .versions import DIGEST_FIELDS, Source, TierVersion, TierVersionQuerySet

__all__ = [
    "CONTENT_LANGUAGES",
    "DIGEST_FIELDS",
    "Choice",
    "Climb",
    "ClimbQuerySet",
    "ContentGeneration",
    "LessonSlugValidator",
    "Localized",
    "Piece",
    "PieceAlias",
    "PieceQuerySet",
    "Question",
    "QuestionQuerySet",
    "RenderedFieldsMixin",
    "Source",
    "Status",
    "Step",
    "Tier",
    "TierVersion",
    "TierVersionQuerySet",
    "TranslatedMixin",
    "bump_content_generation",
    "content_generation",
    "forget_content_generation",
    "lock_content",
]
