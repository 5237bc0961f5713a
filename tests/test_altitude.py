"""The altitude rule, on plain numbers."""

from __future__ import annotations

from dataclasses import replace

from django.utils import translation

from climb.learning.altitude import (
    Altitude,
    Status,
    VersionScore,
    altitude_from,
    next_to_climb,
    piece_status,
    without_first_answer,
)
from lessons.models import Tier


def score(tier: Tier, questions=4, answered=4, first_right=4, piece=1, version=1) -> VersionScore:
    return VersionScore(version, piece, 1, tier, questions, answered, first_right)


def test_a_version_is_cleared_with_every_question_answered_and_three_quarters_right():
    assert score(Tier.ZERO, questions=4, answered=4, first_right=3).cleared
    assert not score(Tier.ZERO, questions=4, answered=4, first_right=2).cleared
    assert not score(Tier.ZERO, questions=4, answered=3, first_right=3).cleared
    assert not score(Tier.ZERO, questions=0, answered=0, first_right=0).cleared


def test_altitude_is_the_highest_tier_with_every_tier_below_cleared():
    scores = [
        score(Tier.ZERO, piece=1),
        score(Tier.JUNIOR, piece=2),
        score(Tier.MIDDLE, piece=3, first_right=1),
        score(Tier.SENIOR, piece=4),
    ]
    assert altitude_from(scores) == Tier.JUNIOR


def test_a_missing_tier_does_not_block_the_climb():
    assert altitude_from([score(Tier.ZERO), score(Tier.MIDDLE, piece=2)]) == Tier.MIDDLE


def test_nothing_cleared_is_base_camp():
    assert altitude_from([score(Tier.ZERO, answered=0, first_right=0)]) is None
    assert altitude_from([]) is None


def test_one_uncleared_piece_holds_its_tier():
    scores = [score(Tier.ZERO, piece=1), score(Tier.ZERO, piece=2, answered=1, first_right=1)]
    assert altitude_from(scores) is None


def test_altitude_panel_points_at_the_next_tier():
    panel = Altitude.from_scores([score(Tier.ZERO)])
    assert panel.tier == Tier.ZERO
    assert panel.toward == Tier.JUNIOR
    assert panel.reached == [Tier.ZERO]
    assert Altitude.from_scores([]).toward == Tier.ZERO
    summit = Altitude.from_scores([score(t, piece=t) for t in Tier])
    assert summit.toward is None and "Summit" in summit.line


def test_altitude_panel_counts_the_pieces_cleared_toward_the_next_tier():
    scores = [
        score(Tier.ZERO, piece=1, version=1),  # cleared
        score(Tier.ZERO, piece=2, version=2, first_right=2),  # finished, not cleared
        score(Tier.ZERO, piece=3, version=3, answered=0, first_right=0),
        score(Tier.JUNIOR, piece=1, version=4, answered=0, first_right=0),
        score(Tier.ZERO, piece=4, version=5, questions=0, answered=0, first_right=0),  # no quiz
    ]
    panel = Altitude.from_scores(scores)
    assert (panel.tier, panel.started, panel.progress) == (None, True, (1, 3))
    assert panel.line == (
        "At base camp: clearing every Zero piece takes you off the ground. "
        "Zero: 1 of 3 pieces cleared."
    )
    with translation.override("ru"):
        assert panel.line.endswith("Zero — пройдено уроков: 1 из 3.")

    cleared = [replace(s, answered=s.questions, first_right=s.questions) for s in scores[:3]]
    panel = Altitude.from_scores(cleared + scores[3:])
    assert (panel.tier, panel.progress) == (Tier.ZERO, (0, 1))
    assert panel.line.endswith(
        "know what these things are and why they exist. Junior: 0 of 1 piece cleared."
    )
    # Nothing answered yet: the start line, still with what the next tier asks for.
    fresh = [replace(s, answered=0, first_right=0) for s in scores]
    assert Altitude.from_scores(fresh).line == (
        "At base camp: every climb starts with one answer. Zero: 0 of 3 pieces cleared."
    )
    # No scores (a reader with no history, who sees the shared page): the line alone.
    assert Altitude.from_scores([]).line == "At base camp: every climb starts with one answer."
    # The panel's cache key changes with every figure it shows.
    keys = {Altitude.from_scores(x).key for x in (scores, cleared + scores[3:], fresh, [])}
    assert len(keys) == 4


def test_piece_status():
    assert piece_status([score(Tier.ZERO), score(Tier.JUNIOR)]) is Status.CLEARED
    assert piece_status([score(Tier.ZERO), score(Tier.JUNIOR, answered=1)]) is Status.IN_PROGRESS
    assert piece_status([score(Tier.ZERO, answered=0, first_right=0)]) is Status.NOT_STARTED


def test_without_first_answer_is_the_score_before_that_answer_counted():
    after = [score(Tier.ZERO, version=1), score(Tier.ZERO, version=2, first_right=3)]
    before = without_first_answer(after, version_id=2, is_correct=True)
    assert before[0] == after[0]
    assert (before[1].answered, before[1].first_right) == (3, 2)
    assert altitude_from(after) == Tier.ZERO and altitude_from(before) is None
    wrong = without_first_answer(after, version_id=1, is_correct=False)
    assert (wrong[0].answered, wrong[0].first_right) == (3, 4)


class V:
    def __init__(self, pk: int) -> None:
        self.pk = pk


def test_the_climb_resumes_at_the_first_version_not_cleared_in_climb_order():
    versions = [V(1), V(2), V(3), V(4)]  # in climb order
    cleared, open_ = dict(answered=4, first_right=4), dict(answered=1, first_right=1)
    scores = [
        score(Tier.ZERO, version=1, **cleared),
        score(Tier.ZERO, version=2, questions=0, answered=0, first_right=0),  # prose only
        score(Tier.JUNIOR, version=3, answered=0, first_right=0),
        score(Tier.JUNIOR, version=4, **open_),
    ]
    # Not the piece they are in the middle of (4): the first gap on the way up (3).
    assert next_to_climb(versions, scores).pk == 3
    # Answered but not cleared counts as a gap too: that is where "climb it again" is.
    failed = dict(answered=4, first_right=1)
    assert next_to_climb(versions, [*scores[:2], score(Tier.JUNIOR, version=3, **failed)]).pk == 3
    everything = [score(Tier.ZERO, version=n, **cleared) for n in (1, 3, 4)] + [scores[1]]
    assert next_to_climb(versions, everything) is None
    # The lowest tier first: the altitude needs every Zero piece before Junior counts.
    zero_one, junior_one, zero_two = V(1), V(2), V(3)  # pieces 1 (two tiers) and 2
    by_tier = [
        score(Tier.ZERO, version=1, **cleared),
        score(Tier.JUNIOR, version=2, answered=0, first_right=0),
        score(Tier.ZERO, version=3, answered=0, first_right=0),
    ]
    assert next_to_climb([zero_one, junior_one, zero_two], by_tier).pk == 3
    # A reader with no progress at all starts at the very first version.
    assert next_to_climb(versions, []).pk == 1
    assert next_to_climb([], []) is None
