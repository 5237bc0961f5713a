"""Whether a translation has kept up with its original.

An author edits the English and forgets the Russian: the Russian page goes on showing the
old snippet and prompt, and nothing says so. Each tier version keeps a digest of its English
text and of its Russian text (title, crux, intro, goal, recap, every step, question and
choice, explanations included, and the sources' notes), and the English digest the Russian
last changed against. When the English changes and the Russian does not, the translation is
*behind*: the admin lists it, `import_lessons` warns about it, and the Russian page says so,
until the Russian is edited or an author marks it as checked (an admin action).

The digests are recorded when content changes are committed, with the search index, which
tracks the same changes and reads the same rows (`search_index.reindex`), by `record()`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from .models import CONTENT_LANGUAGES, TierVersion, bump_content_generation

# What a digest is made of changes now and then (source notes joined in version 2): a stored
# digest without this prefix was made the old way and cannot be compared with a new one.
FORMAT = "2:"
# digest_ru_from for a translation that was behind when the format changed: the English it
# changed against cannot be digested the new way, and it is still behind.
UNKNOWN = "unknown"


def digest(version: TierVersion, language: str = "") -> str:
    """The version's text in `language` ("" for the English), as a short digest; "" for a
    language the version has no text in. `version` comes from `TierVersion.objects.with_text()`.

    Each row's fields by the row's id, not by position: reordering steps or choices changes
    neither text. The English includes which choice is right (a new key leaves the Russian
    explanations saying the old one is); the Russian holds only the fields it has, so that
    a step or choice added in English only leaves it as it was, and so behind.
    """
    suffix = f"_{language}" if language else ""
    if language and not getattr(version, f"title{suffix}"):
        return ""
    items: list[tuple[str, int, str, object]] = []

    def add(kind: str, row) -> None:
        for name in row.text_fields:
            value = getattr(row, name + suffix)
            if value or not language:
                items.append((kind, row.pk, name, value))

    add("version", version)
    for step in version.steps.all():
        add("step", step)
        question = getattr(step, "question", None)
        if question is None:
            continue
        add("question", question)
        for choice in question.choices.all():
            add("choice", choice)
            if not language:
                items.append(("choice", choice.pk, "is_correct", choice.is_correct))
    for source in version.sources.all():
        add("source", source)
    items.sort(key=lambda item: item[:3])
    encoded = json.dumps(items, ensure_ascii=False).encode()
    return FORMAT + hashlib.blake2b(encoded, digest_size=15).hexdigest()


def record(versions: Iterable[TierVersion]) -> None:
    """Bring these versions' digests up to date, in one UPDATE (no signals).

    `versions` come from `TierVersion.objects.with_text()`: the search index re-indexes the
    same versions from the same rows (`search_index.reindex`).
    """
    assert CONTENT_LANGUAGES == ("ru",), "the digest columns are the Russian ones"
    changed, went = [], False
    for version in versions:
        english, russian = digest(version), digest(version, "ru")
        was = version.translation_behind
        old_format = not version.digest.startswith(FORMAT)
        if english == version.digest and russian == version.digest_ru:
            continue
        if russian != version.digest_ru:
            # The Russian changed (or is new, or is seen for the first time, or was digested
            # the old way): it is as up to date as the English it changed against.
            version.digest_ru_from = english if russian else ""
            if old_format and was and russian:
                version.digest_ru_from = UNKNOWN
        version.digest, version.digest_ru = english, russian
        changed.append(version)
        went |= was != version.translation_behind
    TierVersion.objects.bulk_update(changed, ["digest", "digest_ru", "digest_ru_from"])
    if went:
        # The Russian page says whether it is behind: pages kept from before must go.
        bump_content_generation()


BATCH = 200


def sync() -> None:
    """Record the digests of versions with none yet, or with digests made the old way
    (post_migrate). A database from before digests gets them on the migrate that adds them,
    each translation counted as up to date with the English as it is then; a new format
    keeps each translation as behind, or not, as it was."""
    stale = TierVersion.objects.with_text().exclude(digest__startswith=FORMAT)
    record(stale.iterator(chunk_size=BATCH))  # prefetched chunk by chunk


def behind() -> list[TierVersion]:
    """Translated versions whose Russian is behind their English."""
    return list(
        TierVersion.objects.translation_behind()
        .select_related("piece__climb")
        .only("tier", "piece__slug", "piece__order", "piece__climb__slug")
    )
