"""Tier and Status, and what every content model shares: text read in the active language,
and HTML rendered on save."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .. import rendering
from ..lessonfile import UNTRANSLATED


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
        """Each text field's `text_problems`, beside Django's own errors. Only the fields the
        form has (not in `exclude`): an error against a field a page lacks is a ValueError,
        a 500 (a choice's own page has no Russian explanation)."""
        errors: dict = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            name = field.name
            value = getattr(self, name)
            if name in (exclude or ()) or not isinstance(value, str):
                continue
            for problem in self.text_problems(name, value):
                errors.setdefault(name, []).append(problem)
        if errors:
            raise ValidationError(errors)

    def text_problems(self, name: str, value: str) -> list[ValidationError]:
        """What a lesson file could not hold of this field's text. A Russian field may not
        start with the [untranslated] mark: in a lesson file the mark means "not translated
        yet", and the import keeps nothing after it, so a text typed there in the admin would
        be lost on the next export and import."""
        if name.endswith("_ru") and value.lstrip().startswith(UNTRANSLATED):
            message = _(
                "Remove the %(mark)s mark: in a lesson file it means “not translated "
                "yet”, and the text after it would be lost on the next import."
            )
            return [ValidationError(message, params={"mark": UNTRANSLATED})]
        return []


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
