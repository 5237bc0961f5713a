from django.urls import path

from . import search, views

app_name = "lessons"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search.search, name="search"),
    path("preview/<id:version_id>/", views.preview, name="preview"),
    path("climbs/<slug:climb_slug>/", views.climb_detail, name="climb"),
    path("climbs/<slug:climb_slug>/<slug:piece_slug>/", views.piece_detail, name="piece"),
    path(
        "climbs/<slug:climb_slug>/<slug:piece_slug>/<slug:tier_slug>/",
        views.piece_tier,
        name="piece_tier",
    ),
]
