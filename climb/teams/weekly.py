"""The weekly activity series: the chart's calendar weeks and what was done in each.

Per-day counts from `stats.py` summed into weeks that begin on Monday, and the same days of
last week as this week so far, which "this week" compares with. Plain data, no database;
`charts.py` draws the weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CHART_WEEKS = 12


@dataclass(frozen=True)
class Week:
    start: date
    answers: int
    tiers: int
    active: int = 0  # members who answered in the climb that week


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def chart_weeks(today: date) -> list[date]:
    """The Mondays of the last CHART_WEEKS weeks, oldest first, this week last."""
    current = week_start(today)
    return [current - timedelta(weeks=n) for n in range(CHART_WEEKS - 1, -1, -1)]


def week_to_date(
    start: date,
    days: int,
    answers: dict[date, dict[int, int]],
    tiers: dict[date, int],
    last_day: tuple[dict[int, int], int] | None = None,
) -> Week:
    """The first `days` days of the week that begins on `start`; with `last_day` (answers
    per learner, tiers), the last of them only as far as that: the same days of last week
    as this week so far, up to the same time of day."""
    span = [start + timedelta(days=n) for n in range(days)]
    by_learner = [answers.get(d, {}) for d in span]
    reached = [tiers.get(d, 0) for d in span]
    if last_day is not None:
        by_learner[-1], reached[-1] = last_day
    return Week(
        start,
        sum(sum(day.values()) for day in by_learner),
        sum(reached),
        active=len(set().union(*by_learner)),
    )


def weekly(
    starts: list[date], answers: dict[date, dict[int, int]], tiers: dict[date, int]
) -> list[Week]:
    """Per-day counts summed into the weeks that begin on `starts` (Mondays)."""
    return [week_to_date(start, 7, answers, tiers) for start in starts]
