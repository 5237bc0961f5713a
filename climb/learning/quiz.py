"""How a piece's steps unfold for one learner, from the answers they gave.

The first step is open; a step's question, once answered (right or wrong), opens the next.
A learner who comes back sees every step they reached, with their answers. A learner who
climbs a piece again (a new round) sees each question's choices in another order.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from lessons.models import Choice, Step

from .altitude import clears, needed_to_clear

OPEN = "open"
ANSWERED = "answered"
LOCKED = "locked"


@dataclass(slots=True)
class Attempt:
    """One of the learner's answers, as much of it as a page shows."""

    question_id: int
    choice_id: int | None
    is_correct: bool
    attempt: int
    choice: Choice | None  # None once an author removed the choice


@dataclass
class StepState:
    step: Step
    number: int
    state: str
    answers: list = field(default_factory=list)  # this learner's attempts, in order
    round: int = 1  # the learner's round in the piece
    last_step: bool = False  # no step after it: a wrong answer there opens only the recap
    # Locked: the open step whose question stands in the way, where the placeholder links
    # (a search hit's #step-N lands on a locked step, far below it).
    opener: StepState | None = None

    @cached_property
    def choices(self) -> list[Choice]:
        """The question's choices in the order this round shows them."""
        return in_round_order(list(self.question.choices.all()), self.question.pk, self.round)

    @property
    def question(self):
        return getattr(self.step, "question", None)

    @property
    def last(self):
        return self.answers[-1] if self.answers else None

    @property
    def solved(self) -> bool:
        return any(answer.is_correct for answer in self.answers)

    @property
    def first_try_right(self) -> bool:
        return bool(self.answers) and self.answers[0].is_correct

    @property
    def next_attempt(self) -> int:
        return len(self.answers) + 1

    @property
    def correct_choice(self) -> Choice | None:
        """Only for answered steps: the page never carries the answer before that."""
        if self.state != ANSWERED or self.question is None:
            return None
        return next((c for c in self.question.choices.all() if c.is_correct), None)

    @property
    def other_choices(self) -> list[Choice]:
        if self.state != ANSWERED or self.question is None:
            return []
        return [c for c in self.question.choices.all() if not c.is_correct]

    @property
    def tried_choice_ids(self) -> set[int]:
        return {answer.choice_id for answer in self.answers}


def in_round_order(choices: list[Choice], question_id: int, round_: int) -> list[Choice]:
    """`choices` (in the author's order) as round `round_` shows them.

    Round 1 keeps the author's order. Each later round has an order of its own, with the
    right choice at another place than in the round before, so a learner who climbs a piece
    again has to find the answer, not remember where it was. The order depends only on the
    question and the round (seeded from both: the same in every process), so the step as
    rendered is the same for everyone in that round and can be kept for all of them.
    """
    count = len(choices)
    right = next((n for n, choice in enumerate(choices) if choice.is_correct), None)
    if round_ <= 1 or count < 2 or right is None:
        return choices
    place = right
    for earlier in range(2, round_ + 1):
        rng = random.Random(f"climb.choices:{question_id}:{earlier}")
        place = rng.choice([n for n in range(count) if n != place])
    others = [choice for choice in choices if not choice.is_correct]
    rng.shuffle(others)
    others.insert(place, choices[right])
    return others


def unfold(steps: Iterable[Step], answers: Iterable, round_: int = 1) -> list[StepState]:
    """Step states in order. `answers` are the learner's answers to these steps' questions
    in round `round_`."""
    by_question: dict[int, list] = {}
    for answer in sorted(answers, key=lambda a: a.attempt):
        by_question.setdefault(answer.question_id, []).append(answer)
    states: list[StepState] = []
    opener: StepState | None = None  # the first question not answered yet: it locks the rest
    for number, step in enumerate(steps, start=1):
        question = getattr(step, "question", None)
        if opener is not None:
            states.append(StepState(step, number, LOCKED, round=round_, opener=opener))
            continue
        if question is None:
            states.append(StepState(step, number, OPEN, round=round_))
            continue
        mine = by_question.get(question.pk, [])
        states.append(StepState(step, number, ANSWERED if mine else OPEN, mine, round_))
        if not mine:
            opener = states[-1]
    if states:
        states[-1].last_step = True
    return states


def finished(states: list[StepState]) -> bool:
    return all(state.state != LOCKED for state in states) and not any(
        state.state == OPEN and state.question is not None for state in states
    )


@dataclass(frozen=True)
class Outcome:
    """How a finished round of a piece went: what the recap says about clearing it."""

    questions: int
    right: int  # right at the first attempt

    @property
    def needed(self) -> int:
        return needed_to_clear(self.questions)

    @property
    def cleared(self) -> bool:
        return clears(self.questions, self.questions, self.right)

    @property
    def key(self) -> str:
        return f"{self.questions}.{self.right}"


def outcome(states: list[StepState]) -> Outcome | None:
    """None until every question of the round is answered: the page's "finished"."""
    if not finished(states):
        return None
    asked = [state for state in states if state.question is not None]
    return Outcome(len(asked), sum(1 for state in asked if state.first_try_right))
