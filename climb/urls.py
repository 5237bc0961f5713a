"""Root URLs. The lessons app owns the reading pages; the admin is for authors.

Every page a learner reads lives under i18n_patterns: English at the root, Russian under /ru/.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from lessons.sitemaps import SITEMAPS

# converters registers <id:...> before the URL modules included below are imported.
from . import converters, crawlers, i18n  # noqa: F401

# The admin is where authors write lessons: it says whose it is, not "Django administration".
admin.site.site_header = admin.site.site_title = _("Climb authoring")
admin.site.index_title = _("Climbs, lessons, learners and teams")

handler404 = "climb.errors.page_not_found"
handler500 = "climb.errors.server_error"

urlpatterns = [
    path("robots.txt", crawlers.robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        require_safe(cache_control(max_age=3600, public=True)(sitemap)),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", i18n.set_language, name="set_language"),
]

urlpatterns += i18n_patterns(
    path("accounts/", include("climb.accounts.urls")),
    path("teams/", include("climb.teams.urls")),
    path("", include("climb.learning.urls")),
    path("", include("lessons.urls")),
    prefix_default_language=False,
)
