"""The team dashboard, whole or as its htmx fragment, and a question from its "most missed"
list reviewed with the team's answers."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from lessons.models import Climb

from .. import dashboard, stats, weekly
from ..charts import weekly_chart
from ..forms import PERIODS_IN_TEXT, DashboardFilters
from ..models import Membership, Role
from .access import full_page, manager_membership_or_404, membership_or_404, refused


def _query(filters: dict, **changes) -> str:
    """The dashboard's query string for these filters, leaving defaults out."""
    values = {**filters, **changes}
    defaults = {"period": dashboard.DEFAULT_PERIOD, "sort": dashboard.DEFAULT_SORT, "page": 1}
    return urlencode({k: v for k, v in values.items() if v not in (None, "", defaults.get(k))})


SORT_LABELS = {
    "member": lambda: _("Member"),
    "role": lambda: _("Role"),
    "altitude": lambda: _("Altitude"),
    "pieces": lambda: _("Pieces cleared"),
    "accuracy": lambda: _("First-try accuracy"),
    "answers": lambda: _("Answers"),
    "active": lambda: _("Last active"),
}


def _sort_headers(filters: dict, board: dashboard.Dashboard) -> dict:
    """Per sortable column: its label, the link that sorts by it, and its aria-sort."""
    labels = {key: label() for key, label in SORT_LABELS.items()}
    headers = {}
    for column, natural_descending in dashboard.SORT_COLUMNS.items():
        current = board.sort == column
        descending = not board.descending if current else natural_descending
        headers[column] = {
            "id": f"sort-{column}",  # htmx puts the focus back on the same id after a swap
            "label": labels[column],
            "query": _query(filters, sort=dashboard.sort_param(column, descending), page=None),
            "aria_sort": ("descending" if board.descending else "ascending") if current else "",
        }
    return headers


def _announcement(board: dashboard.Dashboard, climb: Climb | None, period: str) -> str:
    """What a screen reader hears after htmx changes the dashboard in place (climb.js puts it
    in a live region): the new view, since nothing else announces a sort or a page."""
    label = SORT_LABELS[board.sort]()
    order = _("descending") if board.descending else _("ascending")
    return _(
        "%(climb)s, %(period)s: sorted by %(column)s, %(order)s; page %(page)s of %(pages)s."
    ) % {
        "climb": climb.local.title if climb else _("no climb"),
        "period": period,
        "column": label,
        "order": order,
        "page": board.page.number,
        "pages": board.page.paginator.num_pages,
    }


def _period_label(filters: DashboardFilters, period) -> str:
    """ "Last 12 weeks (since 3 Sep 2026, 22:59 UTC)": a rolling period, to the minute, which
    the chart's calendar weeks are not (the team audit found two "12 weeks" disagreeing)."""
    label = str(PERIODS_IN_TEXT[period])
    since = filters.since()
    if since is None:
        return label
    when = date_format(timezone.localtime(since), "DATETIME_FORMAT")
    return _("%(period)s (since %(when)s UTC)") % {"period": label, "when": when}


def load_board(
    request: HttpRequest, membership: Membership, filters: DashboardFilters, with_charts: bool
) -> dashboard.Dashboard:
    data = filters.cleaned_data
    sort, descending = data["sort"]
    now = timezone.now()
    summary = stats.summary_shared(
        membership.team,
        filters.climbs,
        data["climb"],
        data["period"],
        filters.since(),
        weekly.chart_weeks(timezone.localdate(now))[0] if with_charts else None,
        now,
    )
    return dashboard.view(
        summary,
        viewer_user_id=request.user.pk,
        sees_everyone=membership.manages,
        sort=sort,
        descending=descending,
        page=data["page"],
    )


# --- the dashboard ---------------------------------------------------------------------------


@require_safe
def team_dashboard(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = membership_or_404(request, team_id)
    filters = DashboardFilters(request.GET, climbs=list(Climb.objects.with_summary()))
    if not filters.is_valid():
        context = {
            "team": membership.team,
            "message": filters.first_error(),
            "back": membership.team.get_absolute_url(),
        }
        template = "teams/refused.html" if full_page(request) else "teams/_dashboard_error.html"
        return render(request, template, context, status=400)
    board = load_board(request, membership, filters, with_charts=True)
    chart = weekly_chart(board.weeks)
    climb = board.climb  # chosen, or the one the team is working in
    current = {
        "climb": climb.slug if climb else None,
        "period": filters.cleaned_data["period"],
        "sort": dashboard.sort_param(board.sort, board.descending),
    }
    period_label = _period_label(filters, current["period"])
    context = {
        "team": membership.team,
        "membership": membership,
        "filters": filters,
        "climbs": filters.climbs,
        "climb": climb,
        "period": current["period"],
        "board": board,
        "chart": chart,
        "chart_panels": [
            (chart.active, _("Members active per week"), "active"),
            (chart.answers, _("Answers per week"), "answers"),
            (chart.tiers, _("Tiers reached per week"), "tiers"),
        ],
        "period_choices": filters.fields["period"].choices,
        "period_label": period_label,
        "sort": current["sort"],
        "headers": _sort_headers(current, board),
        "query": _query(current),
        "previous_query": (
            _query(current, page=board.page.previous_page_number())
            if board.page.has_previous()
            else None
        ),
        "next_query": (
            _query(current, page=board.page.next_page_number()) if board.page.has_next() else None
        ),
        "announce": _announcement(board, climb, period_label),
        # The figures are kept this long (stats.summary_shared): say so, and since when.
        "kept_seconds": settings.TEAM_DASHBOARD_SECONDS,
        # Offer no Leave that could only be refused. Counted among everyone, not the rows: an
        # owner left out of the figures has none.
        "sole_owner": membership.role == Role.OWNER and board.owners == 1,
        "alone": board.team_size == 1,
    }
    template = "teams/dashboard.html" if full_page(request) else "teams/_dashboard.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- a question, reviewed with the team's answers -------------------------------------------


@require_safe
def team_question(request: HttpRequest, team_id: int, question_id: int) -> HttpResponse:
    """A question from the "most missed" list as the team's lead prepares to discuss it: the
    step, the question, the right answer, every explanation, and who chose what first. On the
    piece page it is locked until the step before is answered, and answering it would count
    the lead's guess among the team's."""
    membership = manager_membership_or_404(request, team_id)
    filters = DashboardFilters(request.GET, climbs=[])  # the period of the list it came from
    if not filters.is_valid():
        return refused(request, membership, filters.first_error())
    review = stats.question_review(membership.team, question_id, filters.since())
    # Only a question the team answered: a team of one would otherwise read any question's
    # right answer before answering it.
    if review is None or not review.answered:
        raise Http404
    period = filters.cleaned_data["period"]
    context = {
        "team": membership.team,
        "membership": membership,
        "review": review,
        "period": period,
        "period_label": _period_label(filters, period),
        "step": review.question.step,
        "version": review.question.step.version,
        "members": membership.team.memberships.filter(in_figures=True).count(),
        # Back to the list it came from: the question's climb, which may not be the one the
        # team works in (the dashboard's default), and the same period.
        "back_query": _query(
            {"climb": review.question.step.version.piece.climb.slug, "period": period}
        ),
    }
    return render(request, "teams/question.html", context)
