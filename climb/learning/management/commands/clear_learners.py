"""Delete anonymous learners nobody can reach any more: run daily, after clearsessions."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from climb.learning.models import Answer, Learner

# A session is saved again later on the day its learner was stamped: allow for that day, and
# one more for clocks, before calling its session gone.
GRACE = timedelta(days=2)
BATCH = 500


def expired_learners():
    """Anonymous learners whose session has certainly expired: last seen longer ago than a
    session lives. Signed-in learners are never among them."""
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE) - GRACE
    return Learner.objects.filter(user__isnull=True, last_seen__lt=cutoff)


class Command(BaseCommand):
    help = (
        "Delete anonymous learners (with their answers) whose session has expired: last seen "
        "more than SESSION_DAYS (+2) days ago, so nobody can reach their progress again. "
        "Answers of signed-in learners are never touched. Run it daily with clearsessions."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; delete nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        expired = expired_learners()
        if dry_run:
            learners = expired.count()
            answers = Answer.objects.filter(learner__in=expired).count()
            self.stdout.write(
                f"Would delete {learners} anonymous learner(s) with {answers} answer(s)."
            )
            return
        learners = answers = 0
        # In batches, each its own transaction: a large backlog never holds the write lock
        # (SQLite's one writer) for long, and what is done stays done.
        while ids := list(expired.values_list("pk", flat=True)[:BATCH]):
            with transaction.atomic():
                _total, by_model = Learner.objects.filter(pk__in=ids, user__isnull=True).delete()
            learners += by_model.get(Learner._meta.label, 0)
            answers += by_model.get(Answer._meta.label, 0)
        self.stdout.write(f"Deleted {learners} anonymous learner(s) with {answers} answer(s).")
