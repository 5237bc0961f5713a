"""Climbs and their pieces, with the earlier addresses of a moved or renamed piece."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum
from django.urls import reverse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from ..lessonfile import SLUG_RE, slug_example, structure_problem
from .base import RenderedFieldsMixin, Status, TranslatedMixin
from .versions import TierVersion


class ClimbQuerySet(models.QuerySet):
    def with_summary(self) -> ClimbQuerySet:
        """Annotate what the home page shows: pieces, minutes to climb every tier."""
        published = Q(pieces__versions__status=Status.PUBLISHED)
        return self.annotate(
            pieces_count=Count("pieces", filter=published, distinct=True),
            total_minutes=Sum("pieces__versions__minutes", filter=published),
        ).filter(pieces_count__gt=0)


# The path the migrations name it by, where it is imported from (lessons/models/__init__.py).
@deconstructible(path="lessons.models.LessonSlugValidator")
class LessonSlugValidator(RegexValidator):
    """A climb's or piece's slug as a lesson file holds it (the export writes it there):
    lower-case words joined by single hyphens. Django's slug also allows capitals and '_',
    which the importer refuses: an admin edit, a shell or a script saved them, and the
    export then wrote a file that would not import. The error suggests a slug that fits."""

    regex = rf"\A{SLUG_RE.pattern}\Z"
    message = _(
        "Use lower-case letters, digits and single hyphens between them "
        "(“%(example)s”): a lesson file holds no other slug."
    )
    code = "invalid_slug"

    def __call__(self, value) -> None:
        try:
            super().__call__(value)
        except ValidationError:
            params = {"value": value, "example": slug_example(str(value))}
            raise ValidationError(self.message, code=self.code, params=params) from None


class Climb(TranslatedMixin, RenderedFieldsMixin, models.Model):
    slug = models.SlugField(_("slug"), unique=True, validators=[LessonSlugValidator()])
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    description_html = models.TextField(editable=False, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0, db_default=0)
    title_ru = models.CharField(
        _("title (Russian)"), max_length=200, blank=True, default="", db_default=""
    )
    description_ru = models.TextField(
        _("description (Russian)"), blank=True, default="", db_default=""
    )
    description_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")

    rendered_fields = {
        "description": ("description_html", "render_markdown"),
        "description_ru": ("description_ru_html", "render_markdown"),
    }

    objects = ClimbQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        verbose_name = _("climb")
        verbose_name_plural = _("climbs")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lessons:climb", args=[self.slug])

    def clean(self) -> None:
        if self.description_ru.strip() and not self.title_ru.strip():
            # climb.ru.md is written only for a climb with a translated title.
            raise ValidationError({"title_ru": _("A translation needs its title too.")})
        problem = structure_problem(self.description) or structure_problem(self.description_ru)
        if problem:
            raise ValidationError(problem)


class PieceQuerySet(models.QuerySet):
    def published(self) -> PieceQuerySet:
        """Pieces with at least one published tier version."""
        return self.filter(
            Exists(TierVersion.objects.filter(piece=OuterRef("pk"), status=Status.PUBLISHED))
        )

    def with_published_versions(self) -> PieceQuerySet:
        return self.published().prefetch_related(
            Prefetch(
                "versions",
                queryset=TierVersion.objects.published().order_by("tier"),
                to_attr="published_versions",
            )
        )


class Piece(models.Model):
    climb = models.ForeignKey(Climb, on_delete=models.CASCADE, related_name="pieces")
    slug = models.SlugField(_("slug"), validators=[LessonSlugValidator()])
    order = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Position of the piece in its climb."), db_default=0
    )

    objects = PieceQuerySet.as_manager()

    class Meta:
        ordering = ["climb", "order", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["climb", "slug"], name="piece_slug_unique_in_climb")
        ]
        indexes = [models.Index(fields=["climb", "order"])]
        verbose_name = _("piece")
        verbose_name_plural = _("pieces")

    def __str__(self) -> str:
        return f"{self.climb.slug}/{self.slug}"

    def save(self, *args, **kwargs) -> None:
        before = (
            Piece.objects.filter(pk=self.pk).values_list("climb_id", "slug").first()
            if self.pk
            else None
        )
        if before == (self.climb_id, self.slug):
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            super().save(*args, **kwargs)
            if before is not None:
                # Renamed (or moved): the old address, in bookmarks, links and search engines,
                # leads here from now on. The new one belongs to this piece, not an alias.
                PieceAlias.objects.update_or_create(
                    climb_id=before[0], slug=before[1], defaults={"piece": self}
                )
            PieceAlias.objects.filter(climb_id=self.climb_id, slug=self.slug).delete()

    def get_absolute_url(self) -> str:
        return reverse("lessons:piece", args=[self.climb.slug, self.slug])


class PieceAlias(models.Model):
    """A piece's earlier address: /climbs/<climb>/<slug>/ redirects to the piece (301)."""

    climb = models.ForeignKey(Climb, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField()
    piece = models.ForeignKey(Piece, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["climb", "slug"], name="piece_alias_unique_in_climb")
        ]
        default_permissions = ()  # kept by Piece.save(), never edited

    def __str__(self) -> str:
        return f"{self.slug} -> {self.piece_id}"

    @classmethod
    def resolve(cls, climb_slug: str, slug: str) -> Piece | None:
        """The piece that used to be at this address, if it has moved since and is published.

        Only a published one: the redirect would otherwise tell anyone with the old address
        the new slug of a piece taken back to drafts (which may name the rework), and a 301,
        kept by browsers, to a page that is a 404."""
        alias = (
            cls.objects.filter(
                climb__slug=climb_slug, slug=slug, piece__in=Piece.objects.published()
            )
            .select_related("piece__climb")
            .first()
        )
        return alias.piece if alias is not None else None
