"""The CSRF failure page: a form that has gone stale, said in the reader's words.

A token goes stale when the reader logs in or out in another tab, or their session ends,
while a page stays open. Django's own page speaks to developers ("set DEBUG=True") and,
swapped in by htmx, would replace the question the learner was answering.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

logger = logging.getLogger("climb.csrf")


def into_message_slot(response: HttpResponse, question_id: int | None) -> HttpResponse:
    """Send an htmx error fragment where the learner is looking: the quiz's own message slot
    (lessons/_step.html) for a question, else the toast. htmx swaps 4xx (see base.html)."""
    response["HX-Retarget"] = f"#quiz-{question_id}-error" if question_id else "#toast"
    response["HX-Reswap"] = "innerHTML"
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    if getattr(request, "htmx", False):
        question = request.POST.get("question", "")
        is_answer = request.path_info == reverse("learning:answer")
        response = render(request, "errors/_stale_form.html", status=403)
        return into_message_slot(response, question if is_answer and question.isdigit() else None)
    return render(request, "errors/stale_form.html", status=403)
