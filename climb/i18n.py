"""The language switch, and remembering the choice.

The URL carries the language (/ru/...; English has no prefix). Choosing a language sets
Django's language cookie and, for a signed-in learner, their stored preference, which is put
back into the cookie when they log in on another browser. A visitor whose cookie says
Russian, or who has no cookie and a browser that asks for Russian first, and who opens an
English address (a link a colleague sent, an invite) is sent to the Russian one. The admin
has no prefix: it speaks the language of the cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.encoding import iri_to_uri
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_from_path
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

LANGUAGES = {code for code, _name in settings.LANGUAGES}
# Addresses outside i18n_patterns: never redirected.
ADMIN = "/admin/"
UNPREFIXED = (ADMIN, "/i18n/", "/static/", "/robots.txt", "/sitemap.xml")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    # /i18n/setlang/ has no language prefix, so Django would read `next` as English and fail
    # to translate a /ru/ address back: resolve it in the language it is written in.
    next_path = urlsplit(request.POST.get("next") or "").path
    source = get_language_from_path(next_path) or settings.LANGUAGE_CODE
    with translation.override(source):
        response = django_set_language(request)
    language = request.POST.get("language", "")
    if language in LANGUAGES and request.user.is_authenticated:
        from climb.learning.models import Learner

        Learner.objects.update_or_create(user=request.user, defaults={"language": language})
    return response


class PreferredLanguageMiddleware:
    """Send readers to the language they chose; restore a learner's choice at login."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        redirect = self._redirect_to_preferred(request)
        if redirect is not None:
            return redirect
        if request.path_info.startswith(ADMIN):
            # LocaleMiddleware reads every unprefixed address as English.
            chosen = chosen_language(request)
            if chosen:
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        language = getattr(request, "restore_language", None)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response

    def _redirect_to_preferred(self, request: HttpRequest) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD") or request.headers.get("HX-Request"):
            return None
        path = request.path_info
        if path.startswith(UNPREFIXED) or get_language_from_path(path):
            return None
        preferred = preferred_language(request)
        if preferred in (None, settings.LANGUAGE_CODE):
            return None
        # The path alone: a path of '//evil.example/...' (gunicorn passes it as sent) reads
        # as a host, and translate_url keeps hosts. Only an address on this site is followed.
        target = translate_url(request.path, preferred)
        if target == request.path or not url_has_allowed_host_and_scheme(target, None):
            return None
        query = request.META.get("QUERY_STRING", "")
        response = HttpResponseRedirect(f"{target}?{iri_to_uri(query)}" if query else target)
        # Made for this reader's cookie and headers: no cache may give it to another.
        patch_vary_headers(response, ("Cookie",))
        add_never_cache_headers(response)
        return response


def chosen_language(request: HttpRequest) -> str | None:
    """The language the reader chose with the switch (its cookie), if any."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in LANGUAGES else None


def preferred_language(request: HttpRequest) -> str | None:
    """The language the reader chose (the cookie), or else, for a reader arriving from
    elsewhere, the first one their browser accepts (q > 0) that the site has.

    Moving about the site (a Referer from this host) never consults the browser: a reader
    who refuses cookies and picks English from a Russian browser stays on English pages."""
    chosen = chosen_language(request)
    if chosen:
        return chosen
    referer = request.META.get("HTTP_REFERER", "")
    try:
        if referer and urlsplit(referer).netloc == request.get_host():
            return None
    except DisallowedHost:
        return None
    for code, quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if quality <= 0 or code == "*":  # "ru;q=0": anything but Russian
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None
