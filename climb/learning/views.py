"""Answering questions, and a learner's own progress."""

from __future__ import annotations

import csv
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from climb.errors import into_message_slot
from climb.ops import limit_key
from climb.spreadsheets import BOM, csv_safe
from lessons.assembly import answer_html, message_at, with_csrf_token
from lessons.models import Localized, Status, Tier, TierVersion
from lessons.reading import altitude_context, attempts_in

from . import ratelimit
from .altitude import altitude_from, without_first_answer
from .forms import AnswerForm
from .learners import learner_for, learner_id_for
from .models import Answer, Retake, RetakeRefused, scores_for
from .progress import progress_context
from .quiz import LOCKED, Attempt, outcome, unfold

ANSWERED_ELSEWHERE = gettext_lazy(
    "You had already answered this in another tab: the step shows that answer."
)
logger = logging.getLogger("climb.answers")


def _answer_error(
    request: HttpRequest, message: str, form: AnswerForm, status: int = 400
) -> HttpResponse:
    """4xx with the reason, shown where the learner is looking."""
    question = form.cleaned_data.get("question") if hasattr(form, "cleaned_data") else None
    if request.htmx:
        response = render(
            request, "learning/_answer_error.html", {"message": message}, status=status
        )
        return into_message_slot(response, question.pk if question else None)
    back = question.step.version.get_absolute_url() if question else None
    return render(
        request, "learning/answer_error.html", {"message": message, "back": back}, status=status
    )


def _too_many(request: HttpRequest, message: str = "") -> HttpResponse:
    return _answer_error(
        request,
        message
        or _("Too many answers in a minute. Take a breath, read the explanation, then go on."),
        AnswerForm(),
        status=429,
    )


@require_POST
def answer(request: HttpRequest) -> HttpResponse:
    # Per learner; a client with no learner yet (no session) is counted by address, more
    # loosely, since a whole office may share one.
    if learner_id_for(request) is None:
        address = limit_key(request)
        if not ratelimit.hit(f"answer:ip:{address}", settings.ANSWER_RATE_LIMIT * 10):
            return _too_many(request)
        # This answer starts a learner (and a session): a client that keeps no cookie starts
        # one with every post.
        if not ratelimit.hit(
            f"new-learner:{address}", settings.NEW_LEARNERS_PER_CLIENT, 3600, shared=True
        ):
            return _too_many(
                request,
                _(
                    "Too many new learners from your address this hour. Let the site keep "
                    "its cookie, so that your answers stay together, or sign up."
                ),
            )
    form = AnswerForm(request.POST)
    if not form.is_valid():
        if form.has_error(NON_FIELD_ERRORS, "changed"):  # since the page was read
            return _answer_error(request, form.non_field_errors()[0], form, status=409)
        return _answer_error(request, form.first_error(), form)
    question, choice = form.cleaned_data["question"], form.cleaned_data["choice"]
    version = question.step.version  # as the page has it, from the cache
    learner = learner_for(request)
    if not ratelimit.hit(f"answer:learner:{learner.pk}", settings.ANSWER_RATE_LIMIT):
        return _too_many(request)
    # The learner's answers in this piece, once: for the step-order and attempt checks, and
    # for the fragment.
    round_, answers = attempts_in(version, learner.pk)
    states = unfold(version.steps.all(), answers, round_)
    index = next(i for i, state in enumerate(states) if state.step.pk == question.step_id)
    if states[index].state == LOCKED:
        # The page shows no form there: only a hand-made post gets this far.
        return _answer_error(
            request, _("Answer the step before this one first: the steps open in order."), form
        )
    try:
        recorded = Answer.record(
            learner,
            choice,
            form.cleaned_data["attempt"],
            states[index].answers,  # this question's, in attempt order
            # The round the attempt was checked in, not the one current at the INSERT: a
            # new round started in another tab in between would get this retry as its
            # attempt 2 with no attempt 1, and the piece could never be cleared again.
            round=round_,
        )
    except ValueError as error:
        logger.warning(
            "answer refused as out of date: %s (learner %s, question %s, attempt %s, %s before)",
            error,
            learner.pk,
            question.pk,
            form.cleaned_data["attempt"],
            len(states[index].answers),
        )
        return _answer_error(
            request, _("This answer is out of date. Reload the page and try again."), form
        )
    # An answer to a question the page showed unanswered opens the way there: every step
    # after it changes (opened, or still locked behind another question, which its
    # placeholder links to). Stored now, or already from another tab: that page still has
    # them all locked behind this question.
    opened_the_way = form.cleaned_data["attempt"] == 1
    scores = None
    # What this answer achieved, said in words: the altitude bar and the recap change
    # silently, far from where the learner's focus is.
    news = []
    result = outcome(states)
    if recorded.created:
        attempt = recorded.answer.attempt
        answers.append(Attempt(question.pk, choice.pk, choice.is_correct, attempt, choice))
        finished_before = result is not None
        states = unfold(version.steps.all(), answers, round_)  # the steps as they are now
        result = outcome(states)
        if result is not None and result.cleared and not finished_before:
            news.append(_("Piece cleared."))
        if attempt == 1:
            # Only first attempts move the altitude; a tier is recorded when one does.
            scores = scores_for(learner.pk, version.piece.climb_id)
            before = without_first_answer(scores, version.pk, choice.is_correct)
            reached = altitude_from(scores)
            if reached != altitude_from(before):
                learner.record_altitude(version.piece.climb, scores)
                if reached is not None:  # never otherwise: an answer only adds
                    news.append(
                        _("You reached %(tier)s in %(climb)s.")
                        % {"tier": reached.label, "climb": version.piece.climb.local.title}
                    )
    stale = not recorded.created and recorded.answer.choice_id != choice.pk
    notice = str(ANSWERED_ELSEWHERE) if stale else " ".join(news)
    if not request.htmx:
        if notice:  # shown in the verdict, where the page comes back
            messages.info(request, notice, extra_tags=message_at(f"feedback-{question.pk}"))
        # Post/redirect/get: the page comes back scrolled to the verdict (the top of the step
        # would leave it below the prose and the snippet).
        return redirect(f"{version.get_absolute_url()}#feedback-{question.pk}")
    # Else (a retry) the next step only, as the page may have opened it since it was read.
    following = states[index + 1 :] if opened_the_way else states[index + 1 : index + 2]
    context = {"version": version, "outcome": result}
    if scores is not None:  # a retry leaves the altitude as it was: no panel to swap
        context.update(altitude_context(version, scores))
    html = answer_html(context, states[index], following)
    response = HttpResponse(with_csrf_token(request, html))
    if notice:
        # Read out by the toast (climb.js). Stale: answered meanwhile in another tab or window
        # (or this one, before a reload), and the step shows the answer that counts, which is
        # not the one just picked.
        response["HX-Trigger"] = json.dumps({"climb:notice": notice})  # ASCII: \u escapes
    return response


@require_POST
def retake(request: HttpRequest, version_id: int) -> HttpResponse:
    """Start a new round of a tier version the learner finished without clearing."""
    version = get_object_or_404(
        TierVersion.objects.published().select_related("piece__climb"), pk=version_id
    )
    try:
        round_number = Retake.start(learner_id_for(request), version)
    except RetakeRefused as refused:
        return _retake_refused(request, version, str(refused))
    # At step 1, where the page comes back: focused there (climb.js), the next Tab goes on
    # into the step rather than back to the top of the page.
    messages.success(
        request,
        _("Round %(round)d: the steps start over, and your first answers in it count.")
        % {"round": round_number},
        extra_tags=message_at("step-1"),
    )
    return redirect(f"{version.get_absolute_url()}#step-1")


def _retake_refused(request: HttpRequest, version: TierVersion, message: str) -> HttpResponse:
    context = {"message": message, "back": version.get_absolute_url()}
    return render(request, "learning/retake_refused.html", context, status=400)


@require_safe
def progress(request: HttpRequest) -> HttpResponse:
    context = progress_context(learner_id_for(request))
    return render(request, "learning/progress.html", context)


EXPORT_FIELDS = [
    "answered_at",
    "climb",
    "piece",
    "tier",
    "step",
    "question",
    "choice",
    "correct",
    "round",
    "attempt",
]


def _export_rows(learner_id: int | None, csv_file: bool, language: str):
    """The rows of the answers download, in `language` (the download address's) where the
    question had a text in it when it was answered. Read as the response streams, after the
    view has returned: hence the language passed in, not the active one."""
    if learner_id is None:
        return
    answers = (
        Answer.objects.filter(learner_id=learner_id)
        .select_related("question__step__version__piece__climb", "revision")
        .order_by("created_at", "pk")
    )
    for answer in answers.iterator(chunk_size=500):
        step = answer.question.step
        # As the learner saw it: the choice may since have been edited or removed.
        shown = answer.revision
        frozen = shown.choices[answer.choice_index]
        prompt = Localized(shown, language).prompt
        choice = frozen.get(f"text_{language}") or frozen["text"]
        published = step.version.status == Status.PUBLISHED
        heading = Localized(step, language).heading if published else ""
        yield {
            "answered_at": answer.created_at.isoformat(),
            "climb": step.version.piece.climb.slug,
            "piece": step.version.piece.slug,
            "tier": Tier(step.version.tier).slug,
            # Author text: a formula there would run in the learner's spreadsheet. A step
            # of a version taken back to a draft may be renamed before it is out again.
            "step": csv_safe(heading) if csv_file else heading,
            "question": csv_safe(prompt) if csv_file else prompt,
            "choice": csv_safe(choice) if csv_file else choice,
            # In the CSV as JSON writes it, not as Python's True/False.
            "correct": _csv_bool(answer.is_correct) if csv_file else answer.is_correct,
            "round": answer.round,
            "attempt": answer.attempt,
        }


def _csv_bool(value: bool) -> str:
    return "true" if value else "false"


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_safe
def export_answers(request: HttpRequest, fmt: str) -> HttpResponse:
    """Download one's own answers. Streams, so a long history costs no memory."""
    rows = _export_rows(learner_id_for(request), csv_file=fmt == "csv", language=get_language())
    if fmt == "csv":
        writer = csv.DictWriter(_Echo(), fieldnames=EXPORT_FIELDS)

        def lines():
            yield BOM + writer.writeheader()
            for row in rows:
                yield writer.writerow(row)

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    elif fmt == "json":

        def chunks():
            yield "["
            for index, row in enumerate(rows):
                yield ("," if index else "") + "\n  " + json.dumps(row, ensure_ascii=False)
            yield "\n]\n"

        response = StreamingHttpResponse(chunks(), content_type="application/json")
    else:
        raise Http404("Answers can be downloaded as .csv or .json.")
    response["Content-Disposition"] = f'attachment; filename="climb-answers.{fmt}"'
    return response


@require_safe
def about_altitude(request: HttpRequest) -> HttpResponse:
    return render(request, "learning/about_altitude.html", {"tiers": list(Tier)})
