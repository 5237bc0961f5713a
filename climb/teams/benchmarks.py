"""In-process timing of the team pages (`manage.py bench_team`): figures, not assertions.

The Django test client signs in as the team's owner and requests each page `requests` times
after a warm-up, with `lessons.benchmarks.time_page` as for the reading pages.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Count
from django.test import Client, override_settings

from lessons.benchmarks import PageTiming, time_page

from .models import Membership, Role, Team


def largest_team() -> Team | None:
    return Team.objects.annotate(size=Count("memberships")).order_by("-size", "pk").first()


def run(team: Team, requests: int = 50, climb: str | None = None) -> list[PageTiming]:
    owner = Membership.objects.filter(team=team, role=Role.OWNER).select_related("user").first()
    if owner is None:
        raise RuntimeError(f"team {team.pk} has no owner")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner.user)
    base = f"/teams/{team.pk}/"
    query = f"?{urlencode({'climb': climb})}" if climb else ""
    sorted_query = (
        f"?{urlencode({**({'climb': climb} if climb else {}), 'sort': '-altitude', 'page': 3})}"
    )
    with override_settings(TEAM_DASHBOARD_SECONDS=0):  # each request's full cost
        timings = [
            time_page(client, "dashboard", base + query, requests),
            time_page(
                client, "fragment", base + sorted_query, requests, headers={"HX-Request": "true"}
            ),
            time_page(client, "export", f"{base}export.csv{query}", requests),
            time_page(client, "members", f"{base}members/", requests),
        ]
    # Sorting or paging soon after a first view: the figures are kept (TEAM_DASHBOARD_SECONDS).
    timings.append(
        time_page(client, "kept", base + sorted_query, requests, headers={"HX-Request": "true"})
    )
    return timings
