"""The members page (owners and managers only) and what it changes: roles, who is counted
in the figures, removal; and a member's progress seen from the team."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from climb.learning.progress import progress_context

from ..forms import (
    FiguresForm,
    InviteForm,
    MembersPageFilter,
    RoleForm,
    TeamRenameForm,
)
from ..models import MAX_USABLE_INVITES, ROLE_RANK, Membership, Role, TeamRuleError
from .access import (
    first_error,
    manager_membership_or_404,
    refused,
    team_member_or_404,
    visible_member_or_404,
)

MEMBERS_PAGE_SIZE = 50

# --- members ---------------------------------------------------------------------------------


@require_safe
def team_members(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = manager_membership_or_404(request, team_id)
    page_filter = MembersPageFilter(request.GET)
    if not page_filter.is_valid():
        return refused(request, membership, page_filter.first_error())
    context = members_context(request, membership, page_filter.cleaned_data["page"])
    return render(request, "teams/members.html", context)


def members_context(request: HttpRequest, membership: Membership, page_number: int) -> dict:
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
    invites = list(team.invites.usable().select_related("created_by")[:MAX_USABLE_INVITES])
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
        "alone": page.paginator.count == 1,
        "invites": invites,
        "invite_form": InviteForm(),
        "rename_form": TeamRenameForm(initial={"name": team.name}, prefix="team"),
    }


@require_POST
def member_role(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    membership = manager_membership_or_404(request, team_id)
    member = team_member_or_404(membership, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return refused(request, membership, first_error(form))
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
        return refused(request, membership, refusal.message)
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
    membership = manager_membership_or_404(request, team_id)
    member = team_member_or_404(membership, user_id)
    form = FiguresForm(request.POST)
    if not form.is_valid():
        return refused(request, membership, first_error(form))
    try:
        member.count_in_figures(form.cleaned_data["in_figures"], by=membership)
    except TeamRuleError as refusal:
        return refused(request, membership, refusal.message)
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
    membership = manager_membership_or_404(request, team_id)
    member = team_member_or_404(membership, user_id)
    leaving = member.pk == membership.pk  # delete() clears the pk: compare before
    try:
        member.remove(by=membership)
    except TeamRuleError as refusal:
        return refused(request, membership, refusal.message)
    if leaving:
        messages.success(request, _("You left %(team)s.") % {"team": membership.team.name})
        return redirect("teams:list")
    messages.success(
        request,
        _("%(name)s is no longer in the team.") % {"name": member.user.get_username()},
    )
    return redirect("teams:members", team_id)


# --- a member's progress, seen from the team ------------------------------------------------


@require_safe
def member_progress(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    viewer, member = visible_member_or_404(request, team_id, user_id)
    try:
        learner_id = member.user.learner.pk
    except ObjectDoesNotExist:
        learner_id = None
    context = progress_context(learner_id)
    context.update(team=viewer.team, membership=viewer, member=member)
    return render(request, "teams/member_progress.html", context)
