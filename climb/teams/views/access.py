"""Who may see a team's pages, and how a refused change is answered.

Who sees what is decided by the "get it or 404" helpers just below, never by templates alone:
a team exists only for its members. Everyone else, anonymous visitors included, gets the
same 404 for every team URL, whether or not the team exists. Only "my teams" and the join
page send anonymous visitors to the log-in page, since neither names a team.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ..models import Invite, Membership

# --- get it or 404 -------------------------------------------------------------------------


def membership_or_404(request: HttpRequest, team_id: int) -> Membership:
    """The signed-in user's membership of the team, with the team; 404 for anyone else."""
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(
        Membership.objects.select_related("team"), team_id=team_id, user=request.user
    )


def manager_membership_or_404(request: HttpRequest, team_id: int) -> Membership:
    """As above, for owners and managers only: to a plain member, these pages do not exist."""
    membership = membership_or_404(request, team_id)
    if not membership.manages:
        raise Http404
    return membership


def team_member_or_404(membership: Membership, user_id: int) -> Membership:
    """Another member of the viewer's team (with user and learner); 404 if not in the team."""
    return get_object_or_404(
        Membership.objects.select_related("user__learner"),
        team_id=membership.team_id,
        user_id=user_id,
    )


def visible_member_or_404(
    request: HttpRequest, team_id: int, user_id: int
) -> tuple[Membership, Membership]:
    """(viewer, member) where the viewer may see that member's progress: owners and managers
    see every member's, a member only their own."""
    viewer = membership_or_404(request, team_id)
    if not viewer.manages and user_id != request.user.pk:
        raise Http404
    return viewer, team_member_or_404(viewer, user_id)


def invite_or_404(membership: Membership, invite_id: int) -> Invite:
    return get_object_or_404(Invite, pk=invite_id, team_id=membership.team_id)


# --- small helpers ---------------------------------------------------------------------------


def refused(
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


def full_page(request: HttpRequest) -> bool:
    # A history restore after a cache miss wants the whole page, as a plain request does.
    return not request.htmx or request.htmx.history_restore_request


def first_error(form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("The form could not be read.")
