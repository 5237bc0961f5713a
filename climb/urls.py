"""Root URLs. The lessons app owns the reading pages; the admin is for authors."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("climb.accounts.urls")),
    path("", include("climb.learning.urls")),
    path("", include("lessons.urls")),
]
