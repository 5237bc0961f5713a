"""What the site tells search engines: robots.txt (the sitemap is lessons.sitemaps)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# Sections that are a learner's own, a team's, search results or not pages at all: not worth
# crawling. Each is named by one of its URLs; the section is that URL's first segment.
PRIVATE_SECTIONS = [
    "accounts:login",
    "teams:list",
    "learning:progress",
    "learning:answer",
    "lessons:search",
]


@cache  # the URLconf and the languages are fixed for the life of the process
def disallowed_paths() -> list[str]:
    paths = ["/admin/", "/i18n/"]
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            home = reverse("lessons:home")  # "/" or "/ru/"
            for name in PRIVATE_SECTIONS:
                section = reverse(name).removeprefix(home).split("/", 1)[0]
                paths.append(f"{home}{section}/")
    return list(dict.fromkeys(paths))


@require_safe
@cache_control(max_age=3600, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallowed_paths())]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
