from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from climb.teams.synthetic import SyntheticError, generate


class Command(BaseCommand):
    help = (
        "Create a large synthetic team for measuring the dashboard: users, a team, a climb of "
        "its own (synthetic-<seed>, so the demo climb is untouched) and their answers, written "
        "in batches. Deterministic for a given --seed (dates are relative to now)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, default=500, help="Members in the team (default 500)."
        )
        parser.add_argument(
            "--pieces",
            type=int,
            default=50,
            help="Pieces in the synthetic climb (default 50); each has a Zero version and "
            "some also Junior, Middle and Senior ones, four questions each.",
        )
        parser.add_argument(
            "--answers",
            type=int,
            default=100_000,
            help="Answers to create in all, retries included (default 100000).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Random seed (default 1); also names the climb and the users.",
        )
        parser.add_argument("--team-name", default=None, help="The team's name.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete what an earlier run with the same seed created, then generate again.",
        )

    def handle(self, *args, members, pieces, answers, seed, team_name, replace, **options):
        try:
            made = generate(
                members=members,
                pieces=pieces,
                answers=answers,
                seed=seed,
                team_name=team_name,
                replace=replace,
            )
        except SyntheticError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created team {made.team.pk} “{made.team.name}”: {made.members} members "
            f"(owner {made.owner_username}), climb {made.climb.slug}: {made.pieces} pieces, "
            f"{made.versions} tier versions, {made.questions} questions; {made.answers} "
            f"answers, {made.tiers_reached} tiers reached; in {made.seconds:.1f} s."
        )
        if made.answers < answers:
            self.stdout.write(
                f"Only {made.answers} of {answers} answers fit: every member answered "
                "everything. Add --pieces for more."
            )
        self.stdout.write(
            f"Time its dashboard: manage.py bench_team --team {made.team.pk} "
            f"--climb {made.climb.slug}"
        )
