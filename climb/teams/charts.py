"""Geometry of the weekly activity chart, drawn as inline SVG by a template.

Three bar panels share the week axis: members active per week on top (is the team moving,
or one member answering for it?), answers per week, then tiers reached per week. Each panel
has its own scale (answers run in the hundreds, members and tiers in the tens), which
panels show honestly where one chart with several axes would mislead. Pure arithmetic: the
template (`teams/_activity_chart.html`) writes the markup and the translated words, and the
colours come from classes in `teams/teams.css`, so the SVG has no style attribute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from .weekly import Week

WIDTH = 720
LEFT = 52  # room for the scale's numbers
RIGHT = 24  # half a week label on a phone, where type is larger
TOP = 34  # room for the first panel's name (larger on a phone)
PANEL_GAP = 44  # the second panel's name sits in this gap
ACTIVE_HEIGHT = 64
ANSWERS_HEIGHT = 120
TIERS_HEIGHT = 64
AXIS_LABELS = 24  # week labels under the last panel
BAR_SHARE = 0.62  # of each week's slot


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    week: date


@dataclass(frozen=True)
class Panel:
    top: float
    height: float
    scale_max: int
    bars: list[Bar]

    @property
    def baseline(self) -> float:
        return self.top + self.height

    @property
    def label_y(self) -> float:
        return self.top - 10

    @property
    def scale_y(self) -> float:
        return self.top + 4


@dataclass(frozen=True)
class WeekLabel:
    x: float
    week: date


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right_edge: int
    active: Panel
    answers: Panel
    tiers: Panel
    labels: list[WeekLabel]
    label_y: float
    total_answers: int
    total_tiers: int
    busiest: Week | None

    @property
    def scale_x(self) -> int:
        return self.left - 6

    @property
    def first_week(self) -> date | None:
        return self.labels[0].week if self.labels else None

    @property
    def last_week(self) -> date | None:
        return self.labels[-1].week if self.labels else None


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _panel(weeks: list[Week], values: list[int], top: float, height: float) -> Panel:
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    scale_max = nice_ceiling(max(values, default=0))
    bars = []
    for index, (week, value) in enumerate(zip(weeks, values, strict=True)):
        bar_height = round(height * value / scale_max, 1)
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * (1 - BAR_SHARE) / 2, 1),
                y=round(top + height - bar_height, 1),
                width=round(slot * BAR_SHARE, 1),
                height=bar_height,
                value=value,
                week=week.start,
            )
        )
    return Panel(top=top, height=height, scale_max=scale_max, bars=bars)


def weekly_chart(weeks: list[Week]) -> Chart:
    active = _panel(weeks, [w.active for w in weeks], TOP, ACTIVE_HEIGHT)
    answers_top = active.baseline + PANEL_GAP
    answers = _panel(weeks, [w.answers for w in weeks], answers_top, ANSWERS_HEIGHT)
    tiers_top = answers.baseline + PANEL_GAP
    tiers = _panel(weeks, [w.tiers for w in weeks], tiers_top, TIERS_HEIGHT)
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    labels = [WeekLabel(round(LEFT + (i + 0.5) * slot, 1), w.start) for i, w in enumerate(weeks)]
    busiest = max(weeks, key=lambda w: w.answers, default=None)
    return Chart(
        width=WIDTH,
        height=int(tiers.baseline + AXIS_LABELS),
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        active=active,
        answers=answers,
        tiers=tiers,
        labels=labels,
        label_y=tiers.baseline + 17,
        total_answers=sum(w.answers for w in weeks),
        total_tiers=sum(w.tiers for w in weeks),
        busiest=busiest if busiest is not None and busiest.answers else None,
    )
