"""Translations (.ru.md): the mark of a part not translated yet, and whether a
translation has its original's shape (the same steps, questions and right choices)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .data import QuestionData, VersionData, counted
from .syntax import lines_of

# A part of a translation with no translation yet: a step, question or choice added to the
# English (by a file imported without its .ru.md, or on a step's or question's own admin page),
# or a choice rewritten there. The exporter writes the English text after this mark, so that
# the .ru.md imports again; the importer stores nothing for a marked part, so the Russian page
# shows the English there and the translation stays behind, until a translator replaces the
# text and the mark.
UNTRANSLATED = "[untranslated]"


def mark_untranslated(english: str) -> str:
    """The English text of a part with no translation, marked: on the line of a one-line
    text (a heading, a choice), as a paragraph of its own before a longer one (which may
    start with a list or a code fence)."""
    if "\n" in english:
        return f"{UNTRANSLATED}\n\n{english}"
    return f"{UNTRANSLATED} {english}"


def translated_text(text: str) -> str:
    """The text of a translation's part, or "" for one marked as not translated yet (which
    `misused_mark` has let through: the mark alone, or the mark and the English)."""
    return "" if text.startswith(UNTRANSLATED) else text


def misused_mark(text: str, english: Iterable[str]) -> bool:
    """Whether `text` starts with the mark and yet is not a part left untranslated: the
    mark alone, or the mark and one of `english` (the English as it stands; the importer and
    the admin also take it as it stood before the edit, which an earlier export wrote).

    A translator who types the Russian over the English and leaves the mark would have
    the translation thrown away without a word; the file, or the admin, refuses it. Taking
    the text without its mark instead would guess: a mark may as well say "I have not
    finished this part" as "I forgot to remove it", and only the translator knows."""
    if not text.startswith(UNTRANSLATED):
        return False
    rest = text[len(UNTRANSLATED) :].strip()
    return bool(rest) and rest not in {each.strip() for each in english}


def misused_question_mark(question: QuestionData, originals: list[QuestionData]) -> str:
    """The first text of a translated question (the admin's Russian box) that keeps the mark
    over a translation (`misused_mark`: its English is in `originals`), or ""."""

    def parts(each: QuestionData) -> list[str]:
        return [each.prompt] + [text for c in each.choices for text in (c.text, c.explanation)]

    english = [parts(original) for original in originals]
    for index, text in enumerate(parts(question)):
        if misused_mark(text, [texts[index] for texts in english if index < len(texts)]):
            return text
    return ""


MISUSED_MARK = (
    "{where} starts with " + UNTRANSLATED + " but is not the English after it: remove the "
    "mark from a translated text (a marked part is stored as not translated, its text thrown "
    "away); a part not translated yet is the mark alone, or the mark and the English as it "
    "stands"
)


def translatable_parts(version: VersionData) -> Iterator[tuple[tuple, str, str, int | None]]:
    """(key, what, text, line) of each part of a version that a translation may leave
    marked as not translated yet (lessonfile.UNTRANSLATED): the key pairs a translation's
    part with its original's."""
    yield ("crux",), "the crux", version.crux, version.line("crux")
    for name in ("intro", "goal", "recap"):
        yield (name,), f"the {name}", getattr(version, name), version.line(f"## {name}")
    for number, step in enumerate(version.steps, start=1):
        yield ("heading", number), f"step {number}'s heading", step.heading, step.line
        question = step.question
        if question is None:
            continue
        yield ("prompt", number), f"step {number}'s question", question.prompt, question.line
        for index, choice in enumerate(question.choices, start=1):
            where = f"step {number}'s choice {index}"
            yield ("choice", number, index), where, choice.text, choice.line
            line = choice.line + 1 if choice.line else None
            where = f"the explanation of {where}"
            yield ("explanation", number, index), where, choice.explanation, line


def untranslated_lines(translation: VersionData) -> list[int | None]:
    """The line of each part a translation marks as not translated yet."""
    return [
        line
        for _key, _what, text, line in translatable_parts(translation)
        if text.startswith(UNTRANSLATED)
    ]


def mark_problem(
    originals: list[VersionData], translation: VersionData
) -> tuple[int | None, str] | None:
    """(line, why) of the first part of `translation` that keeps the mark over a text that
    is not its English in any of `originals` (see `misused_mark`), or None."""
    english: dict[tuple, list[str]] = {}
    for original in originals:
        for key, _what, text, _line in translatable_parts(original):
            english.setdefault(key, []).append(text)
    for key, what, text, line in translatable_parts(translation):
        if misused_mark(text, english.get(key, ())):
            return line, MISUSED_MARK.format(where=what)
    return None


def translation_problem(
    original: VersionData, translation: VersionData, earlier: VersionData | None = None
) -> tuple[int | None, str] | None:
    """(line, why) where a translation does not have its original's shape, or None.

    The same steps, questions and choices with the same one right (so that every answer
    means the same in both languages), a translated snippet with as many lines (so that
    the marked lines still point right), one note per source, and no translated text left
    marked as not translated (`misused_mark`; against `earlier` too, the original as stored
    before an import). Used by the importer against the stored original, and by the
    checker against the original's file."""
    notes = translation.source_notes
    if notes and len(notes) != len(original.sources):
        return translation.line("source_notes"), (
            f"the translation has {counted(len(notes), 'source note')}, the original has "
            f"{counted(len(original.sources), 'source')}: one note per source, in order "
            '("" for none)'
        )
    if len(translation.steps) != len(original.steps):
        headings = ", ".join(repr(step.heading) for step in original.steps)
        # Where they part: the first step past the original's; one short, the '## Recap'
        # heading, where the translation's steps end (the message lists the original's, to
        # tell which one is missing: the headings differ by language).
        extra = translation.steps[len(original.steps) :]
        return extra[0].line if extra else translation.line("## recap"), (
            f"the translation has {counted(len(translation.steps), 'step')}, the original has "
            f"{len(original.steps)}: {headings}"
        )
    pairs = zip(original.steps, translation.steps, strict=True)
    for number, (step, mine) in enumerate(pairs, start=1):
        where = f"step {number} ({mine.heading!r})"
        lines = len(lines_of(step.code))
        if mine.code and len(lines_of(mine.code)) != lines:
            return mine.line, (
                f"{where}: a translated snippet must keep the original's "
                f"{counted(lines, 'line')}, so the marked lines still point right"
            )
        if step.question is not None and mine.question is None:
            return mine.line, (
                f"{where}: the original asks a question here and the translation has no "
                "'### Question': translate it, with its choices in the same order"
            )
        if step.question is None and mine.question is not None:
            return mine.question.line, (
                f"{where}: the translation asks a question the original does not: take it "
                "out, or add it to the original first"
            )
        if step.question is not None and [c.is_correct for c in step.question.choices] != [
            c.is_correct for c in mine.question.choices
        ]:
            return mine.question.line, (
                f"{where}: the translation needs the original's {len(step.question.choices)} "
                "choices in the same order, with the same one marked correct"
            )
    return mark_problem([original] + ([earlier] if earlier else []), translation)
