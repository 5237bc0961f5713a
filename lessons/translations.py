"""Whether a translation has kept up with its original.

An author edits the English and forgets the Russian: the Russian page goes on showing the
old snippet and prompt, and nothing says so. Each tier version keeps a digest of its English
text and of its Russian text (title, crux, intro, goal, recap, every step, question and
choice, explanations included), and the English digest the Russian last changed against.
When the English changes and the Russian does not, the translation is *behind*: the admin
lists it, `import_lessons` warns about it, and the Russian page says so, until the Russian
is edited or an author marks it as checked (an admin action).

The digests are recorded when content changes are committed, with the search index (which
tracks the same changes: `search_index.flush_pending`), by `record()`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.db.models import Prefetch

from .models import (
    CONTENT_LANGUAGES,
    Choice,
    Step,
    TierVersion,
    bump_content_generation,
)

VERSION_TEXT = ("title", "crux", "intro", "goal", "recap")
STEP_TEXT = ("heading", "prose", "code", "prose_after")


def digest(version: TierVersion, language: str = "") -> str:
    """The version's text in `language` ("" for the English), as a short digest; "" for a
    language the version has no text in.

    Each row's fields by the row's id, not by position: reordering steps or choices changes
    neither text. The English includes which choice is right (a new key leaves the Russian
    explanations saying the old one is); the Russian holds only the fields it has, so that
    a step or choice added in English only leaves it as it was, and so behind.
    """
    suffix = f"_{language}" if language else ""
    if language and not getattr(version, f"title{suffix}"):
        return ""
    items: list[tuple[str, int, str, object]] = []

    def add(kind: str, row, names: tuple[str, ...]) -> None:
        for name in names:
            value = getattr(row, name + suffix)
            if value or not language:
                items.append((kind, row.pk, name, value))

    add("version", version, VERSION_TEXT)
    for step in version.steps.all():
        add("step", step, STEP_TEXT)
        question = getattr(step, "question", None)
        if question is None:
            continue
        add("question", question, ("prompt",))
        for choice in question.choices.all():
            add("choice", choice, ("text", "explanation"))
            if not language:
                items.append(("choice", choice.pk, "is_correct", choice.is_correct))
    items.sort(key=lambda item: item[:3])
    encoded = json.dumps(items, ensure_ascii=False).encode()
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def _versions(ids: list[int]):
    steps = Step.objects.select_related("question").prefetch_related(
        Prefetch("question__choices", queryset=Choice.objects.order_by("position", "id"))
    )
    return TierVersion.objects.filter(pk__in=ids).prefetch_related(
        Prefetch("steps", queryset=steps.order_by("position", "id"))
    )


def record(version_ids: Iterable[int]) -> None:
    """Bring these versions' digests up to date (queryset updates: no signals, no loop)."""
    assert CONTENT_LANGUAGES == ("ru",), "the digest columns are the Russian ones"
    changed = False
    for version in _versions(sorted(set(version_ids))):
        english, russian = digest(version), digest(version, "ru")
        values = {}
        if english != version.digest:
            values["digest"] = english
        if russian != version.digest_ru:
            # The Russian changed (or is new, or is seen for the first time): it is as up to
            # date as the English it changed against.
            values["digest_ru"] = russian
            values["digest_ru_from"] = english if russian else ""
        if values:
            TierVersion.objects.filter(pk=version.pk).update(**values)
            was = version.translation_behind
            for name, value in values.items():
                setattr(version, name, value)
            changed |= was != version.translation_behind
    if changed:
        # The Russian page says whether it is behind: pages kept from before must go.
        bump_content_generation()


def sync() -> None:
    """Record the digests of versions that have none yet (post_migrate): a database from
    before they existed gets them on the migrate that adds them, each translation counted as
    up to date with the English as it is then."""
    record(TierVersion.objects.filter(digest="").values_list("pk", flat=True))


def behind() -> list[TierVersion]:
    """Translated versions whose Russian is behind their English."""
    return [
        version
        for version in TierVersion.objects.exclude(title_ru="")
        .exclude(digest_ru_from="")
        .select_related("piece__climb")
        .only(
            "title_ru",
            "digest",
            "digest_ru_from",
            "tier",
            "piece__slug",
            "piece__order",
            "piece__climb__slug",
        )
        if version.translation_behind
    ]
