"""Each piece's tier versions, and the sources a version cites."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..lessonfile import MINUTES, structure_problem
from .base import CONTENT_LANGUAGES, RenderedFieldsMixin, Status, Tier, TranslatedMixin
from .steps import Choice, Question, Step


class TierVersionQuerySet(models.QuerySet):
    def published(self) -> TierVersionQuerySet:
        return self.filter(status=Status.PUBLISHED)

    def for_reading(self) -> TierVersionQuerySet:
        """Everything a piece page shows, in a fixed number of queries.

        The tiers the piece is published at come as four EXISTS columns on the same row
        (`has_zero`...), which saves the tier bar a query of its own.
        """
        siblings = TierVersion.objects.published().filter(piece=OuterRef("piece"))
        tiers = {f"has_{tier.slug}": Exists(siblings.filter(tier=tier)) for tier in Tier}
        return self.annotate(**tiers).with_tree()

    def with_tree(self) -> TierVersionQuerySet:
        """The versions with their piece and climb, and their steps, questions, choices (in
        order) and sources: what a page or a lesson file holds, in four queries however many."""
        choices = Choice.objects.order_by("position", "id")
        steps = Step.objects.select_related("question").prefetch_related(
            Prefetch("question__choices", queryset=choices)
        )
        return self.select_related("piece__climb").prefetch_related(
            Prefetch("steps", queryset=steps), "sources"
        )

    def with_text(self) -> TierVersionQuerySet:
        """Every text of the versions' trees in every language, and the HTML stored for the
        ones a reader sees rendered: what the search index (the HTML, lessons.search_body) and
        the translation digests (the Markdown, lessons.translations) are made of, loaded once
        for both. A choice's explanation HTML is left out: the index never holds it."""

        def fields(model, prefix: str = "") -> list[str]:
            suffixes = ("", *(f"_{language}" for language in CONTENT_LANGUAGES))
            names = [f"{name}{suffix}" for name in model.text_fields for suffix in suffixes]
            names += [
                html
                for source, (html, _renderer) in getattr(model, "rendered_fields", {}).items()
                if not source.startswith("explanation")
            ]
            return [f"{prefix}{name}" for name in names]

        choices = Choice.objects.only("question_id", "position", "is_correct", *fields(Choice))
        steps = (
            Step.objects.select_related("question")
            .only("version_id", "position", *fields(Step), *fields(Question, "question__"))
            .prefetch_related(
                Prefetch("question__choices", queryset=choices.order_by("position", "id"))
            )
            .order_by("position", "id")
        )
        sources = Source.objects.only("version_id", "position", *fields(Source))
        return (
            self.only(
                *fields(TierVersion),
                "digest",
                "digest_ru",
                "digest_ru_from",
                "digest_ru_from_parts",
            )
            .prefetch_related(
                Prefetch("steps", queryset=steps),
                Prefetch("sources", queryset=sources.order_by("position", "id")),
            )
            .order_by("pk")  # not the default ordering, which joins the piece and the climb
        )

    def translation_behind(self) -> TierVersionQuerySet:
        """Versions whose Russian is behind their English (`translation_behind`, in SQL)."""
        return (
            self.exclude(title_ru="").exclude(digest_ru_from="").exclude(digest_ru_from=F("digest"))
        )


DIGEST_FIELDS = {"digest", "digest_ru", "digest_ru_from", "digest_ru_from_parts"}


class TierVersion(TranslatedMixin, RenderedFieldsMixin, models.Model):
    # Named, not imported: the climbs module imports this one (a published piece is one with a
    # published version).
    piece = models.ForeignKey("Piece", on_delete=models.CASCADE, related_name="versions")
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PUBLISHED,
        db_default=Status.PUBLISHED,
    )
    title = models.CharField(_("title"), max_length=200)
    crux = models.CharField(_("crux"), max_length=300, help_text=_("The trap, in one sentence."))
    minutes = models.PositiveSmallIntegerField(
        _("minutes"),
        default=10,
        validators=[MinValueValidator(MINUTES[0]), MaxValueValidator(MINUTES[1])],
        db_default=10,
    )
    intro = models.TextField(_("intro"))
    intro_html = models.TextField(editable=False, blank=True)
    goal = models.TextField(_("goal"))
    goal_html = models.TextField(editable=False, blank=True)
    recap = models.TextField(_("recap"))
    recap_html = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The Russian translation; empty means "not translated": the site shows the English text.
    title_ru = models.CharField(
        _("title (Russian)"), max_length=200, blank=True, default="", db_default=""
    )
    crux_ru = models.CharField(
        _("crux (Russian)"), max_length=300, blank=True, default="", db_default=""
    )
    intro_ru = models.TextField(_("intro (Russian)"), blank=True, default="", db_default="")
    intro_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")
    goal_ru = models.TextField(_("goal (Russian)"), blank=True, default="", db_default="")
    goal_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")
    recap_ru = models.TextField(_("recap (Russian)"), blank=True, default="", db_default="")
    recap_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")
    # Whether the Russian has kept up with the English (lessons.translations): digests of
    # both texts as they are, and of the English the Russian last changed against.
    digest = models.CharField(max_length=32, blank=True, editable=False, default="", db_default="")
    digest_ru = models.CharField(
        max_length=32, blank=True, editable=False, default="", db_default=""
    )
    digest_ru_from = models.CharField(
        max_length=32, blank=True, editable=False, default="", db_default=""
    )
    # The same English part by part ({"step:12:prose": short digest}), to say which parts
    # changed since the Russian last did; {} when not known (lessons.translations.parts).
    digest_ru_from_parts = models.JSONField(default=dict, blank=True, editable=False, db_default={})

    # Translated text, each with a `<name>_ru` twin (`with_text`, lessons.translations).
    text_fields = ("title", "crux", "intro", "goal", "recap")

    rendered_fields = {
        "intro": ("intro_html", "render_markdown"),
        "goal": ("goal_html", "render_markdown"),
        "recap": ("recap_html", "render_markdown"),
        "intro_ru": ("intro_ru_html", "render_markdown"),
        "goal_ru": ("goal_ru_html", "render_markdown"),
        "recap_ru": ("recap_ru_html", "render_markdown"),
    }

    objects = TierVersionQuerySet.as_manager()

    class Meta:
        ordering = ["piece", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["piece", "tier"], name="one_version_per_tier"),
            models.CheckConstraint(condition=Q(tier__lte=Tier.SENIOR), name="tier_is_known"),
            models.CheckConstraint(
                condition=Q(minutes__gte=MINUTES[0]) & Q(minutes__lte=MINUTES[1]),
                name="minutes_in_range",
                violation_error_message=_("Minutes must be from 1 to 240."),
            ),
        ]
        verbose_name = _("tier version")
        verbose_name_plural = _("tier versions")

    def __str__(self) -> str:
        return f"{self.title} ({self.get_tier_display()})"

    def save(self, *args, **kwargs) -> None:
        # The digests are lessons.translations' to write (after the commit, from the rows as
        # they are then): a save of an object loaded before that would write its old ones
        # back, and lose, say, a translation just marked as checked.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in DIGEST_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "lessons:piece_tier", args=[self.piece.climb.slug, self.piece.slug, self.tier_slug]
        )

    def clean(self) -> None:
        errors = {}
        for name in ("intro", "goal", "recap", "intro_ru", "goal_ru", "recap_ru"):
            problem = structure_problem(getattr(self, name))
            if problem:
                errors[name] = problem
        translated = [f"{name}_ru" for name in ("crux", "intro", "goal", "recap")]
        if not self.title_ru.strip() and any(getattr(self, n).strip() for n in translated):
            # The translation file is written only for a version with a translated title.
            errors["title_ru"] = _("A translation needs its title too.")
        if errors:
            raise ValidationError(errors)

    @property
    def tier_slug(self) -> str:
        return Tier(self.tier).slug

    @property
    def translation_behind(self) -> bool:
        """The Russian exists, and the English changed since the Russian last did (in SQL:
        `TierVersion.objects.translation_behind()`)."""
        return bool(self.title_ru and self.digest_ru_from and self.digest_ru_from != self.digest)


class Source(TranslatedMixin, models.Model):
    version = models.ForeignKey(TierVersion, on_delete=models.CASCADE, related_name="sources")
    position = models.PositiveSmallIntegerField(_("position"), default=0, db_default=0)
    # The work's own title and address, in its own language: only the note is translated.
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("URL"), max_length=500)
    note = models.CharField(_("note"), max_length=300, blank=True)
    note_ru = models.CharField(
        _("note (Russian)"), max_length=300, blank=True, default="", db_default=""
    )

    text_fields = ("note",)
    translation_marker = "note"

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [
            # Sources are rendered as links: only web addresses, never javascript: or data:.
            models.CheckConstraint(
                condition=Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="source_url_is_http",
            )
        ]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.title
