"""The "most missed" list and the review of one of its questions: plain data, no database.

`stats.py` counts the team's first answers per question and choice as shown (`ChoiceCount`);
here they are ranked (most misses first), cut to the list's length with its ties counted,
and read for the wrong answer chosen most. `QuestionReview` is what the page of one
question from the list shows: who chose what first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.text import Truncator

from climb.learning.altitude import percent
from lessons.models import Tier

MISSED_LIMIT = 10

# --- input rows, as the queries return them ---------------------------------------------------


@dataclass(frozen=True)
class ChoiceCount:
    """First answers in the climb and period, per question and choice as shown."""

    question_id: int
    revision_id: int
    choice_index: int
    is_correct: bool
    count: int
    # The choice's row, which an edit of its text keeps (None once the author removed it):
    # what tells a changed right answer from a reworded one, as the review page does.
    choice_id: int | None = None


PROMPT_EXCERPT = 140  # characters of a question's prompt shown in the "most missed" list


@dataclass(frozen=True)
class QuestionInfo:
    question_id: int
    prompt: str  # whole, as plain text on one line: the download has it all
    title: str
    url: str
    tier: int
    # False where the text is the English original, shown for want of a translation.
    prompt_translated: bool = True
    title_translated: bool = True
    right_choice_id: int | None = None  # today's right choice

    @property
    def excerpt(self) -> str:
        """The prompt as the "most missed" table shows it."""
        return Truncator(self.prompt).chars(PROMPT_EXCERPT)


# --- output --------------------------------------------------------------------------------


@dataclass
class MissedQuestion:
    question: QuestionInfo
    first: int
    missed: int
    wrong_choice: str | None
    wrong_choice_count: int
    wrong_choice_ties: int = 0  # other wrong choices chosen as often
    # The author has made that choice the right one since: marked wrong when chosen.
    wrong_choice_now_right: bool = False

    @property
    def miss_rate(self) -> int:
        return percent(self.missed, self.first) if self.first else 0

    @property
    def tier(self) -> Tier:
        return Tier(self.question.tier)


@dataclass(frozen=True)
class ReviewChoice:
    """One choice of a question under review, and who in the team picked it first."""

    choice: object  # lessons.models.Choice
    names: list[str]
    answered: int  # first attempts at the question, all choices together
    # Of `names`, those whose answer was marked otherwise than the choice is now (right
    # when it is wrong, or wrong when it is right): the author changed the key since.
    marked_otherwise: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.names)

    @property
    def share(self) -> int | None:
        return percent(self.count, self.answered) if self.answered else None


@dataclass(frozen=True)
class QuestionReview:
    question: object  # lessons.models.Question, with its step, version, piece and climb
    choices: list[ReviewChoice]
    removed: list[str]  # who picked a choice the author has since removed
    answered: int
    missed: int

    @property
    def miss_rate(self) -> int:
        return percent(self.missed, self.answered) if self.answered else 0

    @property
    def key_changed(self) -> bool:
        """Some answers were marked against another right answer than today's."""
        return any(choice.marked_otherwise for choice in self.choices)


# --- the arithmetic ------------------------------------------------------------------------


def ranked_missed(counts: Iterable[ChoiceCount]) -> list[tuple[int, int, int]]:
    """(question_id, first attempts, missed) of every question wrong at a first attempt,
    the ones that trip the team up most first: most misses first (a high rate over two or
    three tries says little yet); among equal misses, the question more of the team
    answered, since the same misses among more members are the team's and not one
    member's guesses (1 of 9 before 1 of 1); then the oldest question."""
    first: dict[int, int] = defaultdict(int)
    missed: dict[int, int] = defaultdict(int)
    for row in counts:
        first[row.question_id] += row.count
        if not row.is_correct:
            missed[row.question_id] += row.count
    ranked = sorted((q for q in missed if missed[q]), key=lambda q: (-missed[q], -first[q], q))
    return [(q, first[q], missed[q]) for q in ranked]


def top_missed(counts: Iterable[ChoiceCount], limit: int = MISSED_LIMIT) -> list[tuple]:
    """The first `limit` of ranked_missed()."""
    return ranked_missed(counts)[:limit]


def tied_beyond(ranked: list[tuple[int, int, int]], limit: int = MISSED_LIMIT) -> int:
    """How many questions of `ranked` (ranked_missed()) past the first `limit` were missed
    as often as the last one listed: a tie the cut-off would otherwise hide."""
    if len(ranked) <= limit:
        return 0
    last = ranked[limit - 1][2]
    return sum(1 for _q, _first, missed in ranked[limit:] if missed == last)


def most_chosen_wrong(
    counts: Iterable[ChoiceCount], revision_choices: dict[int, list]
) -> dict[int, tuple[str, int, int, set[int]]]:
    """question_id -> (text of the wrong choice chosen most at the first attempt, count, how
    many other wrong choices were chosen as often, the choices' rows answered by that text).

    Read from the revision each answer was given to, as it was on screen; the same text
    across two revisions of a question counts once; the earlier-listed of equals is named,
    and the others counted, so that a tie is not shown as a favourite.
    """
    texts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows: dict[tuple[int, str], set[int]] = defaultdict(set)
    for row in counts:
        choices = revision_choices.get(row.revision_id)
        if row.is_correct or choices is None or not 0 <= row.choice_index < len(choices):
            continue
        text = choices[row.choice_index]["text"]
        texts[row.question_id][text] += row.count
        if row.choice_id is not None:
            rows[row.question_id, text].add(row.choice_id)
    best = {}
    for question_id, by_text in texts.items():
        text = max(by_text, key=lambda t: by_text[t])  # max keeps the first of equals
        ties = sum(1 for count in by_text.values() if count == by_text[text]) - 1
        best[question_id] = (text, by_text[text], ties, rows[question_id, text])
    return best
