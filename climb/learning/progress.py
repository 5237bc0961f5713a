"""What a learner's progress page shows: shared by their own page and a team manager's view
of a member, so the two can never count differently."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from lessons.models import Climb
from lessons.models import Status as ContentStatus

from .altitude import Altitude, Status, percent, piece_statuses
from .models import Answer, TierReached, scores_for


def progress_context(learner_id: int | None) -> dict:
    """Per climb: altitude, pieces cleared (as the climb page counts them), questions
    answered; first-try accuracy, tiers reached, questions to revisit and recent answers.
    Six queries, whatever the history; without a learner, the climbs and the cached question
    counts."""
    climbs = list(Climb.objects.with_summary())
    scores = scores_for(learner_id)
    rows = []
    for climb in climbs:
        mine = [s for s in scores if s.climb_id == climb.pk]
        rows.append(
            {
                "climb": climb,
                "altitude": Altitude.from_scores(mine),
                "pieces_cleared": sum(
                    1 for status in piece_statuses(mine).values() if status is Status.CLEARED
                ),
                "questions_answered": sum(s.answered for s in mine),
                "questions": sum(s.questions for s in mine),
            }
        )
    context = {
        "rows": rows,
        "recent": [],
        "accuracy": None,
        "first_answers": 0,
        "reached": [],
        "revisit": [],
        "ever_missed": False,
        "missed_in_published": False,
    }
    if learner_id is None:
        return context
    # First-try accuracy: the first round only, what the learner predicted before any retake.
    # Misses at a first try in any round, in the same pass, to say what an empty "to revisit"
    # means: "all answered right since" if a piece out now had one, "never missed one" if no
    # piece ever had. Misses only in pieces back in drafts (hidden from the list) are neither.
    totals = Answer.objects.filter(learner_id=learner_id, attempt=1).aggregate(
        first=Count("pk", filter=Q(round=1)),
        right=Count("pk", filter=Q(round=1, is_correct=True)),
        missed=Count("pk", filter=Q(is_correct=False)),
        missed_out=Count(
            "pk",
            filter=Q(is_correct=False, question__step__version__status=ContentStatus.PUBLISHED),
        ),
    )
    if totals["first"]:
        context["accuracy"] = percent(totals["right"], totals["first"])
        context["first_answers"] = totals["first"]
    context["ever_missed"] = totals["missed"] > 0
    context["missed_in_published"] = totals["missed_out"] > 0
    context["revisit"] = list(to_revisit(learner_id)[:REVISIT_SHOWN])
    context["recent"] = list(
        Answer.objects.in_published()
        .filter(learner_id=learner_id)
        .select_related("question__step__version__piece__climb")
        .order_by("-created_at", "-pk")[:20]
    )
    context["reached"] = list(
        TierReached.objects.filter(learner_id=learner_id)
        .select_related("climb")
        .order_by("-reached_at")
    )
    return context


REVISIT_SHOWN = 10


def to_revisit(learner_id: int):
    """The learner's first attempts that were wrong and are still their latest first attempt
    at that question (a later round's right first answer takes a question off the list),
    newest first. One query: the later attempt is looked for in the same statement, through
    the (learner, question, round, attempt) index."""
    later = Answer.objects.filter(
        learner_id=learner_id,
        question_id=OuterRef("question_id"),
        attempt=1,
        round__gt=OuterRef("round"),
    )
    return (
        Answer.objects.in_published()
        .filter(learner_id=learner_id, attempt=1, is_correct=False)
        .exclude(Exists(later))
        .select_related("question__step__version__piece__climb")
        .order_by("-created_at", "-pk")
    )
