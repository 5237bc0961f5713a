from __future__ import annotations

from django.urls import path

from .views import dashboard, downloads, invites, members, teams

app_name = "teams"

urlpatterns = [
    path("", teams.team_list, name="list"),
    path("create/", teams.team_create, name="create"),
    path("join/<str:token>/", invites.join, name="join"),
    path("<id:team_id>/", dashboard.team_dashboard, name="dashboard"),
    path("<id:team_id>/export.csv", downloads.team_export, name="export"),
    path("<id:team_id>/missed.csv", downloads.team_missed_export, name="missed_export"),
    path("<id:team_id>/weekly.csv", downloads.team_weekly_export, name="weekly_export"),
    path("<id:team_id>/leave/", teams.team_leave, name="leave"),
    path("<id:team_id>/rename/", teams.team_rename, name="rename"),
    path("<id:team_id>/delete/", teams.team_delete, name="delete"),
    path("<id:team_id>/members/", members.team_members, name="members"),
    path("<id:team_id>/members/<id:user_id>/role/", members.member_role, name="member_role"),
    path("<id:team_id>/members/<id:user_id>/remove/", members.member_remove, name="member_remove"),
    path(
        "<id:team_id>/members/<id:user_id>/figures/",
        members.member_figures,
        name="member_figures",
    ),
    path(
        "<id:team_id>/members/<id:user_id>/progress/",
        members.member_progress,
        name="member_progress",
    ),
    path("<id:team_id>/questions/<id:question_id>/", dashboard.team_question, name="question"),
    path("<id:team_id>/invites/", invites.invite_create, name="invite_create"),
    path(
        "<id:team_id>/invites/<id:invite_id>/revoke/",
        invites.invite_revoke,
        name="invite_revoke",
    ),
]
