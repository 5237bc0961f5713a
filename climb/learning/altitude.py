"""The altitude rule, as plain functions (documented on the "about altitude" page).

A tier version is *cleared* when every question in it has been answered and at least three
quarters were right at the first attempt. A learner who answered every question without
clearing it may climb it again: the new round's first attempts count, and the version is
cleared when any of its rounds is (`best_round`). A learner's altitude in a climb is the
highest tier such that every piece version at that tier and at each tier below it is
cleared. A tier the climb has no pieces at neither blocks the climb nor counts on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import TypeVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lessons.models import Tier

V = TypeVar("V")

CLEAR_RATIO = (3, 4)  # right at the first attempt / questions


def clears(questions: int, answered: int, first_right: int) -> bool:
    """The rule for one round of a tier version."""
    right, out_of = CLEAR_RATIO
    return questions > 0 and answered >= questions and first_right * out_of >= questions * right


def percent(part: int, whole: int) -> int:
    """Whole percent, as every page and download shows accuracy: half up (5 of 40 is 13%,
    not Python's 12%), and never 0 or 100 unless exactly: 199 of 200 right is 99%, one miss
    in 200 is 1%."""
    value = (200 * part + whole) // (2 * whole)
    if value == 100 and part < whole:
        return 99
    if value == 0 and part > 0:
        return 1
    return value


def needed_to_clear(questions: int) -> int:
    """How many first attempts must be right to clear `questions` questions."""
    right, out_of = CLEAR_RATIO
    return -(-questions * right // out_of)


class Status(str, Enum):
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    CLEARED = "cleared"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.NOT_STARTED: _("Not started"),
    Status.IN_PROGRESS: _("In progress"),
    Status.CLEARED: _("Cleared"),
}


@dataclass(frozen=True)
class VersionScore:
    version_id: int
    piece_id: int
    climb_id: int
    tier: int
    questions: int
    answered: int
    first_right: int
    # The learner started a new round and has answered nothing in it yet: `answered` and
    # `first_right` are still the round before's (see `on_new_round`), yet that round no
    # longer waits to be climbed again: the learner is on its way, in progress.
    new_round: bool = False

    @property
    def cleared(self) -> bool:
        return clears(self.questions, self.answered, self.first_right)

    @property
    def to_climb_again(self) -> bool:
        """Every question answered, too few right at the first try, and no new round started
        yet: a new round awaits."""
        return 0 < self.questions <= self.answered and not self.cleared and not self.new_round

    @property
    def status(self) -> Status:
        if self.cleared:
            return Status.CLEARED
        return Status.IN_PROGRESS if self.answered else Status.NOT_STARTED


def best_round(rounds: dict[int, tuple[int, int]], questions: int) -> tuple[int, int]:
    """(answered, right at the first attempt) of the round that counts for a version: one
    that cleared it, else the latest with answers. `rounds`: round -> those two counts; a
    round started with nothing answered in it yet is (0, 0) and never counts here (see
    `on_new_round`)."""
    for number in sorted(rounds):
        if clears(questions, *rounds[number]):
            return rounds[number]
    answered = [number for number, (count, _right) in rounds.items() if count]
    return rounds[max(answered)] if answered else (0, 0)


def on_new_round(rounds: dict[int, tuple[int, int]], questions: int) -> bool:
    """Has the learner started a round of the version after the one `best_round` counts,
    with nothing answered in it yet, and no round cleared? `rounds` as for `best_round`.

    Such a learner already climbs the piece again: every page says "in progress", not
    "climb it again" (the audit found the old round's verdict still shown)."""
    answered = [number for number, (count, _right) in rounds.items() if count]
    if not answered or any(clears(questions, *counts) for counts in rounds.values()):
        return False
    return max(rounds) > max(answered)


def altitude_from(scores: list[VersionScore]) -> Tier | None:
    """The highest tier reached given one climb's version scores; None before Zero."""
    by_tier: dict[int, list[VersionScore]] = {}
    for score in scores:
        if score.questions:
            by_tier.setdefault(score.tier, []).append(score)
    altitude = None
    for tier in Tier:
        versions = by_tier.get(tier)
        if not versions:
            continue
        if not all(v.cleared for v in versions):
            break
        altitude = tier
    return altitude


def without_first_answer(
    scores: list[VersionScore], version_id: int, is_correct: bool
) -> list[VersionScore]:
    """The scores as they were before one first attempt in `version_id` was counted."""
    return [
        replace(
            score,
            answered=score.answered - 1,
            first_right=score.first_right - (1 if is_correct else 0),
        )
        if score.version_id == version_id
        else score
        for score in scores
    ]


def next_tier(altitude: Tier | None) -> Tier | None:
    if altitude is None:
        return Tier.ZERO
    return Tier(altitude + 1) if altitude < Tier.SENIOR else None


def piece_status(scores: list[VersionScore]) -> Status:
    """A piece is cleared when all its versions are; in progress once anything is answered."""
    counted = [s for s in scores if s.questions]
    if counted and all(s.cleared for s in counted):
        return Status.CLEARED
    if any(s.answered for s in scores):
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


def piece_statuses(scores: list[VersionScore]) -> dict[int, Status]:
    """piece_id -> its status, for the pieces these scores cover."""
    by_piece: dict[int, list[VersionScore]] = {}
    for score in scores:
        by_piece.setdefault(score.piece_id, []).append(score)
    return {piece_id: piece_status(versions) for piece_id, versions in by_piece.items()}


ALTITUDE_LINES = {
    None: _("At base camp: every climb starts with one answer."),
    Tier.ZERO: _("Off the ground: you know what these things are and why they exist."),
    Tier.JUNIOR: _("Junior altitude: you use the tools the way they are meant to be used."),
    Tier.MIDDLE: _("Middle altitude: you know how it fails. The summit is in sight."),
    Tier.SENIOR: _("Senior altitude: you read the logs and choose the fix. Summit reached."),
}
# Once a learner has answered something in the climb: base camp is no longer a start line.
BASE_CAMP_STARTED = _("At base camp: clearing every Zero piece takes you off the ground.")


@dataclass
class Altitude:
    """What the altitude panel shows for one learner in one climb."""

    tier: Tier | None
    reached: list[Tier]
    started: bool = False  # anything answered in the climb
    # (cleared, all) of the climb's versions at the tier climbed toward, from the learner's
    # scores; None without scores (a reader with no history, who sees the shared page).
    progress: tuple[int, int] | None = None

    @property
    def toward(self) -> Tier | None:
        return next_tier(self.tier)

    @property
    def progress_line(self) -> str:
        """What the next tier asks for ("Zero: 1 of 3 pieces cleared."); empty without
        scores (a reader with no history) or past the summit."""
        if self.progress is None or self.toward is None:
            return ""
        cleared, total = self.progress
        return ngettext(
            "%(tier)s: %(cleared)d of %(total)d piece cleared.",
            "%(tier)s: %(cleared)d of %(total)d pieces cleared.",
            total,
        ) % {"tier": self.toward.label, "cleared": cleared, "total": total}

    @property
    def line(self) -> str:
        if self.tier is None and self.started:
            line = str(BASE_CAMP_STARTED)
        else:
            line = str(ALTITUDE_LINES[self.tier])
        return f"{line} {self.progress_line}".rstrip()

    @property
    def key(self) -> str:
        """Everything the panel shows, for the cache key of its rendered HTML."""
        reached = ".".join(str(int(tier)) for tier in self.reached)
        progress = "-" if self.progress is None else "{}.{}".format(*self.progress)
        return f"{self.tier}:{reached}:{int(self.started)}:{progress}"

    @classmethod
    def from_scores(cls, scores: list[VersionScore]) -> Altitude:
        tier = altitude_from(scores)
        reached = [t for t in Tier if tier is not None and t <= tier]
        toward = next_tier(tier)
        at_toward = [s for s in scores if s.questions and s.tier == toward]
        progress = None
        if at_toward:
            progress = (sum(1 for s in at_toward if s.cleared), len(at_toward))
        return cls(tier=tier, reached=reached, started=started(scores), progress=progress)


def started(scores: list[VersionScore]) -> bool:
    """Has the learner answered anything in the climb these scores cover?"""
    return any(score.answered for score in scores)


def next_to_climb(versions: Sequence[V], scores: list[VersionScore]) -> V | None:
    """Where a learner picks a climb up. `versions`: the climb's published versions in climb
    order (pieces in order, each from Zero up). The first with questions that they have not
    cleared at the lowest tier that has one, since the altitude asks for every piece of a tier
    before the next tier counts (a newcomer who cleared the first Zero piece was sent to its
    Junior tier, with two Zero pieces still to clear); for a reader with no scores, the very
    first. None once all are cleared."""
    if not scores:
        return versions[0] if versions else None
    by_version = {score.version_id: score for score in scores}
    gaps = [
        (score.tier, index, version)
        for index, version in enumerate(versions)
        if (score := by_version.get(version.pk)) is not None
        and score.questions
        and not score.cleared
    ]
    return min(gaps, key=lambda gap: gap[:2])[2] if gaps else None
