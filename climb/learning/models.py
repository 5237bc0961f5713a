"""What learners do: their answers, and the tiers they reached in each climb.

A Learner is the person answering: a signed-in user, or an anonymous visitor whose learner id
lives in their session until they sign up or log in (then `merge_into` moves everything).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lessons import contentcache
from lessons.models import (
    Choice,
    Climb,
    Question,
    Status,
    Tier,
    TierVersion,
    content_generation,
)

from .altitude import VersionScore, altitude_from, best_round, clears, on_new_round
from .queries import first_attempt_counts


def _published_questions(climb_id: int | None) -> list[tuple[int, int, int, int, tuple]]:
    """(version, piece, climb, tier, the numbers of its steps that hold a question, as the
    piece page numbers its steps) for every published version: the same for every learner,
    so cached until the content changes. One query, a row per step."""
    key = f"question-steps:{content_generation()}:{climb_id or 'all'}"
    rows = contentcache.get(key)
    if rows is None:
        versions = TierVersion.objects.published()
        if climb_id is not None:
            versions = versions.filter(piece__climb_id=climb_id)
        steps = versions.order_by("piece", "tier", "steps__position", "steps__id").values_list(
            "id", "piece_id", "piece__climb_id", "tier", "steps__id", "steps__question__id"
        )
        # version -> (version, piece, climb, tier, its steps' question ids or None, in order)
        found: dict[int, tuple[int, int, int, int, list[int | None]]] = {}
        for version_id, piece_id, climb_, tier, step_id, question_id in steps:
            row = found.setdefault(version_id, (version_id, piece_id, climb_, tier, []))
            if step_id is not None:  # a version with no steps comes as one row of NULLs
                row[4].append(question_id)
        rows = [
            (*row[:4], tuple(n for n, q in enumerate(row[4], start=1) if q is not None))
            for row in found.values()
        ]
        contentcache.set(key, rows, 3600)
    return rows


def question_counts(climb_id: int | None = None) -> list[tuple[int, int, int, int, int]]:
    """(version, piece, climb, tier, questions) for every published version (cached)."""
    return [(*row[:4], len(row[4])) for row in _published_questions(climb_id)]


def question_steps(climb_id: int | None = None) -> dict[int, tuple[int, ...]]:
    """version -> the numbers of its steps with a question (#step-N on its page), for
    every published version; from the same cached rows as question_counts, so a page
    that has the learner's scores gets them with no query."""
    return {row[0]: row[4] for row in _published_questions(climb_id)}


def question_count(version_id: int) -> int:
    return Question.objects.filter(step__version_id=version_id).count()


def _cleared(rounds: list[dict], questions: int) -> set[int]:
    return {row["learner_id"] for row in rounds if clears(questions, row["answered"], row["right"])}


def _first_attempt_rounds(version_id: int) -> list[dict]:
    return list(
        Answer.objects.filter(question__step__version_id=version_id, attempt=1)
        .order_by()
        .values("learner_id", "round")
        .annotate(answered=Count("pk"), right=Count("pk", filter=Q(is_correct=True)))
    )


def uncleared_by_edit(version_id: int, questions_before: int) -> tuple[int, int]:
    """(learners the version no longer counts as cleared, learners it did) after an edit that
    found it with `questions_before` questions. For authors: a question added un-clears
    everyone who cleared the version until they answer it (the rule asks for every question),
    which can take altitude away. Free when the number of questions did not change (only
    unanswered questions can be removed, so the learners' answers are the same)."""
    questions_now = question_count(version_id)
    if questions_now == questions_before:
        return 0, 0
    rounds = _first_attempt_rounds(version_id)
    before = _cleared(rounds, questions_before)
    return len(before - _cleared(rounds, questions_now)), len(before)


def scores_for(learner_id: int | None, climb: Climb | int | None = None) -> list[VersionScore]:
    """Per published tier version: questions, answered, right at the first attempt, and
    whether a new round was started with nothing answered in it yet.

    One query for the learner (their first attempts, counted per version by the database,
    and their rounds) and the cached question counts; cost grows with the content, not with
    anyone's history. Without a learner (a visitor who has answered nothing), nothing
    answered, no query.
    """
    climb_id = climb.pk if isinstance(climb, Climb) else climb
    rounds: dict[int, dict[int, tuple[int, int]]] = {}
    counts = first_attempt_counts(learner_id, climb_id) if learner_id is not None else []
    for version_id, round_, answered, right in counts:
        # A Retake row comes as (0, 0) beside its round's answers, if any: added up.
        by_round = rounds.setdefault(version_id, {})
        before = by_round.get(round_, (0, 0))
        by_round[round_] = (before[0] + answered, before[1] + right)
    scores = []
    for version_id, piece_id, climb_, tier, questions in question_counts(climb_id):
        mine = rounds.get(version_id, {})
        answered, right = best_round(mine, questions)
        scores.append(
            VersionScore(
                version_id,
                piece_id,
                climb_,
                tier,
                questions,
                answered,
                right,
                new_round=on_new_round(mine, questions),
            )
        )
    return scores


class Learner(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="learner",
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # An anonymous learner's last day with its session (climb.learning.sessions stamps it at
    # most once a day): after SESSION_COOKIE_AGE with no visit its session has expired and
    # nobody can reach its progress again, so `manage.py clear_learners` deletes it.
    last_seen = models.DateTimeField(default=timezone.now, db_default=Now())
    # The interface language the learner chose, restored when they log in elsewhere.
    language = models.CharField(max_length=8, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("learner")
        verbose_name_plural = _("learners")
        indexes = [
            models.Index(
                fields=["last_seen"],
                condition=Q(user__isnull=True),
                name="anonymous_learner_last_seen",
            )
        ]

    def __str__(self) -> str:
        return self.user.get_username() if self.user_id else f"anonymous #{self.pk}"

    def progress_in(self, climb: Climb | None = None) -> list[VersionScore]:
        return scores_for(self.pk, climb)

    def altitude_in(self, climb: Climb) -> Tier | None:
        return altitude_from(self.progress_in(climb))

    def record_altitude(
        self, climb: Climb, scores: list[VersionScore] | None = None
    ) -> Tier | None:
        """Store when each tier up to the current altitude was first reached."""
        altitude = altitude_from(scores if scores is not None else self.progress_in(climb))
        if altitude is not None:
            TierReached.objects.bulk_create(
                [
                    TierReached(learner=self, climb=climb, tier=tier)
                    for tier in Tier
                    if tier <= altitude
                ],
                ignore_conflicts=True,
            )
        return altitude

    @transaction.atomic
    def merge_into(self, target: Learner) -> int:
        """Move this (anonymous) learner's history to `target`, losing nothing; returns how
        many answers it moved.

        Per question and round, the attempts of both are put in time order and renumbered, so
        the earliest first answer stays the first answer. A version's round is the later of
        the two. Tier records keep the earliest date.
        """
        if target.pk == self.pk:
            return 0
        # Locked first: an answer posted in another tab meanwhile waits, then is refused
        # ("out of date") once this learner is gone, instead of being stored after the read
        # below and deleted with the learner, unseen, at the end (PostgreSQL).
        Learner.objects.select_for_update().filter(pk=self.pk).values_list("pk").first()
        mine = list(self.answers.all())
        if mine:
            questions = {answer.question_id for answer in mine}
            theirs = list(target.answers.filter(question_id__in=questions))
            merged = sorted(mine + theirs, key=lambda a: (a.created_at, a.pk))
            Answer.objects.filter(pk__in=[a.pk for a in merged]).delete()
            attempts: dict[tuple[int, int], int] = {}
            for answer in merged:
                key = (answer.question_id, answer.round)
                attempts[key] = attempts.get(key, 0) + 1
                answer.pk = None
                answer.learner = target
                answer.attempt = attempts[key]
            Answer.objects.bulk_create(merged)
        for retake in self.retakes.all():
            theirs = Retake.objects.filter(learner=target, version_id=retake.version_id).first()
            if theirs is None:
                Retake.objects.filter(pk=retake.pk).update(learner=target)
            elif theirs.round < retake.round:
                theirs.round, theirs.started_at = retake.round, retake.started_at
                theirs.save(update_fields=["round", "started_at"])
        for record in self.tiers_reached.all():
            existing = target.tiers_reached.filter(climb_id=record.climb_id, tier=record.tier)
            if not existing.exists():
                TierReached.objects.create(
                    learner=target,
                    climb_id=record.climb_id,
                    tier=record.tier,
                    reached_at=record.reached_at,
                )
            else:
                existing.filter(reached_at__gt=record.reached_at).update(
                    reached_at=record.reached_at
                )
        self.delete()
        for climb in Climb.objects.filter(
            pieces__versions__steps__question__answers__learner=target
        ).distinct():
            target.record_altitude(climb)
        return len(mine)


class QuestionRevision(models.Model):
    """A question exactly as a learner saw it: prompt and choices, frozen.

    Authors may fix or rewrite a question after people answered it (in the admin or by
    re-importing a lesson file). Each answer points at the revision it was given to, created
    on demand from a hash of the content, so an answer always reads as what was on screen.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="revisions")
    content_hash = models.CharField(max_length=64)
    prompt = models.TextField()
    # The Russian, where the question had one: a Russian reader's download reads as they saw it.
    prompt_ru = models.TextField(blank=True, default="", db_default="")
    choices = models.JSONField(
        help_text="[{text, is_correct, explanation, text_ru if translated}] in display order"
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "content_hash"], name="one_revision_per_content"
            )
        ]
        verbose_name = _("question revision")
        verbose_name_plural = _("question revisions")

    def __str__(self) -> str:
        return f"q{self.question_id} @ {self.content_hash[:8]}"

    @classmethod
    def current(cls, question: Question, choices: list[Choice]) -> QuestionRevision:
        return cls._current(question, *cls._freeze(question, choices))

    @classmethod
    def _current(cls, question: Question, frozen: list[dict], digest: str) -> QuestionRevision:
        revision = cls.objects.filter(question=question, content_hash=digest).first()
        if revision is None:
            try:
                with transaction.atomic():
                    revision = cls.objects.create(
                        question=question,
                        content_hash=digest,
                        prompt=question.prompt,
                        prompt_ru=question.prompt_ru,
                        choices=frozen,
                    )
            except IntegrityError:  # created by a concurrent answer
                revision = cls.objects.get(question=question, content_hash=digest)
        return revision

    @classmethod
    def current_id(cls, question: Question, choices: list[Choice]) -> int:
        """`current(...).pk`, remembered: the key is the content's own hash, so it holds for
        as long as the question reads this way.

        Remembered once the transaction that created the row commits, not before: another
        process that took the id from the (shared) cache while the row was still
        uncommitted would have its answer refused at commit, its foreign key pointing at a
        row it cannot see (seen under load on PostgreSQL as "out of date" answers).
        """
        frozen, digest = cls._freeze(question, choices)
        key = f"revision:{question.pk}:{digest}"
        revision_id = contentcache.get(key)
        if revision_id is None:
            revision_id = cls._current(question, frozen, digest).pk
            transaction.on_commit(lambda: contentcache.set(key, revision_id, 3600))
        return revision_id

    @staticmethod
    def _freeze(question: Question, choices: list[Choice]) -> tuple[list[dict], str]:
        frozen = [
            {"text": c.text, "is_correct": c.is_correct, "explanation": c.explanation}
            | ({"text_ru": c.text_ru} if c.text_ru else {})
            for c in choices
        ]
        # An untranslated question hashes as it did before the Russian was kept.
        shown = [question.prompt, question.prompt_ru] if question.prompt_ru else [question.prompt]
        payload = json.dumps([*shown, frozen], ensure_ascii=False, sort_keys=True)
        return frozen, hashlib.sha256(payload.encode()).hexdigest()


class AnswerQuerySet(models.QuerySet):
    def first_attempts(self) -> AnswerQuerySet:
        return self.filter(attempt=1)

    def in_published(self) -> AnswerQuerySet:
        """Answers to questions of published versions (Question.objects.published()), the
        ones a page may name: a draft's reworked text is not out yet. They count all the same."""
        return self.filter(question__step__version__status=Status.PUBLISHED)


@dataclass
class Recorded:
    """The outcome of posting an answer."""

    answer: Answer
    created: bool  # False: a resent or duplicate post, nothing new was stored


class Answer(models.Model):
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="answers")
    # PROTECT: content edits must never silently delete what a learner answered.
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    # The choice row may later be edited or removed; the revision and the index keep what was
    # chosen, as it was shown.
    choice = models.ForeignKey(
        Choice, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )
    revision = models.ForeignKey(QuestionRevision, on_delete=models.PROTECT, related_name="+")
    choice_index = models.PositiveSmallIntegerField()
    is_correct = models.BooleanField()
    # A learner who finished a piece without clearing it may climb it again: each round
    # numbers its attempts from 1 (see Retake). Round 1 is the learner's first prediction.
    round = models.PositiveSmallIntegerField(default=1, db_default=1)
    attempt = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True, db_default=Now())

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["learner", "question", "round", "attempt"]
        constraints = [
            # A double click or a resent form carries the same attempt number: it lands here.
            models.UniqueConstraint(
                fields=["learner", "question", "round", "attempt"],
                name="one_answer_per_round_attempt",
            ),
            models.CheckConstraint(condition=Q(attempt__gte=1), name="attempt_is_positive"),
            models.CheckConstraint(condition=Q(round__gte=1), name="answer_round_is_positive"),
        ]
        indexes = [models.Index(fields=["learner", "-created_at"])]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.learner} · q{self.question_id} · attempt {self.attempt}"

    @classmethod
    def record(
        cls,
        learner: Learner,
        choice: Choice,
        attempt: int,
        previous: list | None = None,
        round: int = 1,
    ) -> Recorded:
        """Store `attempt` of the learner at the choice's question, exactly once.

        `attempt` comes from the form (the number of attempts the learner had seen, plus one),
        so a resent post names an attempt that already exists and gets that answer back.
        `previous`: the learner's earlier answers to this question in this round, in attempt
        order, when the caller has them already (anything with `attempt` and `is_correct`).
        `round`: the round the caller checked `attempt` against.
        Raises ValueError for an attempt the learner could not have been offered.
        """
        question = choice.question
        choices = list(question.choices.all())
        if previous is None:
            previous = list(
                cls.objects.filter(learner=learner, question_id=question.pk, round=round).order_by(
                    "attempt"
                )
            )
        if attempt <= len(previous):
            return Recorded(previous[attempt - 1], created=False)
        if previous and previous[-1].is_correct:
            # Already right: nothing more to try; show the answer that settled it.
            return Recorded(previous[-1], created=False)
        if attempt != len(previous) + 1:
            raise ValueError("attempt out of sequence")
        # Outside a transaction (a request: no ATOMIC_REQUESTS) the INSERT commits or fails on
        # its own, and waits for SQLite's write lock as BEGIN IMMEDIATE would: a transaction
        # around it only added BEGIN and COMMIT to every answer. (A new question revision is
        # committed by its own, before.) Inside a caller's transaction (a test's), a savepoint
        # keeps a refused INSERT from spoiling it: Django, and PostgreSQL, would refuse every
        # later query in it, the one below included.
        in_transaction = transaction.get_connection().in_atomic_block
        try:
            with transaction.atomic() if in_transaction else nullcontext():
                answer = cls.objects.create(
                    learner=learner,
                    question_id=question.pk,
                    choice=choice,
                    revision_id=QuestionRevision.current_id(question, choices),
                    choice_index=[c.pk for c in choices].index(choice.pk),
                    is_correct=choice.is_correct,
                    round=round,
                    attempt=attempt,
                )
        except IntegrityError:
            # Two identical posts raced, and the other one stored it; or the choice was
            # deleted by an author after this process read it (the foreign key refused it).
            answer = cls.objects.filter(
                learner=learner, question_id=question.pk, round=round, attempt=attempt
            ).first()
            if answer is None:
                raise ValueError("the question changed while the answer was posted") from None
            return Recorded(answer, created=False)
        return Recorded(answer, created=True)


class Retake(models.Model):
    """The round a learner is on in a tier version they chose to climb again (2, 3, ...).

    Without a row, a learner is on round 1. A new round is open to a learner who answered
    every question of the version without clearing it: the steps start again, and the first
    answers of the new round count for the altitude (a version counts as cleared when any of
    its rounds was). Round 1 stays on record as what they predicted first.
    """

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="retakes")
    version = models.ForeignKey(TierVersion, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "version"], name="one_retake_per_version"),
            models.CheckConstraint(condition=Q(round__gte=2), name="retake_round_after_first"),
        ]
        verbose_name = _("retake")
        verbose_name_plural = _("retakes")

    def __str__(self) -> str:
        return f"{self.learner} · v{self.version_id} · round {self.round}"

    @classmethod
    def start(cls, learner_id: int | None, version: TierVersion) -> int:
        """Start the learner's next round of the version and return its number. Raises
        RetakeRefused with the reason; a round started a moment ago (nothing answered in it
        yet, a second click) is left as it is."""
        questions = list(
            Question.objects.filter(step__version=version).values_list("pk", flat=True)
        )
        with transaction.atomic():
            existing = (
                cls.objects.select_for_update().filter(learner_id=learner_id, version=version)
            ).first()
            firsts = Answer.objects.filter(
                learner_id=learner_id,
                question_id__in=questions,
                round=existing.round if existing is not None else 1,
                attempt=1,
            ).aggregate(answered=Count("pk"), right=Count("pk", filter=Q(is_correct=True)))
            if existing is not None and not firsts["answered"]:
                return existing.round
            if not questions or firsts["answered"] < len(questions):
                raise RetakeRefused(
                    gettext(
                        "Answer every question of this piece first: then you can climb it again."
                    )
                )
            if clears(len(questions), firsts["answered"], firsts["right"]):
                raise RetakeRefused(gettext("You have cleared this piece already."))
            if existing is not None:
                existing.round += 1
                existing.started_at = timezone.now()
                existing.save(update_fields=["round", "started_at"])
                return existing.round
            try:
                with transaction.atomic():
                    cls.objects.create(learner_id=learner_id, version=version, round=2)
            except IntegrityError:
                # Another tab's click got there first (FOR UPDATE locks no row that does not
                # exist yet): that round is the one.
                pass
            return 2


class RetakeRefused(Exception):
    """Why a new round cannot start, in the learner's words."""


class TierReached(models.Model):
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="tiers_reached")
    climb = models.ForeignKey(Climb, on_delete=models.CASCADE, related_name="+")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    reached_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        ordering = ["learner", "climb", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "climb", "tier"], name="tier_reached_once")
        ]
        verbose_name = _("tier reached")
        verbose_name_plural = _("tiers reached")

    def __str__(self) -> str:
        return f"{self.learner} reached {self.get_tier_display()} in {self.climb_id}"

    @property
    def tier_slug(self) -> str:
        return Tier(self.tier).slug


class RateCounter(models.Model):
    """One window of an hourly rate limit (climb.learning.ratelimit), where every app server
    and worker counts together when the cache is each process's own (no Redis)."""

    bucket = models.CharField(max_length=64, primary_key=True)  # a SHA-256 of the window's key
    count = models.PositiveIntegerField(default=1, db_default=1)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket}: {self.count}"
