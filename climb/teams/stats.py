"""The dashboard's queries: aggregated in the database, a fixed number, none per member.

The team's answers are read in three grouped passes, whatever the size of the team or of
its history:

1. per (learner, version): first attempts and right ones (all time, for altitudes), and the
   chosen period's answers and first attempts, as filtered COUNTs in one GROUP BY;
2. per (question, revision, choice shown, right or wrong): first attempts in the chosen
   period, kept for the chosen climb's questions, from which the most missed questions and
   their most chosen wrong answers follow;
3. per day and member of the chart's twelve weeks: the climb's answers (and, from the small
   TierReached table, the tiers reached), summed into weeks in Python, with each week's
   active members; a filtered COUNT beside them holds the day a week ago up to this time of
   day, so that this week so far is set against last week up to the same moment.

Around them: the members (with their last answer, an indexed subquery), the climbs'
versions, the chosen climb's question ids, and the ten most missed questions' details and
revisions (and, on a translated site, their choices' translations). Days are the first ten
characters of the stored UTC timestamp, not TruncWeek or TruncDate: on SQLite those call back
into Python for every row, which took seconds at 100,000 answers. The site's time zone is
UTC, so a UTC day is a local day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Substr
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from climb.learning.models import Answer, Learner, QuestionRevision, Retake, TierReached
from lessons.contentcache import release
from lessons.models import (
    CONTENT_LANGUAGES,
    Choice,
    Climb,
    Question,
    Status,
    TierVersion,
    content_generation,
)
from lessons.search_text import plain_text

from .dashboard import Fetched, Member, Summary, summarise
from .models import Membership, Team
from .most_missed import ChoiceCount, QuestionInfo, QuestionReview, ReviewChoice, top_missed
from .standings import VersionInfo


def team_learners(team: Team) -> QuerySet[Learner]:
    """The team's members counted in its figures, as learners: used as a subquery, never
    evaluated on its own."""
    return Learner.objects.filter(
        user__team_memberships__team=team, user__team_memberships__in_figures=True
    ).values("pk")


def members(team: Team, with_climb: bool = False) -> list[Member]:
    """Every member, with their latest answer anywhere on the site (one index probe each on
    learning_answer (learner, -created_at), inside this one query); `with_climb`: and the
    climb of that answer, which picks the dashboard's default climb (working_climb)."""
    latest = Answer.objects.filter(learner_id=OuterRef("user__learner__id")).order_by("-created_at")
    columns = [
        "user_id",
        "user__username",
        "role",
        "user__learner__id",
        "last_active",
        "in_figures",
    ]
    rows = (
        Membership.objects.filter(team=team)
        .order_by()
        .annotate(last_active=Subquery(latest.values("created_at")[:1]))
    )
    if with_climb:
        climb = latest.values("question__step__version__piece__climb_id")[:1]
        rows = rows.annotate(latest_climb=Subquery(climb))
        columns.append("latest_climb")
    return [Member(*row) for row in rows.values_list(*columns)]


def working_climb(members: list[Member], climbs: list) -> Climb | None:
    """The climb the team is working in: that of the latest answer of a member counted in
    the figures, among the listed climbs; else the first climb (a team that has not started
    opens on the first climb, as before). Read from `members(with_climb=True)`: no query."""
    listed = {climb.pk: climb for climb in climbs}
    recent = [m for m in members if m.in_figures and m.last_active and m.latest_climb in listed]
    if recent:
        return listed[max(recent, key=lambda m: m.last_active).latest_climb]
    return climbs[0] if climbs else None


def versions(climb_ids: list[int]) -> list[VersionInfo]:
    """The versions of these climbs with their number of questions, as scores_for counts
    them; drafts too (flagged), so that answers to a version since unpublished still count
    as activity, though never towards an altitude."""
    rows = (
        TierVersion.objects.filter(piece__climb_id__in=climb_ids)
        .order_by("piece__order", "piece_id", "tier")
        .annotate(questions=Count("steps__question", distinct=True))
        .values_list("id", "piece_id", "piece__climb_id", "tier", "questions", "status")
    )
    return [VersionInfo(*row[:5], published=row[5] == Status.PUBLISHED) for row in rows]


def version_rows(team: Team, since: datetime | None) -> list[tuple]:
    """The (learner, version, round) pass: see standings.LEARNER ... ROUND for the columns;
    with a row of zero counts for each member's Retake (the round they are on).

    The first attempts of every round decide altitudes (standings.split_rows picks the round
    that counts); the period's first attempts are round 1's, what the team predicted first.
    """
    first = Q(attempt=1)
    period = Q(created_at__gte=since) if since is not None else Q()
    predicted = first & Q(round=1) & period
    counts = {
        "first": Count("pk", filter=first),
        "first_right": Count("pk", filter=first & Q(is_correct=True)),
        "p_answers": Count("pk", filter=period) if since is not None else Count("pk"),
        "p_first": Count("pk", filter=predicted),
        "p_right": Count("pk", filter=predicted & Q(is_correct=True)),
    }
    query = (
        Answer.objects.filter(learner__in=team_learners(team))
        .order_by()
        .values("learner_id", "round", version=F("question__step__version_id"))
        .annotate(**counts)
        .values_list("learner_id", "version", *counts, "round")
    )
    # And a row of zeros for the round each member is on where they climb a version again,
    # in the same query: a round just started has no answers, and the table would count the
    # piece as one to climb again while they already do (standings.split_rows).
    started = (
        Retake.objects.filter(learner__in=team_learners(team))
        .order_by()
        .annotate(**{name: Value(0) for name in counts})
        .values_list("learner_id", "version_id", *counts, "round")
    )
    query = query.union(started, all=True)
    # The ORM builds the SQL; the rows are read without it. Every column is an id or a
    # COUNT, an int on every backend, and skipping the per-value converters saves about a
    # tenth of a second at 25,000 rows (500 members x 50 versions).
    sql, params = query.query.sql_with_params()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _day_counts(rows: QuerySet, field: str, since: date, until: datetime, *by: str) -> QuerySet:
    """(day, *by, count, so far) per UTC day from `since`, grouped in the database on the
    timestamp's date (and on the fields `by`). "So far" counts the rows of `until`'s day up
    to that moment (0 on every other day): a day a week ago, up to this time of day."""
    start = timezone.make_aware(datetime.combine(since, time.min))
    day_start = timezone.make_aware(datetime.combine(timezone.localdate(until), time.min))
    so_far = Q(**{f"{field}__gte": day_start, f"{field}__lt": until})
    return (
        rows.filter(**{f"{field}__gte": start})
        .order_by()
        .annotate(day=Substr(Cast(field, CharField()), 1, 10))
        .values("day", *by)
        .annotate(count=Count("pk"), so_far=Count("pk", filter=so_far))
        .values_list("day", *by, "count", "so_far")
    )


def _climb_questions(climb: Climb) -> QuerySet:
    return Question.objects.filter(step__version__piece__climb=climb).values("pk").order_by()


def answers_per_day(
    team: Team, climb: Climb, since: date, until: datetime
) -> tuple[dict[date, dict[int, int]], dict[int, int]]:
    """Per UTC day from `since`: each member's answers in the climb (who was active, and how
    much: a week's active members are the union of its days'); and each member's answers on
    `until`'s day up to that moment."""
    answers = Answer.objects.filter(
        learner__in=team_learners(team), question__in=_climb_questions(climb)
    )
    days: dict[date, dict[int, int]] = defaultdict(dict)
    so_far: dict[int, int] = {}
    rows = _day_counts(answers, "created_at", since, until, "learner_id")
    for day, learner_id, count, before in rows:
        days[date.fromisoformat(day)][learner_id] = count
        if before:
            so_far[learner_id] = before
    return dict(days), so_far


def tiers_per_day(
    team: Team, climb: Climb, since: date, until: datetime
) -> tuple[dict[date, int], int]:
    """Tiers reached in the climb per UTC day from `since`, and on `until`'s day up to it."""
    reached = TierReached.objects.filter(learner__in=team_learners(team), climb=climb)
    rows = list(_day_counts(reached, "reached_at", since, until))
    per_day = {date.fromisoformat(day): count for day, count, _so_far in rows}
    return per_day, sum(so_far for _day, _count, so_far in rows)


def choice_counts(team: Team, climb: Climb, since: datetime | None) -> list[ChoiceCount]:
    """The (question, revision, choice, right or wrong) pass over first attempts. Every climb
    is grouped and the chosen one kept in Python: on SQLite, filtering on the climb's
    questions in SQL drives the scan through the question index, in random order, which
    took three times as long as reading the team's answers in order."""
    # What the team predicted first: later rounds are answered after seeing the explanations.
    answers = Answer.objects.filter(learner__in=team_learners(team), round=1, attempt=1)
    if since is not None:
        answers = answers.filter(created_at__gte=since)
    rows = (
        answers.order_by()
        .values("question_id", "revision_id", "choice_index", "is_correct", "choice_id")
        .annotate(count=Count("pk"))
        .values_list(
            "question_id", "revision_id", "choice_index", "is_correct", "count", "choice_id"
        )
    )
    # Listed only while published: a version taken back to a draft is reworked in place, and
    # its new questions and title are not out yet (nor are the pages the list links to).
    in_climb = set(_climb_questions(climb).published().values_list("pk", flat=True))
    return [ChoiceCount(*row) for row in rows if row[0] in in_climb]


def question_details(question_ids: list[int]) -> dict[int, QuestionInfo]:
    """The most missed questions as the reader's language has them: the prompt as plain
    text on one line (its Markdown is source, not for a table cell), whole; the table shows
    its `excerpt`."""
    if not question_ids:
        return {}
    version = "step__version"
    # Today's right choice, in the same query: a wrong answer the author has since made the
    # right one is said so (answers are marked as they were when given).
    right_choices = Choice.objects.filter(question=OuterRef("pk"), is_correct=True)
    rows = (
        Question.objects.filter(pk__in=question_ids)
        .annotate(right_choice_id=Subquery(right_choices.order_by("position").values("pk")[:1]))
        .select_related(f"{version}__piece__climb")
        .only(
            "prompt",
            "prompt_ru",
            "step",
            version,
            f"{version}__title",
            f"{version}__title_ru",
            f"{version}__tier",
            f"{version}__piece",
            f"{version}__piece__slug",
            f"{version}__piece__climb",
            f"{version}__piece__climb__slug",
        )
    )
    details = {}
    for question in rows:
        shown = question.step.version
        piece = shown.piece
        details[question.pk] = QuestionInfo(
            question_id=question.pk,
            # One line: a prompt's source wraps, which Markdown reads as spaces.
            prompt=" ".join(plain_text(question.local.prompt).split()),
            title=shown.local.title,
            url=reverse("lessons:piece_tier", args=[piece.climb.slug, piece.slug, shown.tier_slug]),
            tier=shown.tier,
            prompt_translated=question.translated,
            title_translated=shown.translated,
            right_choice_id=question.right_choice_id,
        )
    return details


def revision_choices(revision_ids: set[int]) -> dict[int, list]:
    if not revision_ids:
        return {}
    return dict(QuestionRevision.objects.filter(pk__in=revision_ids).values_list("pk", "choices"))


def translated_choices(question_ids: list[int]) -> dict[int, dict[str, str]]:
    """question -> {a choice's text as revisions keep it (the original): the text in the
    reader's language}, for these questions' current choices; nothing to look up on the
    original's own site. A text since edited away keeps its original wording."""
    language = get_language()
    if not question_ids or language not in CONTENT_LANGUAGES:
        return {}
    translated: dict[int, dict[str, str]] = defaultdict(dict)
    rows = Choice.objects.filter(question_id__in=question_ids).exclude(**{f"text_{language}": ""})
    for question_id, text, local in rows.values_list("question_id", "text", f"text_{language}"):
        translated[question_id][text] = local
    return dict(translated)


def fetch(
    team: Team,
    climbs: list,
    climb: Climb | None,
    since: datetime | None,
    chart_from: date | None,
    now: datetime | None = None,
) -> Fetched:
    """Everything the dashboard shows for `climb` since `since`, with the weekly chart from
    `chart_from` up to `now`. Without `chart_from`, only what the CSV export holds: the
    per-member data (three queries instead of nine, ten on a translated site). Without
    `climb`, the climb the team is working in (working_climb), read by the members query."""
    team_members = members(team, with_climb=climb is None)
    if climb is None:
        climb = working_climb(team_members, climbs)
    fetched = Fetched(
        members=team_members,
        versions=versions([c.pk for c in climbs]),
        version_rows=version_rows(team, since),
        climb=climb,
    )
    if climb is None or chart_from is None:
        return fetched
    fetched.choice_counts = choice_counts(team, climb, since)
    top = [question for question, _first, _missed in top_missed(fetched.choice_counts)]
    fetched.questions = question_details(top)
    fetched.revision_choices = revision_choices(
        {c.revision_id for c in fetched.choice_counts if c.question_id in top and not c.is_correct}
    )
    fetched.translated_choices = translated_choices(top)
    a_week_ago = (now or timezone.now()) - timedelta(weeks=1)
    fetched.answers_per_day, fetched.answers_a_week_ago = answers_per_day(
        team, climb, chart_from, a_week_ago
    )
    fetched.tiers_per_day, fetched.tiers_a_week_ago = tiers_per_day(
        team, climb, chart_from, a_week_ago
    )
    return fetched


def summary_shared(
    team: Team,
    climbs: list,
    climb: Climb | None,
    period: str,
    since: datetime | None,
    chart_from: date | None,
    now: datetime,
) -> Summary:
    """The dashboard's figures for every viewer (`dashboard.summarise` of `fetch`), kept for
    TEAM_DASHBOARD_SECONDS so that sorting and paging the table, or a second viewer, redo
    neither the grouped passes over the team's answers nor the per-member arithmetic.

    Keyed by the team's roster version (a column of the team row the view has already read,
    bumped on every join, leave and role change), the content generation, the language and
    the filters, so only new answers (and rounds started) can be missing, and for at most that
    many seconds. Without `climb` (none in the address), the summary's own `climb` is the
    one the team is working in, kept as long.
    """
    today = timezone.localdate(now)

    def compute() -> Summary:
        fetched = fetch(team, climbs, climb, since, chart_from, now)
        summary = summarise(fetched, climbs, fetched.climb, today=today)
        summary.counted_at = now
        return summary

    seconds = settings.TEAM_DASHBOARD_SECONDS
    if not seconds:
        return compute()
    key = ":".join(
        str(part)
        for part in (
            "team-board",
            release(),  # a Summary pickled by another release may not fit this one's class
            team.pk,
            team.roster_version,
            content_generation(),
            get_language(),
            climb.pk if climb else "working",
            period,
            chart_from or "-",
            today,
        )
    )
    summary = cache.get(key)
    if summary is None:
        summary = compute()
        cache.set(key, summary, seconds)
    return summary


def forget_team_board(sender, instance: Membership, **kwargs) -> None:
    # One UPDATE, in the transaction of the change itself. A team being deleted takes its
    # memberships with it: updating the row that is going away matches nothing.
    Team.objects.filter(pk=instance.team_id).update(roster_version=F("roster_version") + 1)


post_save.connect(forget_team_board, sender=Membership, dispatch_uid="team-board-join")
post_delete.connect(forget_team_board, sender=Membership, dispatch_uid="team-board-leave")


def question_review(
    team: Team, question_id: int, since: datetime | None = None
) -> QuestionReview | None:
    """A published question with what the team's current members chose at their first
    attempt in their first round (since `since`), as the "most missed" list counts them: per
    choice, how many and who. Three queries (the question, its choices, the answers),
    whatever the team; None if there is no such published question."""
    question = (
        Question.objects.published()
        .filter(pk=question_id)
        .select_related("step__version__piece__climb")
        .prefetch_related("choices")
        .first()
    )
    if question is None:
        return None
    chosen = Answer.objects.filter(
        question=question, learner__in=team_learners(team), round=1, attempt=1
    )
    if since is not None:
        chosen = chosen.filter(created_at__gte=since)
    chosen = chosen.order_by("learner__user__username").values_list(
        "choice_id", "is_correct", "learner__user__username"
    )
    names: dict[int | None, list[str]] = defaultdict(list)
    # Answers are marked as they were when given (Answer.is_correct): where the author has
    # changed the right answer since, who was marked otherwise than today's key would.
    otherwise: dict[int, list[str]] = defaultdict(list)
    key = {choice.pk: choice.is_correct for choice in question.choices.all()}
    missed = 0
    for choice_id, is_correct, username in chosen:
        names[choice_id].append(username)
        missed += not is_correct
        if choice_id in key and key[choice_id] != is_correct:
            otherwise[choice_id].append(username)
    answered = sum(len(people) for people in names.values())
    return QuestionReview(
        question=question,
        choices=[
            ReviewChoice(choice, names.get(choice.pk, []), answered, otherwise.get(choice.pk, []))
            for choice in question.choices.all()
        ],
        removed=names.get(None, []),
        answered=answered,
        missed=missed,
    )
