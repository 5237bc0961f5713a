"""The reading pages: home, a climb, a piece at one tier.

Every page runs a fixed number of queries whatever the size of the content; the tests pin them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from climb.learning.altitude import (
    Altitude,
    Status,
    VersionScore,
    needed_to_clear,
    next_to_climb,
    piece_statuses,
    started,
)
from climb.learning.learners import learner_id_for
from climb.learning.models import question_steps, scores_for

from . import contentcache
from .assembly import csrf_placeholder, piece_html, render_shareable, with_csrf_token
from .models import Climb, Piece, PieceAlias, Tier, TierVersion, content_generation
from .reading import all_right, neighbour, reading_context, version_for_reading


@dataclass(frozen=True)
class Resume:
    """Where a reader goes into a climb, or back into it: no `url` once all is cleared."""

    started: bool  # anything answered in the climb
    url: str | None = None
    title: str = ""
    tier: str = ""
    opened: bool = False  # anything answered in that version: "where you left off"
    finished: bool = False  # every question of it answered, and not cleared: "climb it again"
    translated: bool = True  # False: the title is the English original (lang="en")


def resume(
    climb_slug: str,
    versions: Sequence[TierVersion],
    scores: list[VersionScore],
    steps: dict[int, tuple[int, ...]] | None = None,
) -> Resume:
    """`versions`: the climb's published versions in climb order, each with its piece;
    `steps`: climb.learning.models.question_steps(), for the link into a piece already
    opened to go where the learner left off (without it, to the top of the piece)."""
    version = next_to_climb(versions, scores)
    if version is None:
        return Resume(started(scores))
    url = reverse("lessons:piece_tier", args=[climb_slug, version.piece.slug, version.tier_slug])
    score = next((score for score in scores if score.version_id == version.pk), None)
    opened = score is not None and score.answered > 0
    # Not once a new round is started: the learner already climbs it again (see
    # VersionScore.to_climb_again), and picks that round up where they left off.
    finished = score is not None and score.to_climb_again
    if opened and steps is not None:
        url += resume_anchor(score, steps.get(version.pk, ()))
    title, tier = version.local.title, version.get_tier_display()
    return Resume(started(scores), url, title, tier, opened, finished, version.translated)


def resume_anchor(score: VersionScore, steps: tuple[int, ...]) -> str:
    """Where "Pick up where you left off" lands in a piece the learner opened: the step
    after the last one they answered in their round, the first still open (a returning
    learner scrolled past every step they had answered); the first step of a round just
    started; the recap, with its "Climb it again", for a round finished without clearing
    it. `steps`: the piece page's numbers of the steps with a question.

    The steps open in order, so the answered questions are the first `answered` ones."""
    if score.new_round:
        return "#step-1"
    if score.to_climb_again:
        return "#recap"
    if 0 < score.answered < len(steps):
        return f"#step-{steps[score.answered - 1] + 1}"
    # Nothing answered yet, the round cleared, or the content changed under the counts: the
    # top of the piece.
    return ""


def _get_climb_or_404(climb_slug: str) -> Climb:
    return get_object_or_404(Climb, slug=climb_slug)


def _get_version_or_404(climb_slug: str, piece_slug: str, tier_slug: str) -> TierVersion:
    tier = Tier.from_slug(tier_slug)
    if tier is None:
        raise Http404("No such tier.")
    version = version_for_reading(climb_slug, piece_slug, tier)
    if version is None:
        raise Http404("No such piece.")
    return version


# A reader with no progress sees exactly what every other such reader sees: the whole page is
# kept, and each request only swaps in its own CSRF token. Keyed by the content generation, so
# an edit shows at once.
PAGE_CACHE_SECONDS = 3600


def _page(request: HttpRequest, render_html: Callable[[int | None], str]) -> HttpResponse:
    """The response for `render_html(learner id)`, which returns the page with the CSRF
    placeholder in it. A reader with no learner (a signed-in user always has one) has no
    progress, and gets the shared copy of the page when there is one."""
    learner_id = learner_id_for(request)
    key = None
    if learner_id is None and not (request.GET or request.htmx):
        # The placeholder too: a page kept from before SECRET_KEY changed holds the old one.
        key = f"page:{content_generation()}:{get_language()}:{csrf_placeholder()}:{request.path}"
    html = contentcache.get(key) if key is not None else None
    if html is None:
        html = render_html(learner_id)
        if key is not None:
            contentcache.set(key, html, PAGE_CACHE_SECONDS)
    return HttpResponse(with_csrf_token(request, html))


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, lambda learner_id: _home_html(request, learner_id))


def _home_html(request: HttpRequest, learner_id: int | None) -> str:
    climbs = list(Climb.objects.with_summary())
    versions_by_climb: dict[int, list[TierVersion]] = defaultdict(list)
    for version in (
        TierVersion.objects.published()
        .select_related("piece")
        .only("tier", "title", "title_ru", "piece__slug", "piece__order", "piece__climb")
        .order_by("piece__order", "piece__slug", "tier")
    ):
        versions_by_climb[version.piece.climb_id].append(version)
    scores = scores_for(learner_id) if learner_id else []
    steps = question_steps() if learner_id else None  # the rows scores_for read: no query
    for climb in climbs:
        versions = versions_by_climb[climb.pk]
        climb.tiers = sorted({Tier(version.tier) for version in versions})
        mine = [score for score in scores if score.climb_id == climb.pk]
        climb.altitude = Altitude.from_scores(mine)
        climb.pieces_cleared = sum(
            1 for status in piece_statuses(mine).values() if status is Status.CLEARED
        )
        climb.resume = resume(climb.slug, versions, mine, steps)
    return render_shareable("lessons/home.html", {"climbs": climbs}, request)


@require_safe
def climb_detail(request: HttpRequest, climb_slug: str) -> HttpResponse:
    return _page(request, lambda learner_id: _climb_html(request, climb_slug, learner_id))


def _climb_html(request: HttpRequest, climb_slug: str, learner_id: int | None) -> str:
    climb = _get_climb_or_404(climb_slug)
    pieces = list(Piece.objects.filter(climb=climb).with_published_versions())
    if not pieces:
        # Only drafts so far: as hidden as it is on the home page and in the sitemap.
        raise Http404("Nothing is published in this climb yet.")
    scores = scores_for(learner_id, climb) if learner_id else []
    steps = question_steps(climb.pk) if learner_id else None  # as scores_for read: no query
    by_version = {score.version_id: score for score in scores}
    statuses = piece_statuses(scores)
    for piece in pieces:
        piece.status = statuses.get(piece.pk, Status.NOT_STARTED)
        piece.cleared_tiers, piece.to_climb_again = [], []
        for version in piece.published_versions:
            score = by_version.get(version.pk)
            version.status_for_learner = score.status if score else Status.NOT_STARTED
            # Linked where the learner left off, as the resume link is (the learner audit: the
            # list's links went back to the top of the piece); "" for a version not opened.
            version.anchor = resume_anchor(score, steps.get(version.pk, ())) if score else ""
            # Cleared at some of its tiers, not all: said so, rather than "in progress"
            # beside a learner's altitude that these tiers gave them (a newcomer's first
            # session); and finished without clearing, as the resume link above says.
            if version.status_for_learner is Status.CLEARED:
                piece.cleared_tiers.append(version.get_tier_display())
            elif score and score.to_climb_again:
                piece.to_climb_again.append(version.get_tier_display())
    versions = [version for piece in pieces for version in piece.published_versions]
    context = {
        "climb": climb,
        "pieces": pieces,
        "altitude": Altitude.from_scores(scores),
        "tiers_all": list(Tier),
        "resume": resume(climb.slug, versions, scores, steps),
    }
    return render_shareable("lessons/climb.html", context, request)


@require_safe
def piece_detail(request: HttpRequest, climb_slug: str, piece_slug: str) -> HttpResponse:
    """A piece without a tier: read it at its lowest published tier."""
    version = (
        TierVersion.objects.published()
        .filter(piece__climb__slug=climb_slug, piece__slug=piece_slug)
        .select_related("piece__climb")
        .order_by("tier")
        .first()
    )
    if version is None:
        moved = PieceAlias.resolve(climb_slug, piece_slug)
        if moved is None:
            raise Http404("No such piece.")
        return redirect(moved, permanent=True)
    return redirect(version)


def _piece_page(
    request: HttpRequest,
    version: TierVersion,
    learner_id: int | None,
    *,
    preview: bool = False,
    proofread: bool = False,
) -> str:
    """The page's HTML with the CSRF placeholder still in it (see `assembly`)."""
    context = reading_context(version, learner_id, all_right(version) if proofread else None)
    if not hasattr(version, "source_list"):  # the preview reads drafts, uncached
        version.source_list = list(version.sources.all())
        version.previous_piece = neighbour(version, "previous")
        version.next_piece = neighbour(version, "next")
    # The clearing rule, said before the first question rather than in the recap after the
    # last (a newcomer learnt only there that every first try had counted).
    questions = sum(1 for state in context["steps"] if state.question is not None)
    context.update(
        sources=version.source_list,
        previous_piece=version.previous_piece,
        next_piece=version.next_piece,
        preview=preview,
        proofread=proofread,
        to_clear={"questions": questions, "needed": needed_to_clear(questions)},
    )
    cached = not (preview or request.GET)
    return piece_html(request, context, cached, messages=learner_id is not None)


@require_safe
def preview(request: HttpRequest, version_id: int) -> HttpResponse:
    """For staff who may read tier versions in the admin (authors, superusers): a tier
    version, drafts included, exactly as a new learner would see it; with ?proofread=1,
    every step open and every question shown answered right, so that an author reads all of
    it (the steps after the first are locked to a new learner). Other staff, a support desk
    say, see a 404 as learners do: a draft is unpublished work."""
    user = request.user
    # As the admin decides who sees a version there: change implies view.
    may_read = user.has_perm("lessons.view_tierversion") or user.has_perm(
        "lessons.change_tierversion"
    )
    if not (user.is_active and user.is_staff and may_read):
        raise Http404("No such page.")
    version = get_object_or_404(TierVersion.objects.for_reading(), pk=version_id)
    proofread = request.GET.get("proofread") == "1"
    html = _piece_page(request, version, learner_id=None, preview=True, proofread=proofread)
    return HttpResponse(with_csrf_token(request, html))


@require_safe
def piece_tier(
    request: HttpRequest, climb_slug: str, piece_slug: str, tier_slug: str
) -> HttpResponse:
    try:
        return _page(
            request,
            lambda learner_id: _piece_page(
                request, _get_version_or_404(climb_slug, piece_slug, tier_slug), learner_id
            ),
        )
    except Http404:
        # Not here, unless the piece was renamed since: then to the same tier at its new
        # address, for good. Asked only on the way to a 404, never of a page that exists.
        moved = _moved_tier_url(climb_slug, piece_slug, tier_slug)
        if moved is None:
            raise
        return redirect(moved, permanent=True)


def _moved_tier_url(climb_slug: str, piece_slug: str, tier_slug: str) -> str | None:
    tier = Tier.from_slug(tier_slug)
    moved = PieceAlias.resolve(climb_slug, piece_slug) if tier is not None else None
    if moved is None or version_for_reading(moved.climb.slug, moved.slug, tier) is None:
        return None
    return reverse("lessons:piece_tier", args=[moved.climb.slug, moved.slug, tier_slug])
