"""The team dashboard's arithmetic: plain data in, plain data out, no database.

`stats.py` runs the aggregated queries (a fixed number, whatever the team's size) and hands
their rows to `summarise()`, which applies the learning app's altitude rule per member and
adds up the team's figures, the same for every viewer; `view()` then keeps the rows a viewer
may see, sorted and paged. Everything here is O(rows) Python and can be tested without a
database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.utils.text import Truncator

from climb.learning.altitude import (
    Altitude,
    VersionScore,
    altitude_from,
    best_round,
    next_tier,
    on_new_round,
    percent,
)
from lessons.models import Climb, Tier
from lessons.search_text import plain_text

from .models import Role

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
CHART_WEEKS = 12
MISSED_LIMIT = 10

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
class VersionInfo:
    """A tier version of a listed climb and its number of questions."""

    id: int
    piece_id: int
    climb_id: int
    tier: int
    questions: int
    published: bool = True


@dataclass(frozen=True)
class Member:
    user_id: int
    username: str
    role: str
    learner_id: int | None
    last_active: datetime | None = None  # the latest answer anywhere on the site
    in_figures: bool = True  # left out by a manager: not a row, nor in any figure
    latest_climb: int | None = None  # the climb of that answer, where it was asked for


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


@dataclass(frozen=True)
class ChoiceCount:
    """First answers in the climb and period, per question and choice as shown."""

    question_id: int
    revision_id: int
    choice_index: int
    is_correct: bool
    count: int


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
    right_now: str | None = None  # the text of today's right choice, as the author wrote it

    @property
    def excerpt(self) -> str:
        """The prompt as the "most missed" table shows it."""
        return Truncator(self.prompt).chars(PROMPT_EXCERPT)


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
class Week:
    start: date
    answers: int
    tiers: int
    active: int = 0  # members who answered in the climb that week


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
) -> dict[int, tuple[str, int, int]]:
    """question_id -> (text of the wrong choice chosen most at the first attempt, count, how
    many other wrong choices were chosen as often).

    Read from the revision each answer was given to, as it was on screen; the same text
    across two revisions of a question counts once; the earlier-listed of equals is named,
    and the others counted, so that a tie is not shown as a favourite.
    """
    texts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counts:
        choices = revision_choices.get(row.revision_id)
        if row.is_correct or choices is None or not 0 <= row.choice_index < len(choices):
            continue
        texts[row.question_id][choices[row.choice_index]["text"]] += row.count
    best = {}
    for question_id, by_text in texts.items():
        text = max(by_text, key=lambda t: by_text[t])  # max keeps the first of equals
        ties = sum(1 for count in by_text.values() if count == by_text[text]) - 1
        best[question_id] = (text, by_text[text], ties)
    return best


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


def summarise(fetched: Fetched, climbs: list, selected, *, today: date) -> Summary:
    left_out = sorted((m.username for m in fetched.members if not m.in_figures), key=str.lower)
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
        text, times, ties = wrong.get(q, (None, 0, 0))
        now_right = text is not None and text == fetched.questions[q].right_now
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
    )
