"""The text of a search row's body, and where each step's text starts in it.

The body is what a tier version's page shows under its title and crux: the intro, goal and
recap, every step's heading, prose, snippet and text after it, and every question's prompt
and choices (never the explanations: they would give answers away), in one language as its
site shows it (Localized: English where a field has no translation). `body()` writes it with
the step starts, which the row keeps (SearchDocument.steps); `step_at()` reads them back to
tell which step a hit's snippet is from (lessons.search_query).

The Markdown fields are read as the reader sees them: from the HTML stored when they were
saved (rendered and sanitised by nh3, lessons.rendering), stripped to its text. Raw HTML in
an author's Markdown that the sanitiser removes (a <script>, an <img> and its alt text, a
comment) is then neither found nor shown in a snippet, and the words inside the tags it
keeps are indexed without the tags. Headings and snippets are shown as typed (escaped), so
they are read as typed.
"""

from __future__ import annotations

import bisect

from django.core.exceptions import ObjectDoesNotExist

from .models import Localized, TierVersion
from .search_text import html_text

# Between the body's parts (a snippet's code and the prose after it, say): shown in a snippet
# that spans two, where a line break would read as one run of words. Not a word: never indexed.
PART_BREAK = "\n…\n"


def body(version: TierVersion, language: str) -> tuple[str, list[int]]:
    """The body's text, and where in it each step's text starts, then where the text after the
    last step (the recap) starts: a step's start is just before the break that opens it."""
    local = Localized(version, language)
    parts: list[str] = []
    length = 0  # of PART_BREAK.join(parts)

    def add(*texts: str) -> None:
        nonlocal length
        for text in texts:
            text = text.strip()
            if text:
                length += len(text) + (len(PART_BREAK) if parts else 0)
                parts.append(text)

    add(html_text(local.intro_html), html_text(local.goal_html))
    starts = []
    for step in version.steps.all():
        starts.append(length)
        local_step = Localized(step, language)
        add(
            local_step.heading,
            html_text(local_step.prose_html),
            local_step.code,
            html_text(local_step.prose_after_html),
        )
        try:
            question = step.question
        except ObjectDoesNotExist:
            continue
        add(html_text(Localized(question, language).prompt_html))
        for choice in question.choices.all():
            add(html_text(Localized(choice, language).text_html))
    starts.append(length)
    add(html_text(local.recap_html))
    return PART_BREAK.join(parts), starts


def step_at(steps: str | None, matches: list[tuple[int, str]]) -> int | None:
    """The number of the step (from 1, as the piece page numbers them) that holds the most
    distinct terms of `matches` (Highlighter.snippet_matches: a snippet's stretch of a row's
    `text`), given the row's `steps`; the first of those on a tie. None for the intro, goal
    and recap, or a row written before `steps` was (NULL on SQLite, "" on PostgreSQL).

    Not just the step of the first match: a stretch that starts at the end of one step and
    holds every word in the next one is about the next one.
    """
    if not matches or not steps:
        return None
    starts = [int(start) for start in steps.split()]
    terms: dict[int, set[str]] = {}
    for position, term in matches:
        # A step with no text starts where the next one does: bisect_right passes over it.
        terms.setdefault(bisect.bisect_right(starts, position), set()).add(term)
    number = max(terms, key=lambda number: (len(terms[number]), -number))
    return number if 0 < number < len(starts) else None
