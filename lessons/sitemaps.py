"""The sitemap: every published reading page, in English and in Russian.

Each entry lists its other language as an hreflang alternate (and x-default, the English
address), so a search engine shows a Russian reader the /ru/ page. Drafts never appear.
A fixed number of queries, one per section, whatever the size of the content.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q, QuerySet
from django.urls import reverse

from .models import Climb, Status, TierVersion


class _ReadingSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class HomeSitemap(_ReadingSitemap):
    priority = 1.0

    def items(self) -> list[str]:
        return ["lessons:home"]

    def location(self, name: str) -> str:
        return reverse(name)


class ClimbSitemap(_ReadingSitemap):
    priority = 0.8

    def items(self) -> QuerySet[Climb]:
        published = Q(pieces__versions__status=Status.PUBLISHED)
        return (
            Climb.objects.with_summary()
            .annotate(last_edit=Max("pieces__versions__updated_at", filter=published))
            .order_by("order", "title", "pk")
        )

    def lastmod(self, climb: Climb):
        return climb.last_edit


class PieceSitemap(_ReadingSitemap):
    priority = 0.6

    def items(self) -> QuerySet[TierVersion]:
        return (
            TierVersion.objects.published()
            .select_related("piece__climb")
            .order_by("piece__climb__order", "piece__climb_id", "piece__order", "piece_id", "tier")
        )

    def lastmod(self, version: TierVersion):
        return version.updated_at


SITEMAPS = {"home": HomeSitemap, "climbs": ClimbSitemap, "pieces": PieceSitemap}
