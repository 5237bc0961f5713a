"""Piece pages put together from parts rendered once.

A piece page differs between readers in a few places only: the state of each step (open,
locked, or answered with these attempts), the altitude panel, the recap, the signed-in name
and the CSRF token. The rest of the page is rendered once per content generation, language,
path and kind of reader, with a *slot* where each of those places is; each part is rendered
once per state it can be in. A request fetches all of them in one cache call and joins
strings, so a learner's page costs no template rendering however long their history is.

The parts are the same templates the page always used, so a page from parts is the page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from climb.learning.quiz import LOCKED, StepState

from . import contentcache
from .models import content_generation

PARTS_SECONDS = 3600


@dataclass(frozen=True)
class _Markers:
    """What the assembly looks for in rendered HTML: where each response puts its CSRF token,
    and where the parts go. The HTML holds author text, and an author could type any fixed
    marker (the token would then land in a link of theirs; a slot, repeat the recap or crash
    the page), so both carry a value derived from SECRET_KEY, which no author knows. It is
    the same on every app server, so parts rendered by one serve all."""

    csrf: str
    slot: str
    pattern: re.Pattern


@functools.cache
def _markers_for(secret_key: str) -> _Markers:
    nonce = salted_hmac("climb.assembly.markers", "v1", secret=secret_key).hexdigest()[:24]
    return _Markers(
        csrf=f"csrf-{nonce}",
        slot=f"\ue000{nonce}:{{}}\ue000",
        pattern=re.compile(f"\ue000{nonce}:([a-z0-9-]+)\ue000"),
    )


def markers() -> _Markers:
    return _markers_for(settings.SECRET_KEY)


def csrf_placeholder() -> str:
    """Rendered in place of the CSRF token; each response swaps in its own."""
    return markers().csrf


def slot(name: str) -> SafeString:
    return mark_safe(markers().slot.format(name))


@dataclass(frozen=True)
class Part:
    """A template rendered with `context`; `key` names everything else its HTML depends on."""

    key: str
    template: str
    context: dict


def render_shareable(template: str, context: dict, request: HttpRequest | None = None) -> str:
    """`template` rendered with the CSRF placeholder for a token: the same HTML for every
    reader it fits, kept and served through `with_csrf_token`."""
    return render_to_string(template, {**context, "csrf_token": csrf_placeholder()}, request)


def _key_prefix() -> str:
    """What every part depends on besides its own key."""
    # The markers too: parts rendered before SECRET_KEY changed hold markers no longer looked for.
    return f"part:{content_generation()}:{get_language()}:{csrf_placeholder()}:"


def render_parts(parts: list[Part], cached: bool = True) -> list[str]:
    """The parts' HTML, from the cache in one call; the missing ones rendered and stored."""
    prefix = _key_prefix()
    keys = [prefix + part.key for part in parts]
    found = contentcache.get_many(keys) if cached else {}
    rendered = {}
    html = []
    for key, part in zip(keys, parts, strict=True):
        if key not in found:
            found[key] = rendered[key] = render_shareable(part.template, part.context)
        html.append(found[key])
    if cached and rendered:
        contentcache.set_many(rendered, PARTS_SECONDS)
    return html


def step_part(state: StepState, oob: bool = False) -> Part:
    attempts = ".".join(
        f"{answer.choice_id}{'y' if answer.is_correct else 'n'}" for answer in state.answers
    )
    # The round orders a question's choices (quiz.in_round_order): a locked step shows none.
    round_ = state.round if state.question is not None and state.state != LOCKED else 0
    # A locked step links to the open question: one placeholder per question before it.
    opener = state.opener
    opened_by = f"{opener.number}.{opener.question.pk}" if opener is not None else "-"
    return Part(
        f"step:{state.step.pk}:{state.number}:{int(state.last_step)}:{state.state}:{round_}:"
        f"{attempts}:{opened_by}:{int(oob)}",
        "lessons/_step.html",
        {"state": state, "oob": oob},
    )


def altitude_part(context: dict, oob: bool = False) -> Part:
    return Part(
        f"altitude:{context['version'].pk}:{context['altitude'].key}:{int(oob)}",
        "lessons/_altitude.html",
        {**context, "oob": oob},
    )


def recap_part(context: dict, oob: bool = False) -> Part:
    result = context.get("outcome")
    return Part(
        f"recap:{context['version'].pk}:{result.key if result else '-'}:{int(oob)}",
        "lessons/_recap.html",
        {**context, "oob": oob},
    )


class _SignedInSlot:
    """Stands in for the user while the page around the parts is rendered: every signed-in
    reader gets the same page, with a slot for the name."""

    is_authenticated = True
    is_anonymous = False

    def get_username(self) -> SafeString:
        return slot("username")


def _skeleton(request: HttpRequest, context: dict, steps: int, cached: bool) -> list[str]:
    """The page with slots, split into [text, slot name, text, ...]."""
    signed_in = request.user.is_authenticated
    key = f"{_key_prefix()}page:{context['version'].pk}:{int(signed_in)}:{request.path}"
    skeleton = contentcache.get(key) if cached else None
    if skeleton is None:
        page = {
            **context,
            "step_html": [slot(f"step-{number}") for number in range(1, steps + 1)],
            "altitude_html": slot("altitude"),
            "recap_html": slot("recap"),
            "messages_html": slot("messages"),
        }
        if signed_in:
            page["user"] = _SignedInSlot()
        html = render_shareable("lessons/piece.html", page, request)
        skeleton = markers().pattern.split(html)
        if cached:
            contentcache.set(key, skeleton, PARTS_SECONDS)
    return skeleton


MESSAGE_AT = "at:"


def message_at(anchor: str) -> str:
    """The extra_tags of a message shown at `anchor` (step-N, feedback-<question id>), where
    a redirect to #anchor lands, rather than at the top of the page: a reader without
    JavaScript sees it there, and a screen reader reads it first. (Readers with it get no
    such message: their answer's news comes in a toast.)"""
    return MESSAGE_AT + anchor


def _anchor_at(values: dict, states: list[StepState], anchor: str) -> tuple[str, int] | None:
    """Where in `values` a message for `anchor` goes: (step name, offset), or None where the
    anchor is not on the page."""
    kind, _, number = anchor.partition("-")
    for index, state in enumerate(states, start=1):
        name = f"step-{index}"
        if kind == "step" and number == str(index):
            # Just inside the step's <li>: its opening tag has no ">" in it.
            return name, values[name].index(">") + 1
        if kind == "feedback" and state.question is not None and number == str(state.question.pk):
            # Just inside the feedback. Author text cannot hold this: its quotes and angle
            # brackets are escaped, and it has no tabindex.
            opening = f'id="feedback-{number}" tabindex="-1">'
            start = values[name].find(opening)
            return (name, start + len(opening)) if start >= 0 else None
    return None


def _place_messages(values: dict, states: list[StepState], shown: list) -> list:
    """Put the messages meant for an anchor into the step HTML in `values`; the others (and
    any whose anchor is not on the page) are returned, for the top of the page."""
    at_top = []
    for message in shown:
        tag = message.extra_tags or ""
        place = (
            _anchor_at(values, states, tag[len(MESSAGE_AT) :])
            if tag.startswith(MESSAGE_AT)
            else None
        )
        if place is None:
            at_top.append(message)
            continue
        name, offset = place
        html = render_to_string("lessons/_page_messages.html", {"messages": [message]})
        values[name] = values[name][:offset] + html + values[name][offset:]
    return at_top


def piece_html(
    request: HttpRequest, context: dict, cached: bool = True, messages: bool = False
) -> str:
    """The whole piece page for `context` (from `reading_context`, plus the page's extras),
    still with the CSRF placeholder in it: see `with_csrf_token`. `messages`: show (and so
    use up) the request's messages; never on a page kept for every reader."""
    states = context["steps"]
    parts = [step_part(state) for state in states]
    parts += [altitude_part(context), recap_part(context)]
    *steps, altitude, recap = render_parts(parts, cached)
    values = {f"step-{number}": html for number, html in enumerate(steps, start=1)}
    values.update(altitude=altitude, recap=recap, messages="")
    if messages:
        at_top = _place_messages(values, states, list(get_messages(request)))
        if at_top:
            values["messages"] = render_to_string(
                "lessons/_page_messages.html", {"messages": at_top}
            )
    if request.user.is_authenticated:
        values["username"] = escape(request.user.get_username())
    pieces = _skeleton(request, context, len(states), cached)[:]
    pieces[1::2] = [values[name] for name in pieces[1::2]]
    return "".join(pieces)


def answer_html(context: dict, state: StepState, following: Sequence[StepState]) -> str:
    """The HTMX answer response: the step, then out-of-band the `following` steps (those the
    answer changed), the altitude (when `context` has it) and, once every question is
    answered (an outcome), the recap."""
    parts = [step_part(state)]
    parts += [step_part(other, oob=True) for other in following]
    if "altitude" in context:
        parts.append(altitude_part(context, oob=True))
    if context["outcome"]:  # every question answered
        parts.append(recap_part(context, oob=True))
    return "\n".join(render_parts(parts))


def with_csrf_token(request: HttpRequest, html: str) -> str:
    return html.replace(csrf_placeholder(), get_token(request))
