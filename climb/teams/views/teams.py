"""A user's teams: the list, creating a team; and leaving, renaming and deleting one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ..forms import TeamForm, TeamRenameForm
from ..models import Membership, NotInTeam, Team, TeamRuleError
from .access import first_error, manager_membership_or_404, membership_or_404, refused
from .members import members_context

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


@require_POST
def team_leave(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = membership_or_404(request, team_id)
    try:
        membership.leave()
    except TeamRuleError as refusal:
        return refused(request, membership, refusal.message)
    messages.success(request, _("You left %(team)s.") % {"team": membership.team.name})
    return redirect("teams:list")


@require_POST
def team_rename(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = manager_membership_or_404(request, team_id)
    team = membership.team
    old_name = team.name
    form = TeamRenameForm(request.POST, prefix="team")
    if not form.is_valid():
        if not membership.is_owner:  # no rename field on their page to send back
            return refused(request, membership, first_error(form))
        # The page again with the name as typed and the error beside it (a refusal page
        # lost the name: a pasted one with a hidden reordering character, say).
        context = members_context(request, membership, 1)
        context["rename_form"] = form
        return render(request, "teams/members.html", context, status=400)
    try:
        renamed = team.rename_by(membership, form.cleaned_data["name"])
    except TeamRuleError as refusal:
        return refused(request, membership, refusal.message, 403)
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
    membership = manager_membership_or_404(request, team_id)
    team = membership.team
    try:
        team.delete_by(membership, request.POST.get("confirm_name", ""))
    except TeamRuleError as refusal:
        if isinstance(refusal, NotInTeam) or not membership.is_owner:
            return refused(request, membership, refusal.message, 403)
        # A mistyped name: the page that asks for it again, the panel open and the error
        # beside the field, which takes focus (a message at the top was easy to miss).
        context = members_context(request, membership, 1)
        context["delete_error"] = refusal.message
        return render(request, "teams/members.html", context, status=400)
    messages.success(request, _("The team “%(name)s” is deleted.") % {"name": team.name})
    return redirect("teams:list")
