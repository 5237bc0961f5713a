"""Each member's standing from the grouped scan of the team's answers: plain data, no database.

`split_rows()` reads the (learner, version, round) rows `stats.py` returns into first
attempts and each learner's activity in the chosen climb and period; `member_altitudes()`
applies the learning app's altitude rule to them, per member and climb. `dashboard.summarise`
puts the results into the table's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from climb.learning.altitude import (
    Altitude,
    VersionScore,
    altitude_from,
    best_round,
    next_tier,
    on_new_round,
    percent,
)
from lessons.models import Tier

# --- input rows, as the queries return them ---------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    """A tier version of a listed climb and its number of questions."""

    id: int
    piece_id: int
    climb_id: int
    tier: int
    questions: int
    published: bool = True


@dataclass(frozen=True)
class Activity:
    """One member's answers in the chosen climb and period."""

    answers: int = 0
    first: int = 0
    first_right: int = 0

    @property
    def accuracy(self) -> int | None:
        """First-try accuracy in whole percent, None before any first attempt."""
        return percent(self.first_right, self.first) if self.first else None


NO_ACTIVITY = Activity()

# One row of the grouped scan of the team's answers, per (learner, version):
# (learner_id, version_id, first, first_right, answers, first, first_right)
# where the first pair is all time and the last three count the chosen period.
LEARNER, VERSION, FIRST, FIRST_RIGHT, P_ANSWERS, P_FIRST, P_RIGHT, ROUND = range(8)

# --- the arithmetic ------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where a learner is in one climb; in the chosen climb, also what the table says of it
    (the altitude panel's arithmetic: Altitude.from_scores)."""

    tier: Tier | None = None
    pieces_cleared: int = 0
    # (cleared, all) of the climb's versions at the next tier: "Zero: 2 of 3"; None past the
    # summit or before the first answer.
    progress: tuple[int, int] | None = None
    # Pieces with a version answered to the end and not cleared: to climb again.
    to_retake: int = 0

    @property
    def toward(self) -> Tier | None:
        return next_tier(self.tier)


NOWHERE = Standing()


def member_altitudes(
    versions: list[VersionInfo],
    first_attempts: dict[tuple[int, int], tuple[int, int]],
    climb_ids: list[int],
    pieces_in: int | None = None,
    new_rounds: set[tuple[int, int]] | frozenset = frozenset(),
) -> dict[int, dict[int, Standing]]:
    """learner_id -> climb_id -> Standing, by the learning app's rule; pieces, progress and
    versions to climb again are counted in the climb `pieces_in` only (the table shows no
    other). `new_rounds`: (learner, version) on a round with nothing answered yet.

    Each learner's scores are the VersionScore list `scores_for()` would return (published
    versions only) and go through `altitude_from()`; a version they never answered is one
    shared zero score. The work is O(answered rows) plus one pass over a climb's versions
    per learner who answered in it, and no query.
    """
    published = [v for v in versions if v.published]
    zero = {
        v.id: VersionScore(v.id, v.piece_id, v.climb_id, v.tier, v.questions, 0, 0)
        for v in published
    }
    by_climb: dict[int, list[int]] = defaultdict(list)
    # piece_status(): a piece is cleared when every version with questions is. A version
    # never answered is not cleared, so counting the cleared ones is enough.
    to_clear: dict[int, int] = defaultdict(int)
    for version in published:
        by_climb[version.climb_id].append(version.id)
        if version.questions and version.climb_id == pieces_in:
            to_clear[version.piece_id] += 1
    info = {v.id: v for v in published}
    answered: dict[int, dict[int, VersionScore]] = defaultdict(dict)
    for (learner_id, version_id), (count, right) in first_attempts.items():
        v = info.get(version_id)
        if v is not None and count:
            answered[learner_id][version_id] = VersionScore(
                v.id,
                v.piece_id,
                v.climb_id,
                v.tier,
                v.questions,
                count,
                right,
                new_round=(learner_id, version_id) in new_rounds,
            )
    result: dict[int, dict[int, Standing]] = {}
    for learner_id, mine in answered.items():
        touched = {score.climb_id for score in mine.values()}
        per_climb: dict[int, Standing] = {}
        for climb_id in climb_ids:
            if climb_id in touched:  # otherwise: base camp, no piece cleared
                scores = [mine.get(pk) or zero[pk] for pk in by_climb[climb_id]]
                if climb_id != pieces_in:
                    per_climb[climb_id] = Standing(altitude_from(scores))
                    continue
                altitude = Altitude.from_scores(scores)  # the learner's own panel's arithmetic
                cleared: dict[int, int] = defaultdict(int)
                for score in mine.values():
                    if score.climb_id == pieces_in and score.questions and score.cleared:
                        cleared[score.piece_id] += 1
                per_climb[climb_id] = Standing(
                    altitude.tier,
                    pieces_cleared=sum(1 for p, n in cleared.items() if n == to_clear[p]),
                    progress=altitude.progress,
                    to_retake=len({s.piece_id for s in scores if s.to_climb_again}),
                )
        result[learner_id] = per_climb
    return result


def split_rows(
    rows: Iterable[tuple], versions: list[VersionInfo], climb_id: int | None
) -> tuple[dict[tuple[int, int], tuple[int, int]], dict[int, Activity], set[tuple[int, int]]]:
    """From the (learner, version, round) pass: the first attempts of the round that counts
    (for altitudes: see altitude.best_round), each learner's activity in the chosen climb
    and period, and the (learner, version) pairs on a round started with nothing answered
    in it yet (altitude.on_new_round: not "to climb again", they already do)."""
    in_climb = {v.id for v in versions if v.climb_id == climb_id}
    questions = {v.id: v.questions for v in versions}
    rounds: dict[tuple[int, int], dict[int, tuple[int, int]]] = {}
    sums: dict[int, list[int]] = {}
    for row in rows:
        learner, version = row[LEARNER], row[VERSION]
        # A Retake's row of zeros beside its round's answers, if any: added up.
        by_round = rounds.setdefault((learner, version), {})
        first, right = by_round.get(row[ROUND], (0, 0))
        by_round[row[ROUND]] = (first + row[FIRST], right + row[FIRST_RIGHT])
        if version in in_climb:
            total = sums.setdefault(learner, [0, 0, 0])
            total[0] += row[P_ANSWERS]
            total[1] += row[P_FIRST]
            total[2] += row[P_RIGHT]
    activity = {learner: Activity(*total) for learner, total in sums.items() if total[0]}
    first_attempts = {
        key: best_round(by_round, questions.get(key[1], 0)) for key, by_round in rounds.items()
    }
    new_rounds = {
        key for key, by_round in rounds.items() if on_new_round(by_round, questions.get(key[1], 0))
    }
    return first_attempts, activity, new_rounds
