"""Team pages: my teams, the dashboard and its CSV, members and invite links, joining.

Who sees what is decided by the "get it or 404" helpers just below, never by templates alone:
a team exists only for its members. Everyone else, anonymous visitors included, gets the
same 404 for every team URL, whether or not the team exists. Only "my teams" and the join
page send anonymous visitors to the log-in page, since neither names a team.
"""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from climb.learning.progress import progress_context
from climb.spreadsheets import BOM, csv_safe
from lessons.models import Climb, Tier

from . import dashboard, stats
from .charts import weekly_chart
from .forms import (
    PERIODS_IN_TEXT,
    DashboardFilters,
    FiguresForm,
    InviteForm,
    MembersPageFilter,
    RoleForm,
    TeamForm,
    TeamRenameForm,
)
from .models import ROLE_RANK, Invite, Membership, NotInTeam, Role, Team, TeamRuleError

MEMBERS_PAGE_SIZE = 50
ACTIVE_INVITES_SHOWN = 20
TOKEN_MAX_LENGTH = 64

# --- get it or 404 -------------------------------------------------------------------------


def _membership_or_404(request: HttpRequest, team_id: int) -> Membership:
    """The signed-in user's membership of the team, with the team; 404 for anyone else."""
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(
        Membership.objects.select_related("team"), team_id=team_id, user=request.user
    )


def _manager_membership_or_404(request: HttpRequest, team_id: int) -> Membership:
    """As above, for owners and managers only: to a plain member, these pages do not exist."""
    membership = _membership_or_404(request, team_id)
    if not membership.manages:
        raise Http404
    return membership


def _team_member_or_404(membership: Membership, user_id: int) -> Membership:
    """Another member of the viewer's team (with user and learner); 404 if not in the team."""
    return get_object_or_404(
        Membership.objects.select_related("user__learner"),
        team_id=membership.team_id,
        user_id=user_id,
    )


def _visible_member_or_404(
    request: HttpRequest, team_id: int, user_id: int
) -> tuple[Membership, Membership]:
    """(viewer, member) where the viewer may see that member's progress: owners and managers
    see every member's, a member only their own."""
    viewer = _membership_or_404(request, team_id)
    if not viewer.manages and user_id != request.user.pk:
        raise Http404
    return viewer, _team_member_or_404(viewer, user_id)


def _invite_or_404(membership: Membership, invite_id: int) -> Invite:
    return get_object_or_404(Invite, pk=invite_id, team_id=membership.team_id)


# --- small helpers ---------------------------------------------------------------------------


def _refused(
    request: HttpRequest, membership: Membership, message: str, status: int = 400
) -> HttpResponse:
    """A change the rules or the input refused: say why, change nothing, offer the way back."""
    back = (
        reverse("teams:members", args=[membership.team_id])
        if membership.manages
        else membership.team.get_absolute_url()
    )
    context = {"team": membership.team, "message": message, "back": back}
    return render(request, "teams/refused.html", context, status=status)


def _full_page(request: HttpRequest) -> bool:
    # A history restore after a cache miss wants the whole page, as a plain request does.
    return not request.htmx or request.htmx.history_restore_request


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


def _altitude_slug(tier: Tier | None, started: bool) -> str:
    """As the dashboard says it: base camp is someone on the way up, not started someone who
    never answered in the climb."""
    if tier is None:
        return "base-camp" if started else dashboard.NOT_STARTED
    return tier.slug


def _next_tier_columns(standing: dashboard.Standing) -> tuple:
    """(next tier, its pieces cleared, its pieces) as the table's "next, Zero: 1 of 2";
    blank past the summit and before the first answer."""
    if standing.progress is None:
        return "", "", ""
    return (standing.toward.slug, *standing.progress)


def _load_board(
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
        dashboard.chart_weeks(timezone.localdate(now))[0] if with_charts else None,
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


# --- my teams --------------------------------------------------------------------------------


def _team_list(request: HttpRequest, form: TeamForm, status: int = 200) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("team")
        .annotate(size=Count("team__memberships"))
        .order_by("team__name", "team_id")
    )
    return render(
        request, "teams/list.html", {"memberships": memberships, "form": form}, status=status
    )


@login_required
@require_safe
def team_list(request: HttpRequest) -> HttpResponse:
    return _team_list(request, TeamForm())


@login_required
@require_POST
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST)
    if not form.is_valid():
        return _team_list(request, form)
    team = Team.create_with_owner(form.cleaned_data["name"], request.user)
    messages.success(
        request,
        _("Team “%(name)s” created. Invite people from its members page.") % {"name": team.name},
    )
    return redirect(team)


# --- the dashboard and its export ------------------------------------------------------------


@require_safe
def team_dashboard(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = _membership_or_404(request, team_id)
    filters = DashboardFilters(request.GET, climbs=list(Climb.objects.with_summary()))
    if not filters.is_valid():
        context = {
            "team": membership.team,
            "message": filters.first_error(),
            "back": membership.team.get_absolute_url(),
        }
        template = "teams/refused.html" if _full_page(request) else "teams/_dashboard_error.html"
        return render(request, template, context, status=400)
    board = _load_board(request, membership, filters, with_charts=True)
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
        # An owner sees every row: offer no Leave that could only be refused.
        "sole_owner": membership.role == Role.OWNER
        and sum(1 for row in board.rows if row.role == Role.OWNER) == 1,
    }
    template = "teams/dashboard.html" if _full_page(request) else "teams/_dashboard.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _team_download(
    request: HttpRequest, team_id: int, suffix: str, *, with_charts: bool, by_period: bool = True
):
    """A team CSV with the dashboard's filters: (response, csv writer, board, filters), or
    the refusal of filters the interface cannot produce. Its name says the climb and, for
    figures of the chosen period (`by_period`), the period."""
    membership = _membership_or_404(request, team_id)
    filters = DashboardFilters(request.GET, climbs=list(Climb.objects.with_summary()))
    if not filters.is_valid():
        return _refused(request, membership, filters.first_error())
    board = _load_board(request, membership, filters, with_charts=with_charts)
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


# --- a member's progress, seen from the team ------------------------------------------------


@require_safe
def member_progress(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    viewer, member = _visible_member_or_404(request, team_id, user_id)
    try:
        learner_id = member.user.learner.pk
    except ObjectDoesNotExist:
        learner_id = None
    context = progress_context(learner_id)
    context.update(team=viewer.team, membership=viewer, member=member)
    return render(request, "teams/member_progress.html", context)


# --- a question, reviewed with the team's answers -------------------------------------------


@require_safe
def team_question(request: HttpRequest, team_id: int, question_id: int) -> HttpResponse:
    """A question from the "most missed" list as the team's lead prepares to discuss it: the
    step, the question, the right answer, every explanation, and who chose what first. On the
    piece page it is locked until the step before is answered, and answering it would count
    the lead's guess among the team's."""
    membership = _manager_membership_or_404(request, team_id)
    filters = DashboardFilters(request.GET, climbs=[])  # the period of the list it came from
    if not filters.is_valid():
        return _refused(request, membership, filters.first_error())
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
    }
    return render(request, "teams/question.html", context)


# --- members and invites --------------------------------------------------------------------


@require_safe
def team_members(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = _manager_membership_or_404(request, team_id)
    page_filter = MembersPageFilter(request.GET)
    if not page_filter.is_valid():
        return _refused(request, membership, page_filter.first_error())
    context = _members_context(request, membership, page_filter.cleaned_data["page"])
    return render(request, "teams/members.html", context)


def _members_context(request: HttpRequest, membership: Membership, page_number: int) -> dict:
    team = membership.team
    page = Paginator(team.memberships.select_related("user").by_role(), MEMBERS_PAGE_SIZE)
    page = page.get_page(page_number)
    # Leaving is its own form: nobody removes themselves from the list.
    # Owners come first (by_role), so the first page holds them all, unless there are more
    # than a page of them: the sole owner is offered no control that could only be refused.
    sole_owner = (
        membership.role == Role.OWNER
        and page.number == 1
        and sum(1 for m in page if m.role == Role.OWNER) == 1
    )
    rows = [
        {
            "membership": m,
            "may_change_role": membership.may_change(m)
            and not (sole_owner and m.pk == membership.pk),
            "may_remove": membership.may_change(m) and m.pk != membership.pk,
            "may_count": membership.may_change(m) or m.pk == membership.pk,
        }
        for m in page
    ]
    invites = list(team.invites.usable().select_related("created_by")[:ACTIVE_INVITES_SHOWN])
    # Links to send are language-neutral (no /ru/): each reader gets their own language.
    with translation.override(settings.LANGUAGE_CODE):
        for invite in invites:
            invite.link = request.build_absolute_uri(invite.get_absolute_url())
    return {
        "team": team,
        "membership": membership,
        "page": page,
        "rows": rows,
        "roles": membership.assignable_roles(),
        "sole_owner": sole_owner,
        "invites": invites,
        "invite_form": InviteForm(),
        "rename_form": TeamRenameForm(initial={"name": team.name}, prefix="team"),
    }


@require_POST
def invite_create(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = _manager_membership_or_404(request, team_id)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _refused(request, membership, _first_error(form))
    try:
        Invite.issue(membership.team, membership, **form.cleaned_data)
    except TeamRuleError as refusal:
        return _refused(request, membership, refusal.message)
    messages.success(request, _("New invite link created: copy it from the list below."))
    return redirect("teams:members", team_id)


@require_POST
def invite_revoke(request: HttpRequest, team_id: int, invite_id: int) -> HttpResponse:
    membership = _manager_membership_or_404(request, team_id)
    invite = _invite_or_404(membership, invite_id)
    if invite.revoke():
        messages.success(request, _("The invite link is revoked: it no longer lets anyone in."))
    else:
        messages.info(request, _("That invite link was already revoked."))
    return redirect("teams:members", team_id)


@require_POST
def member_role(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    membership = _manager_membership_or_404(request, team_id)
    member = _team_member_or_404(membership, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _refused(request, membership, _first_error(form))
    role = form.cleaned_data["role"]
    # The only owner is refused below: no question to ask first.
    stepping_down = (
        member.pk == membership.pk
        and ROLE_RANK[role] > ROLE_RANK[membership.role]
        and not membership.is_only_owner()
    )
    if stepping_down and request.POST.get("confirm") != "yes":
        # One click would take away what only others can give back (and for a member, the
        # page it was made on): ask once more, a plain form, without JS too.
        context = {"team": membership.team, "membership": membership, "role": Role(role)}
        return render(request, "teams/step_down.html", context)
    try:
        changed = member.change_role(role, by=membership)
    except TeamRuleError as refusal:
        return _refused(request, membership, refusal.message)
    name = member.user.get_username()
    if changed:
        messages.success(
            request,
            _("%(name)s's role is now: %(role)s.")
            % {"name": name, "role": Role(member.role).label.lower()},
        )
    else:
        messages.info(request, _("%(name)s already had that role.") % {"name": name})
    if member.pk == membership.pk and not member.manages:
        return redirect(membership.team)  # no longer manages: the members page is gone
    return redirect("teams:members", team_id)


@require_POST
def member_figures(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    """Count a member in the team's figures, or leave them out: a lead who is not climbing,
    or an observer, otherwise reads as a member who never started."""
    membership = _manager_membership_or_404(request, team_id)
    member = _team_member_or_404(membership, user_id)
    form = FiguresForm(request.POST)
    if not form.is_valid():
        return _refused(request, membership, _first_error(form))
    try:
        member.count_in_figures(form.cleaned_data["in_figures"], by=membership)
    except TeamRuleError as refusal:
        return _refused(request, membership, refusal.message)
    name = member.user.get_username()
    if member.in_figures:
        messages.success(request, _("%(name)s is counted in the team's figures.") % {"name": name})
    else:
        messages.success(
            request,
            _("%(name)s is left out of the team's figures: no row, and no answer counted.")
            % {"name": name},
        )
    return redirect("teams:members", team_id)


@require_POST
def member_remove(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    membership = _manager_membership_or_404(request, team_id)
    member = _team_member_or_404(membership, user_id)
    leaving = member.pk == membership.pk  # delete() clears the pk: compare before
    try:
        member.remove(by=membership)
    except TeamRuleError as refusal:
        return _refused(request, membership, refusal.message)
    if leaving:
        messages.success(request, _("You left %(team)s.") % {"team": membership.team.name})
        return redirect("teams:list")
    messages.success(
        request,
        _("%(name)s is no longer in the team.") % {"name": member.user.get_username()},
    )
    return redirect("teams:members", team_id)


@require_POST
def team_leave(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = _membership_or_404(request, team_id)
    try:
        membership.leave()
    except TeamRuleError as refusal:
        return _refused(request, membership, refusal.message)
    messages.success(request, _("You left %(team)s.") % {"team": membership.team.name})
    return redirect("teams:list")


@require_POST
def team_rename(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = _manager_membership_or_404(request, team_id)
    team = membership.team
    old_name = team.name
    form = TeamRenameForm(request.POST, prefix="team")
    if not form.is_valid():
        return _refused(request, membership, _first_error(form))
    try:
        renamed = team.rename_by(membership, form.cleaned_data["name"])
    except TeamRuleError as refusal:
        return _refused(request, membership, refusal.message, 403)
    if renamed:
        messages.success(
            request,
            _("The team “%(old)s” is now called “%(new)s”.") % {"old": old_name, "new": team.name},
        )
    else:
        messages.info(request, _("The team already has that name."))
    return redirect("teams:members", team_id)


@require_POST
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = _manager_membership_or_404(request, team_id)
    team = membership.team
    try:
        team.delete_by(membership, request.POST.get("confirm_name", ""))
    except TeamRuleError as refusal:
        if isinstance(refusal, NotInTeam) or not membership.is_owner:
            return _refused(request, membership, refusal.message, 403)
        # A mistyped name: the page that asks for it again, the panel open and the error
        # beside the field, which takes focus (a message at the top was easy to miss).
        context = _members_context(request, membership, 1)
        context["delete_error"] = refusal.message
        return render(request, "teams/members.html", context, status=400)
    messages.success(request, _("The team “%(name)s” is deleted.") % {"name": team.name})
    return redirect("teams:list")


def _first_error(form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("The form could not be read.")


# --- joining with an invite link ------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    invite = (
        Invite.objects.select_related("team").filter(token=token).first()
        # No token holds NUL, which PostgreSQL refuses in a query (a 500, not this 404).
        if len(token) <= TOKEN_MAX_LENGTH and "\x00" not in token
        else None
    )
    if invite is None:
        return render(request, "teams/join_unknown.html", status=404)
    if not invite.is_usable:
        return render(request, "teams/join_unusable.html", {"invite": invite}, status=410)
    if not request.user.is_authenticated:
        # Whoever holds the link may see what it invites them to (the token is the secret);
        # joining takes an account: log in or sign up, then back here.
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return render(request, "teams/join.html", {"invite": invite, "signed_out": True})
    already = Membership.objects.filter(team_id=invite.team_id, user=request.user).exists()
    if not already and invite.was_made_before_removing(request.user):
        return render(
            request, "teams/join_unusable.html", {"invite": invite, "removed": True}, status=403
        )
    if request.method == "POST":
        try:
            joined = invite.accept(request.user)
        except TeamRuleError:  # revoked, expired or removed between the page and the click
            invite = Invite.objects.select_related("team").filter(pk=invite.pk).first()
            if invite is None:  # the team was deleted meanwhile, its links with it
                return render(request, "teams/join_unknown.html", status=404)
            removed = invite.was_made_before_removing(request.user)
            context = {"invite": invite, "removed": removed}
            return render(
                request, "teams/join_unusable.html", context, status=403 if removed else 410
            )
        if joined.created:
            messages.success(request, _("Welcome to %(team)s.") % {"team": invite.team.name})
        else:
            messages.info(
                request,
                _("You are already a member of %(team)s: nothing changed.")
                % {"team": invite.team.name},
            )
        return redirect(invite.team)
    return render(request, "teams/join.html", {"invite": invite, "already": already})
