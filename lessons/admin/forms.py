"""The forms the content pages are edited with: lesson text as the files hold it, a step's
question in the lesson-file syntax, and the rules a version's steps and a question's choices
are checked by."""

from __future__ import annotations

from django import forms
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..exporter import question_data
from ..lessonfile import (
    LessonFileError,
    dump_question,
    markdown_problem,
    misused_question_mark,
    parse_question_text,
    prompt_problem,
    strip_blank_lines,
)
from ..models import Choice, Step


class LessonTextField(forms.CharField):
    """Multi-line text as the lesson files hold it.

    Browsers submit a textarea's lines ending in CRLF; the files, the importer and the exporter
    use LF. Stored as sent, every multi-line field of an imported version would "change" on its
    first save in the admin (and be rendered again), and the next import would rewrite it back.
    For the same reason only blank lines are trimmed from the ends, as the parser trims a
    section: Django's usual strip() would take the indentation off a snippet's first line (a
    Go function's body, a YAML key) on any save of the page, even one that changed only the
    minutes.
    """

    def __init__(self, *, markdown: bool = True, **kwargs):
        kwargs["strip"] = False
        self.markdown = markdown  # a snippet's code is not Markdown: any '[' or '<' will do
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        return strip_blank_lines(value.replace("\r\n", "\n").replace("\r", "\n"))

    def validate(self, value):
        super().validate(value)
        too_many = markdown_problem(value or "") if self.markdown else None
        if too_many:
            raise forms.ValidationError(too_many[1])


LESSON_TEXT = {models.TextField: {"form_class": LessonTextField}}


STEP_FIELDS = ["position", "heading", "prose", "language", "code", "marked_lines", "prose_after"]
# The Russian columns the lesson file's .ru.md sibling holds (README: "Russian").
VERSION_RUSSIAN = ["title_ru", "crux_ru", "intro_ru", "goal_ru", "recap_ru"]
STEP_RUSSIAN = ["heading_ru", "prose_ru", "code_ru", "prose_after_ru"]
RUSSIAN = _("Russian translation")


class QuestionTextField(forms.CharField):
    """A step's question as text in the lesson-file syntax. Changed only if the text is: a
    browser's CRLF and the blank lines around it are not an edit (every save of the page
    listed the question as changed, and warned of its markup again)."""

    def has_changed(self, initial, data) -> bool:
        def text(value) -> str:
            return (value or "").replace("\r\n", "\n").strip()

        return text(initial) != text(data)


def _question_field(label, help_text) -> forms.CharField:
    """A step's question as text in the lesson-file syntax."""
    return QuestionTextField(
        # Django capitalises a model field's label, not a form field's: "question:" stood
        # lower-case among "Heading:" and "Prose:", and so did the warnings naming it.
        label=capfirst(label),
        required=False,
        strip=False,  # _parse_question strips it, counting the blank lines at the top
        widget=forms.Textarea(attrs={"rows": 12, "cols": 90}),
        help_text=help_text,
    )


class StepForm(forms.ModelForm):
    """A step, with its question as text in the lesson-file syntax (see the README)."""

    question_text = _question_field(
        _("question"),
        _(
            "The prompt, a blank line, then 2 to 5 choices: '- [x] right choice' or "
            "'- [ ] wrong choice', each followed by its explanation indented by two spaces. "
            "Leave empty for a step without a question."
        ),
    )
    question_text_ru = _question_field(
        _("question (Russian)"),
        _(
            "The same question in Russian, with the same choices in the same order and the "
            "same one marked right."
        ),
    )

    class Meta:
        model = Step
        fields = [*STEP_FIELDS, *STEP_RUSSIAN]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        question = getattr(self.instance, "question", None) if self.instance.pk else None
        if question is not None:
            self.fields["question_text"].initial = dump_question(question_data(question))
            if question.prompt_ru.strip():
                translated = question_data(question, "ru")
                self.fields["question_text_ru"].initial = dump_question(translated)

    @staticmethod
    def _parse_question(text: str, label: str):
        # Lines are counted as the box shows them: blank lines trimmed from the top count.
        skipped = text[: len(text) - len(text.lstrip())].count("\n")
        text = text.strip()
        if not text:
            return None
        try:
            return parse_question_text(text, path=label)
        except LessonFileError as exc:
            if exc.line is None:
                raise forms.ValidationError(exc.message) from None
            # With five choices, "every choice needs an explanation" alone left the author
            # to find which one; a file's error names its line, and so does this one.
            located = _("%(where)s, line %(line)d: %(why)s") % {
                "where": label,
                "line": exc.line + skipped,
                "why": exc.message,
            }
            raise forms.ValidationError(located) from None

    def clean_question_text(self):
        label = str(self.fields["question_text"].label)
        return self._parse_question(self.cleaned_data["question_text"], label)

    def clean_question_text_ru(self):
        label = str(self.fields["question_text_ru"].label)
        return self._parse_question(self.cleaned_data["question_text_ru"], label)

    def clean(self):
        cleaned = super().clean()
        original, translated = cleaned.get("question_text"), cleaned.get("question_text_ru")
        # An English question with errors of its own has them said beside it: the Russian
        # cannot be compared with it, and is not wrong for that.
        if (
            translated is not None
            and "question_text" not in self.errors
            and (
                original is None
                or [c.is_correct for c in original.choices]
                != [c.is_correct for c in translated.choices]
            )
        ):
            self.add_error(
                "question_text_ru",
                _(
                    "The translation needs the question's choices, as many and in the same "
                    "order, with the same one right."
                ),
            )
        question = getattr(self.instance, "question", None) if self.instance.pk else None
        if translated is not None and "question_text_ru" not in self.errors:
            # The English as typed, and as stored (which the box's marked parts show).
            english = [original] if original is not None else []
            if question is not None:
                english.append(question_data(question))
            marked = misused_question_mark(translated, english)
            if marked:
                self.add_error(
                    "question_text_ru",
                    forms.ValidationError(
                        _(
                            "“%(text)s” starts with [untranslated] but is not the English: "
                            "remove the mark from a translated text (a marked text is kept as "
                            "not translated, and thrown away). A part with no translation yet "
                            "is the mark alone, or the mark and the English."
                        ),
                        params={"text": marked[:80]},
                    ),
                )
        if (
            "question_text" in cleaned
            and cleaned["question_text"] is None
            and question is not None
            and question.answers.exists()
        ):
            self.add_error(
                "question_text",
                _("Learners have answered this question: it can be edited but not removed."),
            )
        return cleaned


class StepFormSet(BaseInlineFormSet):
    """A translated version (it has a Russian title) is exported with a .ru.md file that
    must have every step and question of the original: each step needs its translation."""

    def clean(self):
        super().clean()
        if not self.instance.title_ru.strip():
            return
        for form in self.forms:
            cleaned = getattr(form, "cleaned_data", None)
            if not cleaned or cleaned.get("DELETE"):
                continue
            if not cleaned.get("heading_ru", "").strip():
                form.add_error(
                    "heading_ru", _("This version is translated: give the step a Russian heading.")
                )
            if cleaned.get("question_text") and not cleaned.get("question_text_ru"):
                form.add_error(
                    "question_text_ru",
                    _("This version is translated: give the question its Russian text."),
                )


URL_FIELD = {models.URLField: {"assume_scheme": "https"}}


class ChoiceFormSet(BaseInlineFormSet):
    """The importer's rules for a question: 2 to 5 choices, exactly one correct."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not 2 <= len(kept) <= 5:
            raise forms.ValidationError(
                _("A question needs 2 to 5 choices; this one has %(count)d."),
                params={"count": len(kept)},
            )
        correct = sum(1 for data in kept if data.get("is_correct"))
        if correct != 1:
            raise forms.ValidationError(
                _("Exactly one choice must be correct; %(count)d are marked correct."),
                params={"count": correct},
            )
        texts = [data.get("text", "") for data in kept]
        twice = next((text for text in texts if texts.count(text) > 1), None)
        if twice is not None:
            # A lesson file tells its choices apart by their text, and so does the importer.
            raise forms.ValidationError(
                _("Two choices read “%(text)s”: give each its own text."),
                params={"text": twice},
            )

    def save(self, commit=True):
        # The database allows one correct choice at a time: unmark the stored one, save, then
        # mark the chosen one (its form may be unchanged, and so not saved by the formset).
        # The content lock is held already: the question was saved first (pre_save).
        self.instance.choices.filter(is_correct=True).update(is_correct=False)
        saved = super().save(commit)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("is_correct") and not data.get("DELETE") and form.instance.pk:
                Choice.objects.filter(pk=form.instance.pk).update(is_correct=True)
        return saved


class QuestionForm(forms.ModelForm):
    """A prompt holds no line the lesson file would read as a choice or a heading."""

    def _prompt(self, name: str) -> str:
        text = self.cleaned_data[name]
        problem = prompt_problem(text)
        if problem:
            raise forms.ValidationError(problem)
        return text

    def clean_prompt(self):
        return self._prompt("prompt")

    def clean_prompt_ru(self):
        return self._prompt("prompt_ru")
