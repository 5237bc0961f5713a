"""The search page: a form, and the results of lessons.search_query.search() under it.

Without JavaScript it is a plain GET form; with htmx the results follow the typing and only
the results fragment comes back. The index lives in search_index, the ranking in search_query.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from . import search_query, search_suggest
from .search_text import MIN_PREFIX_LENGTH, clean_query, ignored_operators, words

MAX_RESULTS = 50


def shown(query: str) -> str:
    """The query as the summary quotes it, in its own quotation marks: "fencing token" typed
    with its quotes shows as “fencing token”, not “"fencing token"”, and an unclosed quote
    ("fencing token) leaves no stray mark."""
    if query.count('"') % 2:
        at = query.rfind('"')
        query = (query[:at] + query[at + 1 :]).strip()
    if len(query) > 2 and query[0] == query[-1] == '"':
        query = query[1:-1]
    return query


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    raw = clean_query(request.GET.get("q", ""))
    query = raw.strip()
    # The raw text goes to the search: a trailing space says the last word is finished, no
    # longer a prefix of what is still being typed.
    # One more than is shown: whether there are more says "the first 50", not "50 results".
    # Where the site's language finds nothing (on /ru/, fewer), the other's text is searched
    # too, and its hits follow, each saying so: a second query at most.
    results = search_query.search_both(raw, request.LANGUAGE_CODE, MAX_RESULTS + 1) if query else []
    more = len(results) > MAX_RESULTS
    results = results[:MAX_RESULTS]
    found = words(query)
    too_short = len(found) == 1 and len(found[0]) < MIN_PREFIX_LENGTH
    # Only when nothing was found: a search with results runs no query more for this.
    suggested = None
    if query and not results and found and not too_short:
        suggested = search_suggest.suggestion(raw, request.LANGUAGE_CODE)
    context = {
        "query": query,
        # In <bdi>: a right-to-left mark in the query must not reverse the rest of the line.
        "shown_query": format_html("<bdi>{}</bdi>", shown(query)),
        # Punctuation, symbols, emoji: nothing a word is made of, so nothing to search.
        "no_words": not found,
        # One letter is a whole word, not yet the start of one: say so, not "fewer words".
        "too_short": too_short,
        # A plain link to the search it suggests, the query in <bdi> as the summary's is.
        "suggestion": suggested
        and format_html(
            '<a href="{}?{}"><bdi>{}</bdi></a>',
            request.path,
            urlencode({"q": suggested}),
            suggested,
        ),
        "searched": bool(query),
        "results": results,
        "max_results": MAX_RESULTS,
        "more": more,
        # "lease OR token", "-lease": say that every word is searched, operators or not.
        "ignored_operators": ignored_operators(query),
    }
    # A history restore (back button, htmx keeps no cache) needs the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "lessons/_search_response.html", context)
    else:
        response = render(request, "lessons/search.html", context)
    if request.htmx and not query:
        # The field emptied (Esc clears a search field, as browsers have it; or the query
        # deleted): the address is the search page's own, not one ending in "?q=".
        response["HX-Replace-Url"] = request.path
    # Same URL, two bodies: caches must not hand the fragment to a normal page load.
    patch_vary_headers(response, ("HX-Request",))
    return response
