from __future__ import annotations

from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("create/", views.team_create, name="create"),
    path("join/<str:token>/", views.join, name="join"),
    path("<int:team_id>/", views.team_dashboard, name="dashboard"),
    path("<int:team_id>/export.csv", views.team_export, name="export"),
    path("<int:team_id>/leave/", views.team_leave, name="leave"),
    path("<int:team_id>/members/", views.team_members, name="members"),
    path("<int:team_id>/members/<int:user_id>/role/", views.member_role, name="member_role"),
    path("<int:team_id>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "<int:team_id>/members/<int:user_id>/progress/",
        views.member_progress,
        name="member_progress",
    ),
    path("<int:team_id>/invites/", views.invite_create, name="invite_create"),
    path(
        "<int:team_id>/invites/<int:invite_id>/revoke/",
        views.invite_revoke,
        name="invite_revoke",
    ),
]
