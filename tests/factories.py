"""Plain factory functions: each builds only what a test needs, with overridable defaults."""

from __future__ import annotations

from itertools import count

from lessons.models import Choice, Climb, Piece, Question, Source, Status, Step, Tier, TierVersion

_sequence = count(1)


def make_climb(**overrides) -> Climb:
    n = next(_sequence)
    values = {"slug": f"climb-{n}", "title": f"Climb {n}", "description": "A *climb*."}
    values.update(overrides)
    return Climb.objects.create(**values)


def make_piece(climb: Climb | None = None, **overrides) -> Piece:
    n = next(_sequence)
    values = {"slug": f"piece-{n}", "order": n}
    values.update(overrides)
    return Piece.objects.create(climb=climb or make_climb(), **values)


def make_version(piece: Piece | None = None, steps: int = 0, **overrides) -> TierVersion:
    n = next(_sequence)
    values = {
        "tier": Tier.ZERO,
        "title": f"Piece title {n}",
        "crux": "The trap, in one line.",
        "minutes": 7,
        "intro": "An *intro*.",
        "goal": "A goal.",
        "recap": "The rule.",
        "status": Status.PUBLISHED,
    }
    values.update(overrides)
    version = TierVersion.objects.create(piece=piece or make_piece(), **values)
    for position in range(steps):
        make_step(version, position=position)
    return version


def make_step(version: TierVersion, question: bool = True, **overrides) -> Step:
    # Headings are unique in a version (lesson files find a step by its heading).
    taken = version.steps.count()
    values = {
        "heading": "Acquire, then write" + (f" ({taken + 1})" if taken else ""),
        "prose": "Read the **snippet**.",
        "language": "go",
        "code": "func main() {\n    lock.Acquire()\n    store.Put(x)\n}",
        "marked_lines": "2",
    }
    values.update(overrides)
    step = Step.objects.create(version=version, **values)
    if question:
        make_question(step)
    return step


def make_question(step: Step, correct: int = 1, choices: int = 3, **overrides) -> Question:
    values = {"prompt": "What happens *next*?"}
    values.update(overrides)
    question = Question.objects.create(step=step, **values)
    for position in range(choices):
        Choice.objects.create(
            question=question,
            position=position,
            text=f"Choice {position + 1}",
            is_correct=position == correct,
            explanation=f"Because of reason {position + 1}.",
        )
    return question


def make_source(version: TierVersion, **overrides) -> Source:
    values = {"title": "How to do distributed locking", "url": "https://example.com/locking"}
    values.update(overrides)
    return Source.objects.create(version=version, **values)


def make_answer(learner, choice: Choice, attempt: int = 1, **overrides):
    """An answer as Answer.record stores it, without the view around it."""
    from climb.learning.models import Answer, QuestionRevision

    choices = list(choice.question.choices.all())
    values = {
        "learner": learner,
        "question": choice.question,
        "choice": choice,
        "revision": QuestionRevision.current(choice.question, choices),
        "choice_index": [c.pk for c in choices].index(choice.pk),
        "is_correct": choice.is_correct,
        "attempt": attempt,
    }
    values.update(overrides)
    return Answer.objects.create(**values)
