"""The reading pages: home, a climb, a piece at one tier.

Every page runs a fixed number of queries whatever the size of the content; the tests pin them.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from .models import Climb, Piece, Tier, TierVersion


def _get_climb_or_404(climb_slug: str) -> Climb:
    return get_object_or_404(Climb, slug=climb_slug)


def _get_version_or_404(climb_slug: str, piece_slug: str, tier_slug: str) -> TierVersion:
    tier = Tier.from_slug(tier_slug)
    if tier is None:
        raise Http404("No such tier.")
    return get_object_or_404(
        TierVersion.objects.published().for_reading(),
        piece__climb__slug=climb_slug,
        piece__slug=piece_slug,
        tier=tier,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    climbs = list(Climb.objects.with_summary())
    tiers_by_climb: dict[int, set[int]] = defaultdict(set)
    for climb_id, tier in (
        TierVersion.objects.published().values_list("piece__climb_id", "tier").distinct()
    ):
        tiers_by_climb[climb_id].add(tier)
    for climb in climbs:
        climb.tiers = [tier for tier in Tier if tier in tiers_by_climb[climb.pk]]
    return render(request, "lessons/home.html", {"climbs": climbs})


@require_GET
def climb_detail(request: HttpRequest, climb_slug: str) -> HttpResponse:
    climb = _get_climb_or_404(climb_slug)
    pieces = list(Piece.objects.filter(climb=climb).with_published_versions())
    return render(request, "lessons/climb.html", {"climb": climb, "pieces": pieces})


@require_GET
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
        raise Http404("No such piece.")
    return redirect(version)


def _neighbour(version: TierVersion, direction: str) -> Piece | None:
    """The previous or next published piece, with the title it has at the nearest tier."""
    piece = version.piece
    titled = (
        TierVersion.objects.published()
        .filter(piece=OuterRef("pk"))
        .annotate(
            same_tier=Case(
                When(tier=version.tier, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("same_tier", "tier")
    )
    if direction == "next":
        where = Q(order__gt=piece.order) | Q(order=piece.order, slug__gt=piece.slug)
        ordering = ["order", "slug"]
    else:
        where = Q(order__lt=piece.order) | Q(order=piece.order, slug__lt=piece.slug)
        ordering = ["-order", "-slug"]
    neighbour = (
        Piece.objects.published()
        .filter(where, climb_id=piece.climb_id)
        .annotate(
            title=Subquery(titled.values("title")[:1]),
            tier=Subquery(titled.values("tier")[:1]),
        )
        .order_by(*ordering)
        .first()
    )
    if neighbour is not None:
        neighbour.url = (
            f"{piece.climb.get_absolute_url()}{neighbour.slug}/{Tier(neighbour.tier).slug}/"
        )
    return neighbour


def _tier_bar(version: TierVersion) -> list[dict]:
    available = set(
        TierVersion.objects.published().filter(piece=version.piece).values_list("tier", flat=True)
    )
    piece = version.piece
    return [
        {
            "tier": tier,
            "available": tier in available,
            "current": tier == version.tier,
            "url": f"{piece.get_absolute_url()}{tier.slug}/",
        }
        for tier in Tier
    ]


@require_GET
def piece_tier(
    request: HttpRequest, climb_slug: str, piece_slug: str, tier_slug: str
) -> HttpResponse:
    version = _get_version_or_404(climb_slug, piece_slug, tier_slug)
    context = {
        "version": version,
        "piece": version.piece,
        "climb": version.piece.climb,
        "steps": list(version.steps.all()),
        "sources": list(version.sources.all()),
        "tier_bar": _tier_bar(version),
        "previous_piece": _neighbour(version, "previous"),
        "next_piece": _neighbour(version, "next"),
    }
    return render(request, "lessons/piece.html", context)
