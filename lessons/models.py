"""Authored content: climbs, their pieces, each piece's tier versions, steps and questions.

HTML is rendered when a row is saved (see RenderedFieldsMixin) and stored beside its source, so
serving a page never runs Markdown or Pygments.
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.deconstruct import deconstructible
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import rendering
from .lessonfile import (
    MINUTES,
    SLUG_RE,
    UNTRANSLATED,
    lines_of,
    parse_marked_lines,
    slug_example,
    structure_problem,
)


class Tier(models.IntegerChoices):
    ZERO = 0, _("Zero")
    JUNIOR = 1, _("Junior")
    MIDDLE = 2, _("Middle")
    SENIOR = 3, _("Senior")

    @property
    def slug(self) -> str:
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> Tier | None:
        return next((tier for tier in cls if tier.slug == slug), None)


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


CONTENT_LANGUAGES = ("ru",)  # translations stored beside the English original


class Localized:
    """A row's fields read in the active language, falling back to the original (English).

    `obj.local.title` is `obj.title_ru` on the Russian site when that is filled in, else
    `obj.title`; `obj.local.intro_html` likewise reads `intro_ru_html`.
    """

    __slots__ = ("_obj", "_language")

    def __init__(self, obj: models.Model, language: str) -> None:
        self._obj = obj
        self._language = language

    def __getattr__(self, name: str):
        if self._language in CONTENT_LANGUAGES:
            if name.endswith("_html"):
                translated_name = f"{name[:-5]}_{self._language}_html"
            else:
                translated_name = f"{name}_{self._language}"
            value = getattr(self._obj, translated_name, None)
            if value:
                return value
        return getattr(self._obj, name)


class TranslatedMixin:
    """`local` for templates; `translated` says whether the active language has a text."""

    translation_marker = "title"

    @property
    def local(self) -> Localized:
        return Localized(self, get_language() or "en")

    @property
    def translated(self) -> bool:
        language = get_language() or "en"
        if language not in CONTENT_LANGUAGES:
            return True
        return bool(getattr(self, f"{self.translation_marker}_{language}", ""))

    def clean_fields(self, exclude=None) -> None:
        """A Russian field may not start with the [untranslated] mark: in a lesson file the
        mark means "not translated yet", and the import keeps nothing after it, so a text
        typed there in the admin would be lost on the next export and import."""
        errors: dict = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            name = field.name
            value = getattr(self, name)
            if not name.endswith("_ru") or name in (exclude or ()) or not isinstance(value, str):
                continue
            if value.lstrip().startswith(UNTRANSLATED):
                message = _(
                    "Remove the %(mark)s mark: in a lesson file it means “not translated "
                    "yet”, and the text after it would be lost on the next import."
                )
                errors.setdefault(name, []).append(
                    ValidationError(message, params={"mark": UNTRANSLATED})
                )
        if errors:
            raise ValidationError(errors)


class RenderedFieldsMixin(models.Model):
    """Re-render `<field>_html` on save when `<field>` changed since it was loaded.

    `rendered_fields` maps a source field to (html field, renderer name in `rendering`).
    """

    rendered_fields: dict[str, tuple[str, str]] = {}

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        rewritten = self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | set(rewritten)
        super().save(*args, **kwargs)
        self._loaded_sources = {name: getattr(self, name) for name in self.rendered_sources()}

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_sources = {
            name: getattr(instance, name)
            for name in cls.rendered_sources()
            if name in instance.__dict__
        }
        return instance

    @classmethod
    def rendered_sources(cls) -> list[str]:
        return [name for name, (_html, _fn) in cls.rendered_fields.items()]

    def source_changed(self, name: str) -> bool:
        loaded = getattr(self, "_loaded_sources", {})
        return name not in loaded or loaded[name] != getattr(self, name)

    def render(self, force: bool = False) -> list[str]:
        """Render what changed; returns the html fields it rewrote."""
        rewritten = []
        for name, (html_field, renderer) in self.rendered_fields.items():
            source = getattr(self, name)
            if force or self.source_changed(name) or (source and not getattr(self, html_field)):
                setattr(self, html_field, getattr(rendering, renderer)(getattr(self, name)))
                rewritten.append(html_field)
        return rewritten


class ClimbQuerySet(models.QuerySet):
    def with_summary(self) -> ClimbQuerySet:
        """Annotate what the home page shows: pieces, minutes to climb every tier."""
        published = Q(pieces__versions__status=Status.PUBLISHED)
        return self.annotate(
            pieces_count=Count("pieces", filter=published, distinct=True),
            total_minutes=Sum("pieces__versions__minutes", filter=published),
        ).filter(pieces_count__gt=0)


@deconstructible
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
        """The piece that used to be at this address, if it has moved since."""
        alias = (
            cls.objects.filter(climb__slug=climb_slug, slug=slug)
            .select_related("piece__climb")
            .first()
        )
        return alias.piece if alias is not None else None


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
        return (
            self.select_related("piece__climb")
            .annotate(**tiers)
            .prefetch_related(
                Prefetch(
                    "steps",
                    queryset=Step.objects.select_related("question").prefetch_related(
                        Prefetch(
                            "question__choices", queryset=Choice.objects.order_by("position", "id")
                        )
                    ),
                ),
                "sources",
            )
        )

    def with_text(self) -> TierVersionQuerySet:
        """Every text of the versions' trees in every language, none of the rendered HTML:
        what the search index and the translation digests (lessons.translations) are made of,
        loaded once for both."""

        def fields(model, prefix: str = "") -> list[str]:
            suffixes = ("", *(f"_{language}" for language in CONTENT_LANGUAGES))
            return [f"{prefix}{name}{suffix}" for name in model.text_fields for suffix in suffixes]

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
    piece = models.ForeignKey(Piece, on_delete=models.CASCADE, related_name="versions")
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


class Step(TranslatedMixin, RenderedFieldsMixin, models.Model):
    version = models.ForeignKey(TierVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0, db_default=0)
    heading = models.CharField(_("heading"), max_length=200)
    prose = models.TextField(_("prose"), blank=True)
    prose_html = models.TextField(editable=False, blank=True)
    language = models.CharField(
        _("snippet language"),
        max_length=40,
        blank=True,
        help_text=_("A Pygments lexer name (go, python, sql, yaml, bash...) or 'log'."),
    )
    code = models.TextField(_("snippet"), blank=True)
    marked_lines = models.CharField(
        _("marked lines"), max_length=200, blank=True, help_text=_("For example 3,5-7.")
    )
    code_html = models.TextField(editable=False, blank=True)
    prose_after = models.TextField(
        _("prose after the snippet"),
        blank=True,
        help_text=_("Markdown shown under the snippet."),
        default="",
        db_default="",
    )
    prose_after_html = models.TextField(editable=False, blank=True, default="", db_default="")
    heading_ru = models.CharField(
        _("heading (Russian)"), max_length=200, blank=True, default="", db_default=""
    )
    prose_ru = models.TextField(_("prose (Russian)"), blank=True, default="", db_default="")
    prose_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")
    code_ru = models.TextField(
        _("snippet (Russian)"),
        blank=True,
        help_text=_("Only if the snippet itself is translated (comments, log text)."),
        default="",
        db_default="",
    )
    code_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")
    prose_after_ru = models.TextField(
        _("prose after the snippet (Russian)"), blank=True, default="", db_default=""
    )
    prose_after_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")

    translation_marker = "heading"
    text_fields = ("heading", "prose", "code", "prose_after")

    rendered_fields = {
        "prose": ("prose_html", "render_markdown"),
        "prose_after": ("prose_after_html", "render_markdown"),
        "prose_ru": ("prose_ru_html", "render_markdown"),
        "prose_after_ru": ("prose_after_ru_html", "render_markdown"),
    }

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [
            # Lesson files name a step by its heading (the importer matches on it).
            models.UniqueConstraint(fields=["version", "heading"], name="one_step_per_heading")
        ]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return self.heading

    @property
    def marked_display(self) -> str:
        """The marked lines as a reader writes them: "5-7,13" is "5–7, 13"."""
        parts = (part.strip() for part in self.marked_lines.split(","))
        return ", ".join(part.replace("-", "–") for part in parts if part)

    @property
    def marked_several(self) -> int:
        """1 for one marked line, 2 for more: what the caption's singular or plural turns on
        (not the number of lines: "marked lines 5–7" is three lines, one range)."""
        return 1 if self.marked_lines.strip().isdigit() else 2

    def clean(self) -> None:
        errors = {}
        if self.code.strip() and not self.language.strip():
            errors["language"] = _("A snippet needs a language.")
        if self.language.strip():
            try:
                rendering.check_language(self.language)
            except rendering.UnknownLanguage as exc:
                errors["language"] = str(exc)
        try:
            marked = parse_marked_lines(self.marked_lines)
        except ValueError as exc:
            errors["marked_lines"] = str(exc)
        else:
            if marked and max(marked) > len(lines_of(self.code)):
                errors["marked_lines"] = _("A marked line is past the end of the snippet.")
        lines = len(lines_of(self.code))
        if self.code_ru.strip() and len(lines_of(self.code_ru)) != lines:
            errors["code_ru"] = _(
                "A translated snippet keeps the original's %(lines)d lines, so that the marked "
                "lines still point at the same code."
            ) % {"lines": lines}
        # What the lesson file could not hold (see lessonfile.structure_problem).
        for name, before_snippet in (
            ("prose", True),
            ("prose_ru", True),
            ("prose_after", False),
            ("prose_after_ru", False),
        ):
            problem = structure_problem(
                getattr(self, name), step=True, before_snippet=before_snippet
            )
            if problem:
                errors[name] = problem
        if errors:
            raise ValidationError(errors)

    def render(self, force: bool = False) -> list[str]:
        rewritten = super().render(force)
        loaded = getattr(self, "_loaded_snippet", None)
        snippet = (self.code, self.code_ru, self.language, self.marked_lines)
        if force or loaded != snippet or (self.code and not self.code_html):
            for code_field, html_field in (("code", "code_html"), ("code_ru", "code_ru_html")):
                code = getattr(self, code_field)
                setattr(
                    self,
                    html_field,
                    rendering.highlight_snippet(code, self.language, self.marked_lines)
                    if code.strip()
                    else "",
                )
                rewritten.append(html_field)
        self._loaded_snippet = snippet
        return rewritten

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_snippet = (
            instance.__dict__.get("code"),
            instance.__dict__.get("code_ru"),
            instance.__dict__.get("language"),
            instance.__dict__.get("marked_lines"),
        )
        return instance


class QuestionQuerySet(models.QuerySet):
    def published(self) -> QuestionQuerySet:
        """Questions of published versions: a version taken back to a draft is reworked in
        place, and its new text is not out yet."""
        return self.filter(step__version__status=Status.PUBLISHED)


class Question(TranslatedMixin, RenderedFieldsMixin, models.Model):
    step = models.OneToOneField(Step, on_delete=models.CASCADE, related_name="question")
    prompt = models.TextField(_("prompt"))
    prompt_html = models.TextField(editable=False, blank=True)
    prompt_ru = models.TextField(_("prompt (Russian)"), blank=True, default="", db_default="")
    prompt_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")

    objects = QuestionQuerySet.as_manager()

    translation_marker = "prompt"
    text_fields = ("prompt",)

    rendered_fields = {
        "prompt": ("prompt_html", "render_markdown"),
        "prompt_ru": ("prompt_ru_html", "render_markdown"),
    }

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.prompt[:80]

    def asked_digest(self, secret: str | None = None) -> str:
        """A short hash of what a learner reads before answering, in the active language
        (the original where it has no text): the prompt, and the choices with which one is
        right. The quiz form carries it, so that an answer posted from a page read before
        an author changed the question is refused instead of being graded against text the
        learner never saw. Explanations are left out: they are read after answering, and a
        typo fixed in one must not refuse the answers of everyone who has the page open.

        Keyed with SECRET_KEY: a plain hash of text the page shows could be recomputed for
        each choice marked right, and the one that matched gave the answer away."""
        choices = [(c.local.text, c.is_correct) for c in self.choices.all()]
        asked = [self.local.prompt, choices]
        payload = json.dumps(asked, ensure_ascii=False)
        return salted_hmac("climb.Question.asked_digest", payload, secret=secret).hexdigest()[:16]

    def was_asked_as(self, digest: str) -> bool:
        """Whether a page carrying `digest` showed this question as it is now. Under the
        current key or one a rotation retired (SECRET_KEY_FALLBACKS): pages open while the
        key changed, or served by an instance not yet restarted, still take answers."""
        return any(
            constant_time_compare(digest, self.asked_digest(secret))
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        )


class Choice(TranslatedMixin, RenderedFieldsMixin, models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(_("position"), default=0, db_default=0)
    text = models.CharField(_("text"), max_length=500)
    text_html = models.TextField(editable=False, blank=True)
    is_correct = models.BooleanField(_("correct"), default=False, db_default=False)
    explanation = models.TextField(_("explanation"))
    explanation_html = models.TextField(editable=False, blank=True)
    text_ru = models.CharField(
        _("text (Russian)"), max_length=500, blank=True, default="", db_default=""
    )
    text_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")
    explanation_ru = models.TextField(
        _("explanation (Russian)"), blank=True, default="", db_default=""
    )
    explanation_ru_html = models.TextField(editable=False, blank=True, default="", db_default="")

    translation_marker = "text"
    text_fields = ("text", "explanation")

    rendered_fields = {
        "text": ("text_html", "render_inline_markdown"),
        "explanation": ("explanation_html", "render_markdown"),
        "text_ru": ("text_ru_html", "render_inline_markdown"),
        "explanation_ru": ("explanation_ru_html", "render_markdown"),
    }

    class Meta:
        ordering = ["question", "position", "id"]
        constraints = [
            # "Exactly one" needs all the choices at once (forms and the importer check it);
            # the database guarantees the half that a race could break: never two.
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(is_correct=True),
                name="at_most_one_correct_choice",
            ),
        ]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.text


# --- cache invalidation ----------------------------------------------------------------------


class ContentGeneration(models.Model):
    """One row holding a number that every content change bumps.

    It is part of every cache key derived from content, so an edit changes the keys and no
    page shows stale content. It lives in the database, not the cache, so that processes
    with their own local-memory cache (several gunicorn workers on SQLite) all see a bump;
    each process reads it at most every CONTENT_CHECK_SECONDS.
    """

    value = models.PositiveBigIntegerField(default=1, db_default=1)
    # rendering.RENDERER_VERSION when the stored HTML was last made whole (lessons.rerender).
    rendered_with = models.PositiveSmallIntegerField(default=1, db_default=1)

    class Meta:
        default_permissions = ()  # bookkeeping, not content: nobody edits it
        verbose_name = _("content generation")
        verbose_name_plural = _("content generation")

    def __str__(self) -> str:
        return str(self.value)


_generation: tuple[int, float] | None = None  # (value, monotonic time to check again)


def content_generation() -> int:
    """The current content generation, as this process last read it."""
    global _generation
    now = time.monotonic()
    if _generation is None or _generation[1] <= now:
        value = ContentGeneration.objects.filter(pk=1).values_list("value", flat=True).first()
        _generation = (value or 0, now + settings.CONTENT_CHECK_SECONDS)
    return _generation[0]


def forget_content_generation() -> None:
    global _generation
    _generation = None


def lock_content() -> None:
    """Take the content lock until the transaction ends: the ContentGeneration row, which
    every content write updates anyway. Every transaction that writes content takes it
    before any content row (an import, a re-index and the admin's conflict check at their
    start, any other save or delete just before it: `_lock_before_writing`), so on
    PostgreSQL they queue up in one order instead of one reading rows another is about to
    change, or two deadlocking (on SQLite the IMMEDIATE transaction serialises them)."""
    if ContentGeneration.objects.select_for_update().filter(pk=1).values_list("pk").first():
        return
    ContentGeneration.objects.get_or_create(pk=1)


def _lock_before_writing(sender, using: str, **kwargs) -> None:
    # Outside a transaction each statement commits on its own: there is no order to keep.
    if transaction.get_connection(using).in_atomic_block:
        lock_content()


def bump_content_generation(**kwargs) -> None:
    if not ContentGeneration.objects.filter(pk=1).update(value=F("value") + 1):
        ContentGeneration.objects.get_or_create(pk=1, defaults={"value": 2})
    # This process reads the new number at once, and again once the change is committed.
    forget_content_generation()
    transaction.on_commit(forget_content_generation)


for _model in (Climb, Piece, TierVersion, Source, Step, Question, Choice):
    pre_save.connect(_lock_before_writing, sender=_model, dispatch_uid=f"lock-{_model.__name__}")
    pre_delete.connect(
        _lock_before_writing, sender=_model, dispatch_uid=f"lock-del-{_model.__name__}"
    )
    post_save.connect(
        bump_content_generation, sender=_model, dispatch_uid=f"bump-{_model.__name__}"
    )
    post_delete.connect(
        bump_content_generation, sender=_model, dispatch_uid=f"unbump-{_model.__name__}"
    )
