"""A tier version's steps, each with its question and the question's choices."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from .. import rendering
from ..lessonfile import explanation_problem, lines_of, parse_marked_lines, structure_problem
from .base import RenderedFieldsMixin, Status, TranslatedMixin


class Step(TranslatedMixin, RenderedFieldsMixin, models.Model):
    # Named, not imported: the versions module imports this one (its queries load the steps).
    version = models.ForeignKey("TierVersion", on_delete=models.CASCADE, related_name="steps")
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

    def text_problems(self, name: str, value: str) -> list[ValidationError]:
        problems = super().text_problems(name, value)
        if name in ("explanation", "explanation_ru"):
            # A line the file would read back as a choice (lessonfile.explanation_problem).
            problem = explanation_problem(value)
            if problem:
                problems.append(ValidationError(problem))
        return problems
