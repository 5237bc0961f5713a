"""What a piece page shows for one learner: the content, and how far they got in it.

Shared by the piece page and the answer endpoint's HTMX fragment, so both render from the
same state.
"""

from __future__ import annotations

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Abs
from django.utils.translation import get_language

from climb.learning.altitude import Altitude, VersionScore
from climb.learning.models import scores_for
from climb.learning.queries import round_answers
from climb.learning.quiz import Attempt, outcome, unfold

from . import contentcache
from .models import Piece, Question, Tier, TierVersion, content_generation


def neighbour(version: TierVersion, direction: str) -> Piece | None:
    """The previous or next published piece, at the tier nearest the one being read.

    The same tier if the piece has it, else the nearest one. A tie (the tier below and the
    one above, not the one being read) goes upwards for the next piece and downwards for
    the previous one: that way k-then-j and j-then-k come back to the tier one left (from
    Middle, to a piece with Junior and Senior, k goes to Junior; j from there has Zero and
    Middle at the same distance: upwards, Middle). One preference both ways would lose the
    round trip whenever the piece one comes back to has the tier on the far side too. It
    reads as the climb does, too: onwards is upwards, back is a review.
    """
    piece = version.piece
    titled = (
        TierVersion.objects.published()
        .filter(piece=OuterRef("pk"))
        .annotate(distance=Abs(F("tier") - version.tier))
        .order_by("distance", "-tier" if direction == "next" else "tier")
    )
    if direction == "next":
        where = Q(order__gt=piece.order) | Q(order=piece.order, slug__gt=piece.slug)
        ordering = ["order", "slug"]
    else:
        where = Q(order__lt=piece.order) | Q(order=piece.order, slug__lt=piece.slug)
        ordering = ["-order", "-slug"]
    found = (
        Piece.objects.published()
        .filter(where, climb_id=piece.climb_id)
        .annotate(
            title=Subquery(titled.values("title")[:1]),
            title_ru=Subquery(titled.values("title_ru")[:1]),
            tier=Subquery(titled.values("tier")[:1]),
        )
        .order_by(*ordering)
        .first()
    )
    if found is not None:
        found.url = f"{piece.climb.get_absolute_url()}{found.slug}/{Tier(found.tier).slug}/"
        # As TranslatedMixin.translated has it: whether the title is in the page's language.
        found.translated = get_language() != "ru" or bool(found.title_ru)
        if get_language() == "ru" and found.title_ru:
            found.title = found.title_ru
    return found


def version_for_reading(climb_slug: str, piece_slug: str, tier: int) -> TierVersion | None:
    """The published version with everything its page shows, from the cache when it can.

    The content part of a piece page is the same for every learner: it is fetched once per
    content generation (and language, for the neighbours' titles) and kept in the cache, so
    a learner's page or answer costs only the queries about the learner.
    """
    key = f"reading:{content_generation()}:{get_language()}:{climb_slug}:{piece_slug}:{tier}"
    version = contentcache.get(key)
    if version is None:
        version = (
            TierVersion.objects.published()
            .for_reading()
            .filter(piece__climb__slug=climb_slug, piece__slug=piece_slug, tier=tier)
            .first()
        )
        if version is None:
            return None
        version.source_list = list(version.sources.all())
        version.previous_piece = neighbour(version, "previous")
        version.next_piece = neighbour(version, "next")
        contentcache.set(key, version, 3600)
    return version


def question_for_answering(question_id: int) -> Question | None:
    """A published question as its piece page has it, from the cache: its choices, and
    `question.step.version` with everything `reading_context` needs. None if there is no
    such published question."""
    key = f"question-home:{content_generation()}:{question_id}"
    home = contentcache.get(key)
    if home is None:
        home = (
            TierVersion.objects.published()
            .filter(steps__question__id=question_id)
            .values_list("piece__climb__slug", "piece__slug", "tier")
            .first()
        )
        if home is None:  # not remembered: any number can be posted
            return None
        contentcache.set(key, home, 3600)
    version = version_for_reading(*home)
    if version is None:
        return None
    return next(
        (
            q
            for q in (getattr(step, "question", None) for step in version.steps.all())
            if q and q.pk == question_id
        ),
        None,
    )


def tier_bar(version: TierVersion, altitude: Altitude) -> list[dict]:
    piece_url = version.piece.get_absolute_url()
    return [
        {
            "tier": tier,
            "available": getattr(version, f"has_{tier.slug}", tier == version.tier),
            "current": tier == version.tier,
            "reached": tier in altitude.reached,
            "url": f"{piece_url}{tier.slug}/",
        }
        for tier in Tier
    ]


def attempts_in(version: TierVersion, learner_id: int) -> tuple[int, list[Attempt]]:
    """The round the learner is on in the version, and their answers to its questions in
    that round: one query, by question id (climb.learning.queries.round_answers)."""
    # The choices are prefetched with the steps: reuse them instead of a query per answer.
    choices = {}
    question_ids = []
    for step in version.steps.all():
        if hasattr(step, "question"):
            question_ids.append(step.question.pk)
            choices.update((choice.pk, choice) for choice in step.question.choices.all())
    round_, rows = round_answers(learner_id, version.pk, question_ids)
    return round_, [
        Attempt(question_id, choice_id, is_correct, attempt, choices.get(choice_id))
        for question_id, choice_id, is_correct, attempt in rows
    ]


def altitude_context(version: TierVersion, scores: list[VersionScore]) -> dict:
    altitude = Altitude.from_scores(scores)
    return {"altitude": altitude, "tier_bar": tier_bar(version, altitude)}


def all_right(version: TierVersion) -> list[Attempt]:
    """Every question of the version answered right at the first try: how an author
    proofreads it (every step open, every explanation there), answering nothing."""
    return [
        Attempt(step.question.pk, choice.pk, True, 1, choice)
        for step in version.steps.all()
        if hasattr(step, "question")
        for choice in step.question.choices.all()
        if choice.is_correct
    ]


def reading_context(
    version: TierVersion, learner_id: int | None, answers: list[Attempt] | None = None
) -> dict:
    """`version` must come from TierVersion.objects.for_reading(). `answers`: shown in place
    of a learner's (the proofreading preview)."""
    steps = list(version.steps.all())
    if answers is not None:
        round_, scores = 1, []
    elif learner_id is None:
        round_, answers, scores = 1, [], []
    else:
        round_, answers = attempts_in(version, learner_id)
        scores = scores_for(learner_id, version.piece.climb_id)
    states = unfold(steps, answers, round_)
    return {
        "version": version,
        "piece": version.piece,
        "climb": version.piece.climb,
        "steps": states,
        "outcome": outcome(states),
        **altitude_context(version, scores),
    }
