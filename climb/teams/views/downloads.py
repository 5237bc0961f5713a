"""The dashboard's CSV downloads: its rows, its most missed questions, its weekly chart's
numbers; with the dashboard's filters, and refused as it refuses them."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from climb.spreadsheets import BOM, csv_safe
from lessons.models import Climb, Tier

from .. import dashboard, standings
from ..forms import DashboardFilters
from .access import membership_or_404, refused
from .dashboard import load_board


def _altitude_slug(tier: Tier | None, started: bool) -> str:
    """As the dashboard says it: base camp is someone on the way up, not started someone who
    never answered in the climb."""
    if tier is None:
        return "base-camp" if started else dashboard.NOT_STARTED
    return tier.slug


def _next_tier_columns(standing: standings.Standing) -> tuple:
    """(next tier, its pieces cleared, its pieces) as the table's "next, Zero: 1 of 2";
    blank past the summit and before the first answer."""
    if standing.progress is None:
        return "", "", ""
    return (standing.toward.slug, *standing.progress)


def _team_download(
    request: HttpRequest, team_id: int, suffix: str, *, with_charts: bool, by_period: bool = True
):
    """A team CSV with the dashboard's filters: (response, csv writer, board, filters), or
    the refusal of filters the interface cannot produce. Its name says the climb and, for
    figures of the chosen period (`by_period`), the period."""
    membership = membership_or_404(request, team_id)
    filters = DashboardFilters(request.GET, climbs=list(Climb.objects.with_summary()))
    if not filters.is_valid():
        return refused(request, membership, filters.first_error())
    board = load_board(request, membership, filters, with_charts=with_charts)
    climb, period = board.climb, filters.cleaned_data["period"]
    slug = climb.slug if climb else "members"
    period = f"-{period}" if by_period else ""
    response, writer = _csv_download(f"team-{team_id}-{slug}{period}{suffix}.csv")
    return response, writer, board, filters


def _csv_download(name: str):
    """An attachment called `name`, and a csv writer into it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write(BOM)
    return response, csv.writer(response)


@require_safe
def team_missed_export(request: HttpRequest, team_id: int) -> HttpResponse:
    """The most missed questions as CSV, with the dashboard's climb and period: material for
    the team's discussion, to print or share. Aggregates only, as every member sees them."""
    download = _team_download(request, team_id, "-missed", with_charts=True)
    if isinstance(download, HttpResponse):
        return download
    response, writer, board, _filters = download
    writer.writerow(
        [
            "question",
            "piece",
            "tier",
            "missed",
            "first_attempts",
            "miss_rate_percent",
            "most_chosen_wrong_answer",
            "wrong_answer_times",
            "other_wrong_answers_as_often",
            "piece_url",
        ]
    )
    for missed in board.missed:
        info = missed.question
        writer.writerow(
            [
                csv_safe(info.prompt),  # author text may start with = + - @
                csv_safe(info.title),
                missed.tier.slug,
                missed.missed,
                missed.first,
                missed.miss_rate,
                csv_safe(missed.wrong_choice or ""),
                missed.wrong_choice_count if missed.wrong_choice else "",
                # The page's "and one other wrong answer as often": a tie, not a favourite.
                missed.wrong_choice_ties if missed.wrong_choice else "",
                request.build_absolute_uri(info.url),
            ]
        )
    return response


@require_safe
def team_weekly_export(request: HttpRequest, team_id: int) -> HttpResponse:
    """The weekly activity chart's numbers as CSV (the last 12 weeks of the chosen climb,
    this week so far last): for a lead's report. Aggregates only, as every member sees them."""
    download = _team_download(request, team_id, "-weekly", with_charts=True, by_period=False)
    if isinstance(download, HttpResponse):
        return download
    response, writer, board, _filters = download
    writer.writerow(["week_starting", "members_active", "answers", "tiers_reached"])
    for week in board.weeks:
        writer.writerow([week.start.isoformat(), week.active, week.answers, week.tiers])
    return response


@require_safe
def team_export(request: HttpRequest, team_id: int) -> HttpResponse:
    """The dashboard's rows as CSV, with the same filters, sort and visibility; all pages."""
    download = _team_download(request, team_id, "", with_charts=False)
    if isinstance(download, HttpResponse):
        return download
    response, writer, board, filters = download
    climb = board.climb
    period = filters.cleaned_data["period"]
    writer.writerow(
        [
            "username",
            "role",
            *(f"altitude_{c.slug}" for c in filters.climbs),
            "climb",
            "period_weeks",
            "pieces_cleared",
            "pieces",
            "next_tier",
            "next_tier_cleared",
            "next_tier_pieces",
            "pieces_to_climb_again",
            "first_attempts",
            "first_right",
            "first_try_accuracy_percent",
            "answers",
            "last_active",
        ]
    )
    for row in board.rows:
        activity = row.activity
        writer.writerow(
            [
                csv_safe(row.username),  # usernames may start with + - @
                row.role,
                *map(_altitude_slug, row.altitudes, row.started_each),
                climb.slug if climb else "",
                period,
                row.pieces_cleared,
                row.pieces_total,
                *_next_tier_columns(row.standing),
                row.standing.to_retake,
                activity.first,
                activity.first_right,
                "" if activity.accuracy is None else activity.accuracy,
                activity.answers,
                row.last_active.isoformat() if row.last_active else "",
            ]
        )
    return response
