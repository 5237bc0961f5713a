from __future__ import annotations

from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("create/", views.team_create, name="create"),
    path("join/<str:token>/", views.join, name="join"),
    path("<id:team_id>/", views.team_dashboard, name="dashboard"),
    path("<id:team_id>/export.csv", views.team_export, name="export"),
    path("<id:team_id>/missed.csv", views.team_missed_export, name="missed_export"),
    path("<id:team_id>/weekly.csv", views.team_weekly_export, name="weekly_export"),
    path("<id:team_id>/leave/", views.team_leave, name="leave"),
    path("<id:team_id>/rename/", views.team_rename, name="rename"),
    path("<id:team_id>/delete/", views.team_delete, name="delete"),
    path("<id:team_id>/members/", views.team_members, name="members"),
    path("<id:team_id>/members/<id:user_id>/role/", views.member_role, name="member_role"),
    path("<id:team_id>/members/<id:user_id>/remove/", views.member_remove, name="member_remove"),
    path("<id:team_id>/members/<id:user_id>/figures/", views.member_figures, name="member_figures"),
    path(
        "<id:team_id>/members/<id:user_id>/progress/",
        views.member_progress,
        name="member_progress",
    ),
    path("<id:team_id>/questions/<id:question_id>/", views.team_question, name="question"),
    path("<id:team_id>/invites/", views.invite_create, name="invite_create"),
    path(
        "<id:team_id>/invites/<id:invite_id>/revoke/",
        views.invite_revoke,
        name="invite_revoke",
    ),
]
