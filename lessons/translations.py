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

from django.db.models import F
from django.utils.translation import gettext, gettext_lazy

from .models import CONTENT_LANGUAGES, TierVersion, TierVersionQuerySet, bump_content_generation

# What a digest is made of changes now and then (source notes joined in version 2): a stored
# digest without this prefix was made the old way and cannot be compared with a new one.
FORMAT = "2:"
# digest_ru_from for a translation that was behind when the format changed: the English it
# changed against cannot be digested the new way, and it is still behind.
UNKNOWN = "unknown"
# digest_ru_from for a translation that changed without catching up: a part of its English
# has no translation (see record()).
INCOMPLETE = "incomplete"


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
    encoded = json.dumps(_items(version, language), ensure_ascii=False).encode()
    return FORMAT + hashlib.blake2b(encoded, digest_size=15).hexdigest()


def parts(version: TierVersion) -> dict[str, str]:
    """The English text part by part, "step:12:prose" to a short digest of it: kept with
    the English the Russian last changed against, to say which parts changed since."""
    return {f"{kind}:{pk}:{name}": _part(value) for kind, pk, name, value in _items(version, "")}


def _part(value: object) -> str:
    return hashlib.blake2b(
        json.dumps(value, ensure_ascii=False).encode(), digest_size=6
    ).hexdigest()


def _items(version: TierVersion, language: str) -> list[tuple[str, int, str, object]]:
    suffix = f"_{language}" if language else ""
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
    return items


# The text a translation must have wherever its English has some (prose and a snippet may be
# left to the English): what a .ru.md cannot leave out.
REQUIRED = {"crux", "intro", "goal", "recap", "heading", "prompt", "text", "explanation"}


def _untranslated(version: TierVersion, language: str = "ru") -> set[str]:
    """The parts (as `parts` names them) that have English text and no translation."""
    missing: set[str] = set()

    def check(kind: str, row) -> None:
        for name in REQUIRED.intersection(row.text_fields):
            if getattr(row, name) and not getattr(row, f"{name}_{language}"):
                missing.add(f"{kind}:{row.pk}:{name}")

    check("version", version)
    for step in version.steps.all():
        check("step", step)
        question = getattr(step, "question", None)
        if question is not None:
            check("question", question)
            for choice in question.choices.all():
                check("choice", choice)
    return missing


def changed_parts(version: TierVersion) -> list[str] | None:
    """What changed in the English since the Russian last did, in words ("intro", "step
    “Renew it”: prose", "step “Renew it”: which choice is right"), in the order of the page;
    None when that is not known (the Russian last changed before parts were kept).
    `version` comes from `TierVersion.objects.with_text()`."""
    before = version.digest_ru_from_parts
    if not before:
        return None
    now = parts(version)
    rows = _rows(version)
    right = _part(True)
    changed = [
        key
        for key in now.keys() | before.keys()
        if now.get(key) != before.get(key)
        # A wrong choice added or removed leaves which choice is right as it was.
        and not (key.endswith(":is_correct") and right not in (now.get(key), before.get(key)))
    ]
    described: list[str] = []
    for _place, words in sorted(_describe(rows, key) for key in changed):
        if words not in described:
            described.append(words)
    return described


# A part of a version: its place on the page, the row, and where it is in words (the step's
# words too, for a choice: which choice is right is said of the question).
_Row = tuple[int, object, str, str]


def _rows(version: TierVersion) -> dict[tuple[str, int], _Row]:
    rows: dict[tuple[str, int], _Row] = {("version", version.pk): (0, version, "", "")}
    for place, step in enumerate(version.steps.all(), start=1):
        where = gettext("step “%(heading)s”") % {"heading": step.heading}
        rows[("step", step.pk)] = (place, step, where, where)
        question = getattr(step, "question", None)
        if question is None:
            continue
        rows[("question", question.pk)] = (place, question, where, where)
        for number, choice in enumerate(question.choices.all(), start=1):
            said = gettext("%(step)s, choice %(number)d") % {"step": where, "number": number}
            rows[("choice", choice.pk)] = (place, choice, said, where)
    for number, source in enumerate(version.sources.all(), start=1):
        said = gettext("source %(number)d") % {"number": number}
        rows[("source", source.pk)] = (10_000 + number, source, said, said)
    return rows


REMOVED = {
    "step": gettext_lazy("a step since removed"),
    "question": gettext_lazy("a question since removed"),
    "choice": gettext_lazy("a choice since removed"),
    "source": gettext_lazy("a source since removed"),
}


def _describe(rows: dict[tuple[str, int], _Row], key: str) -> tuple[int, str]:
    """(place on the page, the part in words) of a part's key."""
    kind, pk, name = key.split(":", 2)
    found = rows.get((kind, int(pk)))
    if found is None:
        return 20_000, str(REMOVED[kind])
    place, row, where, step = found
    if name == "is_correct":
        where, label = step, gettext("which choice is right")
    else:
        label = str(type(row)._meta.get_field(name).verbose_name)
    return place, f"{where}: {label}" if where else label


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
        missing = _untranslated(version) if russian != version.digest_ru and russian else set()
        if missing:
            # The Russian changed, but a part of the English has none yet (a choice the
            # English rewrote: its row went, with its translation, and a new one came): it
            # has not caught up. It stays behind the English it last caught up with, or, if
            # it never did or the English is that still, behind what it lacks now.
            if version.digest_ru_from in ("", english):
                version.digest_ru_from = INCOMPLETE
                version.digest_ru_from_parts = {
                    key: value for key, value in parts(version).items() if key not in missing
                }
        elif russian != version.digest_ru:
            # The Russian changed (or is new, or is seen for the first time, or was digested
            # the old way): it is as up to date as the English it changed against.
            version.digest_ru_from = english if russian else ""
            version.digest_ru_from_parts = parts(version) if russian else {}
            if old_format and was and russian:
                version.digest_ru_from = UNKNOWN
                version.digest_ru_from_parts = {}
        version.digest, version.digest_ru = english, russian
        changed.append(version)
        went |= was != version.translation_behind
    TierVersion.objects.bulk_update(
        changed, ["digest", "digest_ru", "digest_ru_from", "digest_ru_from_parts"]
    )
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
    # Translations up to date from before parts were kept: their English is today's.
    unparted = TierVersion.objects.filter(digest_ru_from=F("digest"), digest_ru_from_parts={})
    mark_checked(unparted)


def mark_checked(versions: TierVersionQuerySet) -> int:
    """The Russian of these versions is as up to date as their English is now (an author
    checked it: the English changed in a way it needs no change for). Returns how many."""
    checked = []
    chosen = versions.exclude(title_ru="").values("pk")
    texts = TierVersion.objects.with_text().filter(pk__in=chosen)  # not the admin's joins
    for version in texts.iterator(chunk_size=BATCH):
        version.digest_ru_from, version.digest_ru_from_parts = version.digest, parts(version)
        checked.append(version)
    TierVersion.objects.bulk_update(checked, ["digest_ru_from", "digest_ru_from_parts"])
    if checked:
        bump_content_generation()  # update() sends no signals; pages say "behind"
    return len(checked)


def behind() -> list[TierVersion]:
    """Translated versions whose Russian is behind their English, with their piece and
    climb, and what changed (`changed_parts`) as `.changed`."""
    versions = list(
        TierVersion.objects.translation_behind()
        .select_related("piece__climb")
        .only("tier", "piece__slug", "piece__order", "piece__climb__slug")
    )
    texts = TierVersion.objects.with_text().in_bulk([version.pk for version in versions])
    for version in versions:
        version.changed = changed_parts(texts[version.pk])
    return versions
