"""The learner's hot queries in SQL (climb.learning.queries) give exactly what the ORM
queries they replaced give, on whichever database runs the suite."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count, Q

from climb.learning.models import Answer, Learner, Retake
from climb.learning.queries import (
    first_attempt_counts,
    owned_learner,
    round_answers,
)
from lessons.models import Question

from .factories import make_climb, make_piece, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """Two climbs, three versions; two learners answering at random over three rounds."""
    rng = random.Random(7)
    versions = [
        make_version(make_piece(make_climb(slug=f"c{n % 2}") if n < 2 else None), steps=3)
        for n in range(3)
    ]
    learners = [Learner.objects.create() for _ in range(2)]
    for learner in learners:
        for version in versions:
            rounds = rng.randint(1, 3)
            if rounds > 1:
                Retake.objects.create(learner=learner, version=version, round=rounds)
            for round_ in range(1, rounds + 1):
                for question in Question.objects.filter(step__version=version):
                    for attempt in range(1, rng.randint(1, 3) + 1):
                        choice = rng.choice(list(question.choices.all()))
                        Answer.record(learner, choice, attempt, round=round_)
    return versions, learners


def test_round_answers_are_the_orm_s(history):
    versions, learners = history
    # A round just started, with nothing answered in it yet, still comes back.
    Retake.objects.filter(learner=learners[0], version=versions[0]).delete()
    Retake.objects.create(learner=learners[0], version=versions[0], round=4)
    for learner in learners:
        for version in versions:
            ids = list(Question.objects.filter(step__version=version).values_list("pk", flat=True))
            retake = Retake.objects.filter(learner=learner, version=version).first()
            expected_round = retake.round if retake else 1
            orm = (
                Answer.objects.filter(learner=learner, question_id__in=ids, round=expected_round)
                .order_by()
                .values_list("question_id", "choice_id", "is_correct", "attempt")
            )
            round_, answers = round_answers(learner.pk, version.pk, ids)
            assert (round_, sorted(answers)) == (expected_round, sorted(orm))
    fresh = list(Question.objects.filter(step__version=versions[0]).values_list("pk", flat=True))
    assert Answer.objects.filter(learner=learners[0], question_id__in=fresh).exists()
    assert round_answers(learners[0].pk, versions[0].pk, fresh) == (4, [])
    assert round_answers(learners[0].pk, versions[0].pk, []) == (1, [])


def test_first_attempt_counts_are_the_orm_s(history):
    versions, learners = history
    # A round just started, with nothing answered in it yet, comes back too, as (0, 0).
    Retake.objects.filter(learner=learners[0], version=versions[0]).delete()
    Retake.objects.create(learner=learners[0], version=versions[0], round=4)
    climbs = {version.piece.climb_id for version in versions} | {None}
    for learner in learners:
        for climb_id in climbs:
            answers = Answer.objects.filter(learner=learner, attempt=1).order_by()
            retakes = Retake.objects.filter(learner=learner)
            if climb_id is not None:
                answers = answers.filter(question__step__version__piece__climb_id=climb_id)
                retakes = retakes.filter(version__piece__climb_id=climb_id)
            orm = list(
                answers.values("question__step__version_id", "round")
                .annotate(n=Count("pk"), right=Count("pk", filter=Q(is_correct=True)))
                .values_list("question__step__version_id", "round", "n", "right")
            )
            started = retakes.values_list("version", "round")
            orm += [(version, round_, 0, 0) for version, round_ in started]
            assert sorted(first_attempt_counts(learner.pk, climb_id)) == sorted(orm)
            assert first_attempt_counts(learner.pk, climb_id)  # not vacuous


def test_owned_learner_is_the_orm_s(django_user_model):
    ada, bob = (django_user_model.objects.create_user(name) for name in ("ada", "bob"))
    anonymous = Learner.objects.create(language="ru")
    hers = Learner.objects.create(user=ada, language="en")
    for learner_id in (anonymous.pk, hers.pk, hers.pk + anonymous.pk + 1):
        for user in (None, ada, bob):
            owner = Q(user=user) if user else Q(user__isnull=True)
            expected = Learner.objects.filter(owner, pk=learner_id).first()
            got = owned_learner(learner_id, user.pk if user else None)
            assert got == expected, (learner_id, user)
            if expected is not None:
                assert got.user_id == expected.user_id
                assert got.language == expected.language  # not read, loaded when asked
