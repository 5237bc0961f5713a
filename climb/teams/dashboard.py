"""The team dashboard's arithmetic: plain data in, plain data out, no database.

`stats.py` runs the aggregated queries (a fixed number, whatever the team's size) and hands
their rows to `summarise()`, which applies the learning app's altitude rule per member and
adds up the team's figures, the same for every viewer; `view()` then keeps the rows a viewer
may see, sorted and paged. Everything here is O(rows) Python and can be tested without a
database.

Its parts live beside it, as plain: each member's altitude and activity (`standings.py`),
the "most missed" list (`most_missed.py`), the weekly chart's series (`weekly.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.paginator import Page, Paginator

from climb.learning.altitude import percent
from lessons.models import Climb, Tier
from lessons.search_text import plain_text

from .models import Role
from .most_missed import (
    MISSED_LIMIT,
    ChoiceCount,
    MissedQuestion,
    QuestionInfo,
    most_chosen_wrong,
    ranked_missed,
    tied_beyond,
)
from .standings import (
    NO_ACTIVITY,
    NOWHERE,
    Activity,
    Standing,
    VersionInfo,
    member_altitudes,
    split_rows,
)
from .weekly import Week, chart_weeks, week_to_date, weekly

# The period filter: weeks back from now, None for all time. Keys are what the URL carries.
PERIODS: dict[str, int | None] = {"4": 4, "12": 12, "52": 52, "all": None}
DEFAULT_PERIOD = "all"

# Sortable columns, and whether a first click sorts them highest first.
SORT_COLUMNS: dict[str, bool] = {
    "member": False,
    "role": False,
    "altitude": True,
    "pieces": True,
    "accuracy": True,
    "answers": True,
    "active": True,
}
DEFAULT_SORT = "member"
PAGE_SIZE = 50

ROLE_RANK = {role.value: rank for rank, role in enumerate(Role)}


def parse_sort(value: str | None) -> tuple[str, bool]:
    """`?sort=` as (column, descending). Anything not whitelisted is the default sort."""
    value = value or ""
    descending = value.startswith("-")
    column = value[1:] if descending else value
    if column not in SORT_COLUMNS:
        return DEFAULT_SORT, False
    return column, descending


def sort_param(column: str, descending: bool) -> str:
    return f"-{column}" if descending else column


# --- input rows, as the queries return them ---------------------------------------------------


@dataclass(frozen=True)
class Member:
    user_id: int
    username: str
    role: str
    learner_id: int | None
    last_active: datetime | None = None  # the latest answer anywhere on the site
    in_figures: bool = True  # left out by a manager: not a row, nor in any figure
    latest_climb: int | None = None  # the climb of that answer, where it was asked for


@dataclass
class Fetched:
    """Everything the queries returned, before any arithmetic."""

    members: list[Member]
    versions: list[VersionInfo]
    version_rows: list[tuple]
    choice_counts: list[ChoiceCount] = field(default_factory=list)
    questions: dict[int, QuestionInfo] = field(default_factory=dict)
    revision_choices: dict[int, list] = field(default_factory=dict)  # revision -> choices
    # question -> {original choice text: the reader's language's}; see stats.translated_choices
    translated_choices: dict[int, dict[str, str]] = field(default_factory=dict)
    # In the chosen climb: day -> {learner: answers that day}.
    answers_per_day: dict[date, dict[int, int]] = field(default_factory=dict)
    tiers_per_day: dict[date, int] = field(default_factory=dict)
    # The same day last week, up to the time of day it is now: {learner: answers}, tiers.
    answers_a_week_ago: dict[int, int] = field(default_factory=dict)
    tiers_a_week_ago: int = 0
    climb: Climb | None = None  # the chosen climb, or the one the team is working in


# --- output --------------------------------------------------------------------------------


@dataclass
class MemberRow:
    member: Member
    altitudes: list[Tier | None]  # one per climb, in the order of the climbs
    altitude: Tier | None  # in the chosen climb
    standing: Standing  # in the chosen climb: the altitude, the next tier's progress
    pieces_cleared: int
    pieces_total: int
    activity: Activity
    # Answered anything in the chosen climb, ever: "base camp" is someone stuck on the way
    # up, "not started" someone who never began (a different conversation).
    started: bool = True
    # The same for each climb, in the order of `altitudes` (the download's columns).
    started_each: list[bool] = field(default_factory=list)

    @property
    def user_id(self) -> int:
        return self.member.user_id

    @property
    def username(self) -> str:
        return self.member.username

    @property
    def role(self) -> str:
        return self.member.role

    @property
    def role_label(self) -> str:
        return str(Role(self.member.role).label)

    @property
    def last_active(self) -> datetime | None:
        return self.member.last_active

    def sort_value(self, column: str) -> object:
        """The value a column sorts by; None sorts last whichever the direction."""
        if column == "member":
            return self.username.lower()
        if column == "role":
            return ROLE_RANK.get(self.role, len(ROLE_RANK))
        if column == "altitude":
            # Not started below base camp: a different conversation, as the table says. At
            # one altitude, the furthest toward the next tier first (descending).
            tier = int(self.altitude) if self.altitude is not None else -1 if self.started else -2
            return tier, self.standing.progress[0] if self.standing.progress else 0
        if column == "pieces":
            return self.pieces_cleared
        if column == "accuracy":
            return self.activity.accuracy
        if column == "answers":
            return self.activity.answers
        return self.last_active


@dataclass
class Distribution:
    """How many members stand at each altitude of one climb; `counts[0]` is base camp (on
    the way up), apart from those who never answered in the climb (`not_started`)."""

    climb: object
    counts: list[int]
    not_started: int = 0

    @property
    def cells(self) -> list[tuple[Tier | str | None, int]]:
        return [(NOT_STARTED, self.not_started), *zip([None, *Tier], self.counts, strict=True)]


NOT_STARTED = "not-started"  # a cell of the distribution before base camp


@dataclass
class Totals:
    members: int
    active: int  # members with at least one answer in the climb and period
    answers: int
    first: int
    first_right: int

    @property
    def accuracy(self) -> int | None:
        return percent(self.first_right, self.first) if self.first else None


@dataclass
class Dashboard:
    rows: list[MemberRow]  # every row the viewer may see, sorted
    page: Page
    totals: Totals
    distribution: list[Distribution]
    missed: list[MissedQuestion]
    weeks: list[Week]
    sort: str
    descending: bool
    # Last week from Monday to this moment a week ago: what "this week so far" compares with.
    last_week_to_date: Week | None = None
    left_out: list[str] = field(default_factory=list)
    counted_at: datetime | None = None
    climb: Climb | None = None  # the climb the figures are for: chosen, or where the team works
    missed_tied: int = 0  # questions past the list missed as often as its last one
    owners: int = 0  # in the team, those left out of the figures too

    @property
    def team_size(self) -> int:
        """Everyone in the team, those left out of the figures too."""
        return self.totals.members + len(self.left_out)

    @property
    def this_week(self) -> Week | None:
        """The current week so far (the chart's last bar); None without the chart."""
        return self.weeks[-1] if self.weeks else None

    @property
    def last_week(self) -> Week | None:
        return self.weeks[-2] if len(self.weeks) > 1 else None


# --- the arithmetic ------------------------------------------------------------------------


def sort_rows(rows: list[MemberRow], column: str, descending: bool) -> list[MemberRow]:
    """Sorted by `column`, ties by username; rows without a value (never answered) last,
    except by last activity, where "never" is the longest idle: first when the longest
    idle come first (who has not started is who a manager looks for)."""
    by_name = sorted(rows, key=lambda r: (r.username.lower(), r.user_id))
    valued = [r for r in by_name if r.sort_value(column) is not None]
    missing = [r for r in by_name if r.sort_value(column) is None]
    # Python's sort is stable, also with reverse=True: equal values keep username order.
    valued.sort(key=lambda r: r.sort_value(column), reverse=descending)
    if column == "active" and not descending:
        return missing + valued
    return valued + missing


def distributions(
    climbs: list,
    altitudes: dict[int, dict[int, Standing]],
    members: list[Member],
    started: set[tuple[int, int]],
) -> list[Distribution]:
    """Per climb, members per altitude; `started`: the (learner, climb) pairs with an
    answer, which tell base camp from not started."""
    result = []
    for climb in climbs:
        counts = [0] * (len(Tier) + 1)
        not_started = 0
        for member in members:
            tier = altitudes.get(member.learner_id, {}).get(climb.pk, NOWHERE).tier
            if tier is None and (member.learner_id, climb.pk) not in started:
                not_started += 1
                continue
            counts[0 if tier is None else int(tier) + 1] += 1
        result.append(Distribution(climb, counts, not_started))
    return result


@dataclass
class Summary:
    """Everything the dashboard shows that is the same for every viewer of the team: kept
    for TEAM_DASHBOARD_SECONDS (see stats.summary_shared), so that sorting and paging redo
    neither the queries nor the per-member arithmetic."""

    rows: list[MemberRow]  # every member, unsorted
    totals: Totals
    distribution: list[Distribution]
    missed: list[MissedQuestion]
    weeks: list[Week]
    last_week_to_date: Week | None = None
    left_out: list[str] = field(default_factory=list)  # usernames, not in any figure
    counted_at: datetime | None = None  # kept for a while: answers since may be missing
    missed_tied: int = 0  # questions past the list missed as often as its last one
    climb: Climb | None = None  # the climb the figures are for: chosen, or where the team works
    # Owners in the team, those left out of the figures too: whether an owner may leave is
    # not a question of who has a row.
    owners: int = 0


def summarise(fetched: Fetched, climbs: list, selected, *, today: date) -> Summary:
    left_out = sorted((m.username for m in fetched.members if not m.in_figures), key=str.lower)
    owners = sum(1 for m in fetched.members if m.role == Role.OWNER)
    fetched.members = [m for m in fetched.members if m.in_figures]
    climb_ids = [c.pk for c in climbs]
    selected_id = selected.pk if selected else None
    first_attempts, activity, new_rounds = split_rows(
        fetched.version_rows, fetched.versions, selected_id
    )
    altitudes = member_altitudes(
        fetched.versions, first_attempts, climb_ids, selected_id, new_rounds
    )
    pieces_total = len(
        {v.piece_id for v in fetched.versions if v.published and v.climb_id == selected_id}
    )
    # Started: answered a published version, as the progress pages say it (scores_for); an
    # answer to a version since taken back to a draft counts as activity, not as a start.
    climb_of = {v.id: v.climb_id for v in fetched.versions if v.published}
    started_in = {
        (learner_id, climb_of[version_id])
        for (learner_id, version_id), (count, _right) in first_attempts.items()
        if count and version_id in climb_of
    }
    started = {learner_id for learner_id, climb_id in started_in if climb_id == selected_id}
    rows = []
    for member in fetched.members:
        mine = altitudes.get(member.learner_id, {})
        chosen = mine.get(selected_id, NOWHERE)
        rows.append(
            MemberRow(
                member=member,
                altitudes=[mine.get(pk, NOWHERE).tier for pk in climb_ids],
                started_each=[(member.learner_id, pk) in started_in for pk in climb_ids],
                altitude=chosen.tier,
                standing=chosen,
                pieces_cleared=chosen.pieces_cleared,
                pieces_total=pieces_total,
                activity=activity.get(member.learner_id, NO_ACTIVITY),
                started=member.learner_id in started,
            )
        )
    totals = Totals(
        members=len(rows),
        active=sum(1 for r in rows if r.activity.answers),
        answers=sum(r.activity.answers for r in rows),
        first=sum(r.activity.first for r in rows),
        first_right=sum(r.activity.first_right for r in rows),
    )
    wrong = most_chosen_wrong(fetched.choice_counts, fetched.revision_choices)
    missed = []
    ranked = ranked_missed(fetched.choice_counts)
    for q, first, count in ranked[:MISSED_LIMIT]:
        if q not in fetched.questions:
            continue
        text, times, ties, chosen = wrong.get(q, (None, 0, 0, set()))
        # By the choice answered, as the review page says it: its text may have been
        # reworded with the key, or another choice's reworded to what it said.
        now_right = fetched.questions[q].right_choice_id in chosen
        if text is not None:  # shown in the reader's language, as plain text like the prompt
            text = plain_text(fetched.translated_choices.get(q, {}).get(text, text))
        missed.append(
            MissedQuestion(fetched.questions[q], first, count, text, times, ties, now_right)
        )
    weeks = chart_weeks(today)
    return Summary(
        rows=rows,
        totals=totals,
        distribution=distributions(climbs, altitudes, fetched.members, started_in),
        missed=missed,
        weeks=weekly(weeks, fetched.answers_per_day, fetched.tiers_per_day),
        last_week_to_date=week_to_date(
            weeks[-2],
            today.weekday() + 1,
            fetched.answers_per_day,
            fetched.tiers_per_day,
            (fetched.answers_a_week_ago, fetched.tiers_a_week_ago),
        ),
        left_out=left_out,
        climb=selected,
        missed_tied=tied_beyond(ranked),
        owners=owners,
    )


def view(
    summary: Summary,
    *,
    viewer_user_id: int,
    sees_everyone: bool,
    sort: str = DEFAULT_SORT,
    descending: bool = False,
    page: int | str | None = 1,
) -> Dashboard:
    """One viewer's dashboard: the aggregates cover everyone; the rows only what the viewer
    may see, sorted and paged."""
    rows = summary.rows
    visible = rows if sees_everyone else [r for r in rows if r.user_id == viewer_user_id]
    visible = sort_rows(visible, sort, descending)
    return Dashboard(
        rows=visible,
        page=Paginator(visible, PAGE_SIZE).get_page(page),
        totals=summary.totals,
        distribution=summary.distribution,
        missed=summary.missed,
        weeks=summary.weeks,
        sort=sort,
        descending=descending,
        last_week_to_date=summary.last_week_to_date,
        left_out=summary.left_out,
        counted_at=summary.counted_at,
        climb=summary.climb,
        missed_tied=summary.missed_tied,
        owners=summary.owners,
    )
