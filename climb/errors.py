"""Error pages in the reader's words: a form gone stale (CSRF), a wrong method (405), the
database out of reach (503), any other server error (500), and for htmx a missing page (404).

A token goes stale when the reader logs in or out in another tab, or their session ends,
while a page stays open. Django's own page speaks to developers ("set DEBUG=True") and,
swapped in by htmx, would replace the question the learner was answering.
"""

from __future__ import annotations

import logging
import sys

import redis.exceptions
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views import defaults

from .logs import redact

logger = logging.getLogger("climb.csrf")


def into_message_slot(response: HttpResponse, question_id: int | None) -> HttpResponse:
    """Send an htmx error fragment where the learner is looking: the quiz's own message slot
    (lessons/_step.html) for a question, else the toast. htmx swaps 4xx (see base.html)."""
    response["HX-Retarget"] = f"#quiz-{question_id}-error" if question_id else "#toast"
    response["HX-Reswap"] = "innerHTML"
    # A link that pushes its address (the dashboard's sorting) must not leave the address
    # that failed in the location bar, where a reload would show the whole error page.
    response["HX-Push-Url"] = "false"
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404. For htmx, a line in the toast: the whole 404 page, swapped into the
    dashboard a member had open when they were removed from the team (or signed out in
    another tab), nested the site inside itself."""
    if getattr(request, "htmx", False):
        return into_message_slot(render(request, "errors/_not_found.html", status=404), None)
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.warning("CSRF failure on %s: %s", redact(request.path), reason)
    if getattr(request, "htmx", False):
        question = request.POST.get("question", "")
        is_answer = request.path_info == reverse("learning:answer")
        response = render(request, "errors/_stale_form.html", status=403)
        return into_message_slot(response, question if is_answer and question.isdigit() else None)
    return render(request, "errors/stale_form.html", status=403)


class MethodNotAllowedMiddleware:
    """A page, not an empty body, for a 405: someone opened an address that only takes a
    form (the answer URL from their history, say), or sent a form where only reading is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.method == "HEAD":
            return response
        if getattr(request, "htmx", False):
            page = into_message_slot(render(request, "errors/_method_not_allowed.html"), None)
        else:
            page = render(request, "errors/method_not_allowed.html")
        page.status_code = 405
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page


# Errors that mean a service the site needs is out of reach, not a bug: the database, and
# Redis (the cache and the sessions) where REDIS_URL is set.
UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

# Seconds a client is asked to wait when the database is out of reach: about what a
# PostgreSQL restart or failover takes (the fault drill in tests/perf/bench_faults.py).
RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. An error reaching the database (it is restarting, failing over, or on
    SQLite busy past its timeout) or Redis is not a bug in the page: 503 with Retry-After, saying to
    try again in a moment; anything else is a 500. Django has logged the error either way.

    Rendered without the request: its context (the user, the session) may be what needs the
    database."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, UNAVAILABLE)
    template = "errors/unavailable.html" if unavailable else "500.html"
    response = HttpResponse(render_to_string(template), status=503 if unavailable else 500)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
