"""Pairing a lesson file with the rows it updates: the stored step and choice each of the
file's steps and choices is (learners' answers and the translations belong to those rows),
and whether a translation file was left behind by a reorder of the original's rows.

Pure functions over rows the importer has already fetched (no queries, no writes), so that
the rules can be read and tested apart from the import.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from .models import Choice, Step


def reordered_translation(
    stored: list[str], incoming: list, field: str = "text"
) -> tuple[int, int] | None:
    """(i, j) when the translation file's item i has the text row j (another) holds now: the
    original's rows were reordered and the file was not, so pairing by position would give
    each row another's translation, silently (the digests go by row: a reorder changes
    neither language). None when every text is where it was, or new."""
    rows = {text: j for j, text in enumerate(stored) if text}
    for i, item in enumerate(incoming):
        text = getattr(item, field)
        j = rows.get(text)
        if j is not None and j != i and stored[i] != text:
            return i, j
    return None


def match_steps(existing: list[Step], headings: list[str]) -> list[Step | None]:
    """The stored step each of the file's steps updates, or None for a new step.

    By heading first. A step whose heading is gone is taken as renamed only in place: between
    the same two steps (matched by heading) in the file as in the database, with as many
    unmatched steps there on both sides, and no step moved across that stretch. Anything
    looser guesses: a removed step paired with a step added elsewhere would hand its
    learners' answers to a question they never saw.
    """
    by_heading = {step.heading: step for step in existing}
    matched: list[Step | None] = [by_heading.get(heading) for heading in headings]
    kept = {step.pk for step in matched if step is not None}
    # Walk both lists from anchor to anchor (steps matched by heading; the end is the last).
    old_gap: list[Step] = []
    new_gap: list[int] = []
    in_place = True  # the stretch is bounded by the same anchors on both sides
    cursor = 0
    for index in range(len(headings) + 1):
        anchor = matched[index] if index < len(headings) else None
        if index < len(headings) and anchor is None:
            new_gap.append(index)
            continue
        while cursor < len(existing) and existing[cursor] is not anchor:
            if existing[cursor].pk in kept:
                in_place = False  # a matched step out of order: not the same neighbours
            else:
                old_gap.append(existing[cursor])
            cursor += 1
        if anchor is not None and cursor >= len(existing):
            in_place = False  # the anchor was behind us: the steps were reordered
        cursor += 1
        if in_place and len(old_gap) == len(new_gap):
            for step, new_index in zip(old_gap, new_gap, strict=True):
                matched[new_index] = step
        old_gap, new_gap, in_place = [], [], True
    return matched


def match_choices(current: list[Choice], wanted: list[tuple[str, bool]]) -> list[Choice | None]:
    """The stored choice each of the file's choices (text, right or not) updates, or None for
    a new one.

    A choice row is what answers point at and what carries the translation, so it stays with
    its text when choices are reordered: matched by text first. An edited text is matched to
    a stored choice that is right or wrong alike and at least half alike, the most similar
    first. Nothing else is paired (not even the only one left: replacing one distractor by
    another is the commonest edit): a reworded choice taken for another
    would show its learners "you chose" a choice they never saw, right where it was wrong.
    An unpaired stored choice is removed; its answers keep the revision they were given on.
    Matching on the `position` field duplicated choices that all had the admin's default 0.
    """
    unmatched = list(current)
    matched: list[Choice | None] = []
    for text, _correct in wanted:
        same = next((choice for choice in unmatched if choice.text == text), None)
        if same is not None:
            unmatched.remove(same)
        matched.append(same)
    open_new = [index for index, choice in enumerate(matched) if choice is None]
    for is_correct in (True, False):
        olds = [choice for choice in unmatched if choice.is_correct == is_correct]
        news = [index for index in open_new if wanted[index][1] == is_correct]
        pairs = sorted(
            (
                -SequenceMatcher(None, old.text, wanted[index][0]).ratio(),
                abs(current.index(old) - index),
                current.index(old),
                index,
            )
            for old in olds
            for index in news
        )
        taken_old: set[int] = set()
        for negative_ratio, _distance, old_index, new_index in pairs:
            if -negative_ratio < 0.5:
                break
            if old_index in taken_old or matched[new_index] is not None:
                continue
            matched[new_index] = current[old_index]
            taken_old.add(old_index)
    return matched
