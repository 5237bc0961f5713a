from __future__ import annotations

import platform

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from climb.teams.benchmarks import largest_team, run
from climb.teams.models import Team


class Command(BaseCommand):
    help = (
        "Time a team's dashboard, its htmx fragment, its CSV export and its members page "
        "in-process (Django test client signed in as the team's owner, no network) and print "
        "the median and p95 in milliseconds (wall clock, and the median CPU time of this "
        "process, which other load on the machine disturbs less), the query count and the size; "
        "each with its full cost, then the fragment again with the figures kept "
        "(TEAM_DASHBOARD_SECONDS)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--team", type=int, default=None, help="Team id (default: the largest team)."
        )
        parser.add_argument(
            "--climb",
            default=None,
            help="Climb slug for the dashboard filter (default: the dashboard's own default, "
            "the first climb).",
        )
        parser.add_argument(
            "--requests", type=int, default=50, help="Requests per page (default 50)."
        )

    def handle(self, *args, team, climb, requests, **options):
        chosen = Team.objects.filter(pk=team).first() if team else largest_team()
        if chosen is None:
            raise CommandError("No such team: create one with `manage.py generate_team`.")
        size = chosen.memberships.count()
        self.stdout.write(
            f"{platform.python_implementation()} {platform.python_version()} on "
            f"{platform.machine()}, database: {connection.vendor}, team {chosen.pk} "
            f"({size} members), {requests} requests per page"
        )
        try:
            timings = run(chosen, requests, climb)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{'page':<10}{'median ms':>11}{'p95 ms':>9}{'cpu ms':>9}{'queries':>9}{'KiB':>8}  url"
        )
        for t in timings:
            self.stdout.write(
                f"{t.label:<10}{t.median_ms:>11.1f}{t.p95_ms:>9.1f}{t.cpu_median_ms:>9.1f}{t.queries:>9}"
                f"{t.size_bytes / 1024:>8.1f}  {t.url}"
            )
