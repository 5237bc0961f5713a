"""Teams in the admin, for staff: the site's own pages are where owners manage their team.

The admin edits rows directly, so it does not apply the team rules (a last owner can be
removed here); it is the place to repair a team, not to run one.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Invite, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "joined_at"]


class InviteInline(admin.TabularInline):
    model = Invite
    extra = 0
    fields = ["role", "created_by", "created_at", "expires_at", "revoked_at", "uses", "max_uses"]
    readonly_fields = ["created_by", "created_at", "uses"]
    raw_id_fields = ["created_by"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_by", "created_at"]
    search_fields = ["name", "memberships__user__username"]
    raw_id_fields = ["created_by"]
    inlines = [MembershipInline, InviteInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, team: Team) -> int:
        return team.member_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "team__name"]
    list_select_related = ["user", "team"]
    raw_id_fields = ["user", "team"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = [
        "team",
        "role",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "uses",
        "max_uses",
    ]
    list_filter = ["role"]
    search_fields = ["team__name"]
    list_select_related = ["team", "created_by"]
    raw_id_fields = ["team", "created_by"]
    readonly_fields = ["token", "uses"]
