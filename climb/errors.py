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


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    if getattr(request, "htmx", False):
        response = render(request, "errors/_stale_form.html", status=403)
        # Into the quiz's own message slot when it was an answer, else the toast.
        question = request.POST.get("question", "")
        is_answer = request.path_info == reverse("learning:answer")
        target = f"#quiz-{question}-error" if is_answer and question.isdigit() else "#toast"
        response["HX-Retarget"] = target
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "errors/stale_form.html", status=403)
