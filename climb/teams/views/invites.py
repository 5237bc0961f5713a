"""Invite links: issuing and revoking them (from the members page), and joining with one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ..forms import InviteForm
from ..models import Invite, Membership, TeamRuleError
from .access import first_error, invite_or_404, manager_membership_or_404, refused

TOKEN_MAX_LENGTH = 64

# --- invite links --------------------------------------------------------------------------


@require_POST
def invite_create(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = manager_membership_or_404(request, team_id)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return refused(request, membership, first_error(form))
    try:
        Invite.issue(membership.team, membership, **form.cleaned_data)
    except TeamRuleError as refusal:
        return refused(request, membership, refusal.message)
    messages.success(request, _("New invite link created: copy it from the list below."))
    return redirect("teams:members", team_id)


@require_POST
def invite_revoke(request: HttpRequest, team_id: int, invite_id: int) -> HttpResponse:
    membership = manager_membership_or_404(request, team_id)
    invite = invite_or_404(membership, invite_id)
    if invite.revoke():
        messages.success(request, _("The invite link is revoked: it no longer lets anyone in."))
    else:
        messages.info(request, _("That invite link was already revoked."))
    return redirect("teams:members", team_id)


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
