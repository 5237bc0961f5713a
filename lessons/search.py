"""Search the published pieces: a plain word match, until full-text search comes.

Every word of the query must appear somewhere in a tier version: its own text, one of its
steps, or a step's question. Title hits rank first, then crux hits. One query, whatever the
size of the content.
"""

from __future__ import annotations

from functools import reduce
from operator import add, or_

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.expressions import Combinable
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from .models import Step, TierVersion, TierVersionQuerySet

MAX_QUERY_LENGTH = 200
# Each word adds a subquery and a dozen LIKEs; past a handful, more words only slow it down.
MAX_WORDS = 8
MAX_RESULTS = 50

VERSION_FIELDS = ("title", "crux", "intro", "goal", "recap")
STEP_FIELDS = ("heading", "prose", "code", "prose_after", "question__prompt")


def clean_query(raw: str) -> str:
    # PostgreSQL refuses NUL in text parameters; nobody means to search for one.
    return raw.replace("\x00", "").strip()[:MAX_QUERY_LENGTH]


def query_words(query: str) -> list[str]:
    """The words to look for: each once, at most MAX_WORDS."""
    return list(dict.fromkeys(query.split()))[:MAX_WORDS]


def _contains_any(fields: tuple[str, ...], word: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__icontains": word}) for field in fields))


def _hits(field: str, words: list[str]) -> Combinable:
    """How many of the words `field` contains, as an SQL expression."""
    return reduce(
        add,
        (
            Case(
                When(**{f"{field}__icontains": word}, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for word in words
        ),
    )


def matching_versions(words: list[str]) -> TierVersionQuerySet:
    """Published tier versions containing every word, best matches first."""
    versions = TierVersion.objects.published()
    for word in words:
        # EXISTS rather than joining the steps: a word may sit in any step (not the same one
        # for every word), and no row is repeated, so no DISTINCT over the text columns.
        in_steps = Exists(
            Step.objects.filter(_contains_any(STEP_FIELDS, word), version=OuterRef("pk"))
        )
        versions = versions.filter(_contains_any(VERSION_FIELDS, word) | Q(in_steps))
    return (
        versions.select_related("piece__climb")
        # The result list shows a title and a crux: leave the long rendered HTML behind.
        .only("title", "crux", "tier", "piece__slug", "piece__climb__slug", "piece__climb__title")
        .annotate(title_hits=_hits("title", words), crux_hits=_hits("crux", words))
        .order_by(
            "-title_hits",
            "-crux_hits",
            "piece__climb__order",
            "piece__climb__title",
            "piece__order",
            "piece__slug",
            "tier",
        )
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q", ""))
    words = query_words(query)
    results = list(matching_versions(words)[:MAX_RESULTS]) if words else []
    context = {
        "query": query,
        "searched": bool(words),
        "results": results,
        "max_results": MAX_RESULTS,
    }
    # A history restore (back button, htmx keeps no cache) needs the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "lessons/_search_results.html", context)
    else:
        response = render(request, "lessons/search.html", context)
    # Same URL, two bodies: caches must not hand the fragment to a normal page load.
    patch_vary_headers(response, ("HX-Request",))
    return response
