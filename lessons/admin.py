"""The admin for authors.

A whole tier version is edited on one page: its steps (each with its question written in the
lesson-file syntax, so the admin and the files validate alike) and its sources. Questions and
their choices also have a page of their own with choice inlines. Drafts are previewed as a
learner would see them.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from climb.learning.models import question_count, uncleared_by_edit

from . import translations
from .exporter import question_data
from .importer import sync_question, translate_question, uncleared_warning
from .lessonfile import (
    LessonFileError,
    dump_question,
    lines_of,
    markdown_problem,
    markup_slips,
    misused_question_mark,
    parse_question_text,
    prompt_problem,
    strip_blank_lines,
)
from .models import (
    Choice,
    Climb,
    Piece,
    Question,
    Source,
    Status,
    Step,
    TierVersion,
    bump_content_generation,
    lock_content,
)


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
SNIPPET_FIELDS = {"code", "code_ru"}


class SnippetFieldsMixin:
    """The step's code is checked as code, not as Markdown."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in SNIPPET_FIELDS:
            kwargs["markdown"] = False
        return super().formfield_for_dbfield(db_field, request, **kwargs)


QUESTION_TEXT_FIELDS = {"question_text", "question_text_ru"}  # prompt and choices, Markdown
SEEN = "_seen"  # the change form's hidden field: what the page showed when it was opened


class EditConflictMixin:
    """Refuse to save a change page over what someone saved after it was opened.

    The page carries a digest of every stored row it shows (`conflict_scope`); a save
    compares it with the rows as they are, under the content lock, and refuses with the edits
    kept in the form. Without it, an author saving a page opened before another author's
    save (or an import, or an edit on a question's own page) silently wrote back the older
    text of every field and step, right answers included. Saving the refused form again
    replaces the other changes, knowingly.
    """

    def conflict_scope(self, obj) -> list[models.QuerySet]:
        return [type(obj).objects.filter(pk=obj.pk)]

    def seen(self, obj, *, lock: bool = False) -> str:
        if lock:  # held until the save commits: no other content write in between
            lock_content()
        digest = hashlib.sha256()
        for rows in self.conflict_scope(obj):
            for row in rows.order_by("pk").values_list():
                digest.update(repr(row).encode())
        return digest.hexdigest()[:32]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        model_admin = self

        class ConflictChecked(form_class):
            def clean(self):
                cleaned = super().clean()
                seen = self.data.get(SEEN)
                if self.instance.pk is not None and seen:
                    now = model_admin.seen(self.instance, lock=True)
                    if now != seen:
                        self.seen_now = now  # saving again takes what is stored now
                        raise forms.ValidationError(
                            _(
                                "Someone saved this page after you opened it (another "
                                "author, a question's own page or a lesson-file import). "
                                "Nothing of yours was saved, and your edits are still in "
                                "the form below. Open the page in another tab to see what "
                                "changed; saving this form again replaces those changes "
                                "with yours."
                            ),
                            code="edit_conflict",
                        )
                return cleaned

        return ConflictChecked

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            form = context["adminform"].form
            posted = request.POST.get(SEEN) if request.method == "POST" else None
            context["seen"] = getattr(form, "seen_now", None) or posted or self.seen(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


class MarkupSlipsMixin:
    """After a save, say where Markdown will show as typed (an unclosed `**` or backtick),
    as the importer says it of a file: a warning, with the field and its line; the text is
    saved as written."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        saved = [(None, form)] + [
            (inline, inline_form) for inline in formsets for inline_form in inline.forms
        ]
        for inline, edited in saved:
            data = getattr(edited, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            markdown = set(getattr(edited._meta.model, "rendered_fields", {}))
            for name in edited.changed_data:
                if name not in markdown | QUESTION_TEXT_FIELDS or not data.get(name):
                    continue
                # A question's text is cleaned into its parts: the text as typed, then.
                text = data[name] if isinstance(data[name], str) else edited[name].value()
                where = str(edited.fields[name].label)
                if inline is not None:
                    where = f"{edited.instance}: {where}"
                for line, why in markup_slips(lines_of(text)):
                    self.message_user(
                        request,
                        _("%(where)s, line %(line)d: %(why)s")
                        % {"where": where, "line": line, "why": why},
                        messages.WARNING,
                    )


@admin.register(Climb)
class ClimbAdmin(EditConflictMixin, MarkupSlipsMixin, admin.ModelAdmin):
    # The slug's rule (a-z, 0-9, single hyphens: what a lesson file holds) is the model's
    # (LessonSlugValidator), with the slug it suggests.
    formfield_overrides = LESSON_TEXT
    list_display = ["title", "slug", "order", "piece_count"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "slug", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(piece_count=Count("pieces"))

    @admin.display(description=_("pieces"), ordering="piece_count")
    def piece_count(self, climb: Climb) -> int:
        return climb.piece_count


class TierVersionLinkInline(admin.TabularInline):
    model = TierVersion
    fields = ["tier", "title", "status", "minutes"]
    readonly_fields = ["title", "status", "minutes"]
    show_change_link = True
    extra = 0
    can_delete = False
    max_num = 0  # versions are added on their own page, with their steps

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Piece)
class PieceAdmin(EditConflictMixin, admin.ModelAdmin):
    list_display = ["slug", "climb", "order", "tiers"]
    list_editable = ["order"]
    list_filter = ["climb"]
    list_select_related = ["climb"]
    search_fields = ["slug", "versions__title"]
    ordering = ["climb__order", "climb", "order", "slug"]
    inlines = [TierVersionLinkInline]

    def conflict_scope(self, piece: Piece) -> list[models.QuerySet]:
        return [Piece.objects.filter(pk=piece.pk), TierVersion.objects.filter(piece=piece)]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("versions")

    @admin.display(description=_("tiers"))
    def tiers(self, piece: Piece) -> str:
        return ", ".join(v.get_tier_display() for v in piece.versions.all())


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
        label=label,
        required=False,
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
        text = text.strip()
        if not text:
            return None
        try:
            return parse_question_text(text, path=label)
        except LessonFileError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_question_text(self):
        return self._parse_question(self.cleaned_data["question_text"], str(_("question")))

    def clean_question_text_ru(self):
        label = str(_("question (Russian)"))
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


class StepInline(SnippetFieldsMixin, admin.StackedInline):
    model = Step
    form = StepForm
    formset = StepFormSet
    fieldsets = [
        (
            None,
            {"fields": [*STEP_FIELDS, "question_text"]},
        ),
        (RUSSIAN, {"fields": [*STEP_RUSSIAN, "question_text_ru"], "classes": ["collapse"]}),
    ]
    formfield_overrides = LESSON_TEXT
    extra = 0
    ordering = ["position", "id"]
    show_change_link = True


URL_FIELD = {models.URLField: {"assume_scheme": "https"}}


class SourceInline(admin.TabularInline):
    model = Source
    formfield_overrides = URL_FIELD
    fields = ["position", "title", "url", "note", "note_ru"]
    extra = 0
    ordering = ["position", "id"]


class TranslationFilter(admin.SimpleListFilter):
    title = _("Russian translation")
    parameter_name = "russian"

    def lookups(self, request, model_admin):
        return [
            ("behind", _("behind the English")),
            ("current", _("up to date")),
            ("none", _("not translated")),
        ]

    def queryset(self, request, queryset):
        behind = queryset.translation_behind()
        if self.value() == "behind":
            return behind
        if self.value() == "current":
            return queryset.exclude(title_ru="").exclude(pk__in=behind.values("pk"))
        if self.value() == "none":
            return queryset.filter(title_ru="")
        return queryset


@admin.register(TierVersion)
class TierVersionAdmin(EditConflictMixin, MarkupSlipsMixin, admin.ModelAdmin):
    formfield_overrides = LESSON_TEXT
    list_display = ["title", "piece", "tier", "status", "minutes", "russian", "updated_at"]
    list_filter = ["status", "tier", "piece__climb", TranslationFilter]
    list_select_related = ["piece__climb"]
    search_fields = ["title", "crux", "piece__slug"]
    ordering = ["piece__climb__order", "piece__order", "tier"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "piece",
                    "tier",
                    "status",
                    "title",
                    "crux",
                    "minutes",
                    "intro",
                    "goal",
                    "recap",
                ]
            },
        ),
        (RUSSIAN, {"fields": ["russian_changes", *VERSION_RUSSIAN], "classes": ["collapse"]}),
    ]
    inlines = [StepInline, SourceInline]
    actions = ["publish", "unpublish", "translation_checked"]
    readonly_fields = ["russian_changes"]
    save_on_top = True

    @admin.display(description=_("Russian"))
    def russian(self, version: TierVersion) -> str:
        if not version.title_ru:
            return str(_("not translated"))
        if version.translation_behind:
            return str(_("behind the English"))
        return str(_("up to date"))

    @admin.display(description=_("Russian"))
    def russian_changes(self, version: TierVersion) -> str:
        """On the version's page: behind, and what changed in the English since."""
        if not (version.title_ru and version.translation_behind):
            return self.russian(version)
        changed = translations.changed_parts(TierVersion.objects.with_text().get(pk=version.pk))
        if changed is None:
            return str(_("behind the English (which parts changed was not recorded then)"))
        return str(_("behind the English, which changed in: %(parts)s")) % {
            "parts": "; ".join(changed)
        }

    @admin.action(
        description=_("Mark the Russian of the selected versions as checked"),
        permissions=["change"],
    )
    def translation_checked(self, request, queryset):
        """The English changed in a way the Russian needs no change for (a typo, say)."""
        count = translations.mark_checked(queryset)
        self.message_user(
            request,
            ngettext(
                "%d translation marked as up to date.",
                "%d translations marked as up to date.",
                count,
            )
            % count,
            messages.SUCCESS,
        )

    def conflict_scope(self, version: TierVersion) -> list[models.QuerySet]:
        return [
            TierVersion.objects.filter(pk=version.pk),
            Step.objects.filter(version=version),
            Question.objects.filter(step__version=version),
            Choice.objects.filter(question__step__version=version),
            Source.objects.filter(version=version),
        ]

    def view_on_site(self, version: TierVersion) -> str:
        # The preview shows drafts too, as a learner would see them once published.
        return reverse("lessons:preview", args=[version.pk])

    def save_related(self, request, form, formsets, change):
        # Counted before the steps (the inlines) are saved, to say whom an edit un-cleared.
        before = question_count(form.instance.pk) if change else None
        super().save_related(request, form, formsets, change)
        if before is None:
            return
        lost, cleared = uncleared_by_edit(form.instance.pk, before)
        if lost:
            where = str(form.instance)
            self.message_user(request, uncleared_warning(where, lost, cleared), messages.WARNING)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not Step:
            return
        for step_form in formset.forms:
            if not hasattr(step_form, "cleaned_data") or step_form.cleaned_data.get("DELETE"):
                continue
            if step_form.instance.pk is None:
                continue
            sync_question(step_form.instance, step_form.cleaned_data.get("question_text"))
            translate_question(step_form.instance, step_form.cleaned_data.get("question_text_ru"))

    @admin.action(description=_("Publish the selected tier versions"), permissions=["change"])
    def publish(self, request, queryset):
        lock_content()  # before any content row, as every content write takes it
        count = queryset.update(status=Status.PUBLISHED)
        bump_content_generation()  # update() sends no signals
        self.message_user(
            request,
            ngettext("%d version published.", "%d versions published.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Turn the selected tier versions back into drafts"), permissions=["change"]
    )
    def unpublish(self, request, queryset):
        lock_content()
        count = queryset.update(status=Status.DRAFT)
        bump_content_generation()
        self.message_user(
            request,
            ngettext("%d version is a draft again.", "%d versions are drafts again.", count)
            % count,
            messages.SUCCESS,
        )


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


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    fields = ["position", "text", "is_correct", "explanation", "text_ru", "explanation_ru"]
    extra = 0
    min_num = 2
    max_num = 5
    ordering = ["position", "id"]
    formfield_overrides = {
        # Overrides are looked up by field class; the explanation is Choice's one TextField.
        # Every choice is explained: why it is right, or why it is tempting and wrong.
        models.TextField: {
            "form_class": LessonTextField,
            "widget": AdminTextareaWidget(attrs={"rows": 3}),
        },
    }


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


@admin.register(Question)
class QuestionAdmin(EditConflictMixin, MarkupSlipsMixin, admin.ModelAdmin):
    form = QuestionForm
    formfield_overrides = LESSON_TEXT
    list_display = ["short_prompt", "step", "version"]
    list_filter = ["step__version__piece__climb", "step__version__tier", "step__version__status"]
    list_select_related = ["step__version__piece"]
    search_fields = ["prompt", "choices__text", "step__heading", "step__version__title"]
    raw_id_fields = ["step"]
    inlines = [ChoiceInline]

    @admin.display(description=_("prompt"))
    def short_prompt(self, question: Question) -> str:
        return question.prompt[:80]

    @admin.display(description=_("tier version"), ordering="step__version__title")
    def version(self, question: Question) -> TierVersion:
        return question.step.version

    def conflict_scope(self, question: Question) -> list[models.QuerySet]:
        return [Question.objects.filter(pk=question.pk), Choice.objects.filter(question=question)]

    def view_on_site(self, question: Question) -> str:
        return reverse("lessons:preview", args=[question.step.version_id])


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    formfield_overrides = LESSON_TEXT
    fields = ["prompt", "prompt_ru"]
    extra = 0
    max_num = 1
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        # A question is added with its choices (the version's page, or the question's own
        # page). Added here it would have none: an empty quiz that keeps the recap locked.
        return False


@admin.register(Step)
class StepAdmin(EditConflictMixin, MarkupSlipsMixin, SnippetFieldsMixin, admin.ModelAdmin):
    formfield_overrides = LESSON_TEXT
    list_display = ["heading", "version", "position", "language"]
    list_filter = ["version__piece__climb", "version__tier", "language"]
    list_select_related = ["version__piece"]
    search_fields = ["heading", "prose", "code", "version__title"]
    raw_id_fields = ["version"]
    fieldsets = [
        (
            None,
            {"fields": ["version", *STEP_FIELDS]},
        ),
        (RUSSIAN, {"fields": STEP_RUSSIAN, "classes": ["collapse"]}),
    ]
    inlines = [QuestionInline]

    def conflict_scope(self, step: Step) -> list[models.QuerySet]:
        return [Step.objects.filter(pk=step.pk), Question.objects.filter(step=step)]

    def view_on_site(self, step: Step) -> str:
        return reverse("lessons:preview", args=[step.version_id])


@admin.register(Choice)
class ChoiceAdmin(EditConflictMixin, MarkupSlipsMixin, admin.ModelAdmin):
    """One choice's wording. Which choice is right, and adding or removing one, changes the
    question's rules (2-5 choices, exactly one right): that is done on the question's page,
    where its choices are checked together. Deleting is left on, though this page offers
    none: deleting a question, step, version, piece or climb asks it of every choice it
    would take along (refusing it here refused all of those, even to a superuser)."""

    formfield_overrides = LESSON_TEXT
    fields = ["question", "position", "text", "is_correct", "explanation"]
    readonly_fields = ["question", "is_correct"]
    list_display = ["text", "question", "position", "is_correct"]
    list_filter = ["is_correct", "question__step__version__piece__climb"]
    list_select_related = ["question"]
    search_fields = ["text", "explanation", "question__prompt"]

    def has_add_permission(self, request) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        choice = self.get_object(request, object_id)
        if choice is None:
            return super().delete_view(request, object_id, extra_context)
        self.message_user(
            request,
            _("A choice is removed on its question's page, with its other choices in view."),
            messages.WARNING,
        )
        return redirect("admin:lessons_question_change", choice.question_id)


@admin.register(Source)
class SourceAdmin(EditConflictMixin, admin.ModelAdmin):
    formfield_overrides = URL_FIELD
    list_display = ["title", "version", "url"]
    list_select_related = ["version"]
    search_fields = ["title", "url", "note"]
    raw_id_fields = ["version"]
