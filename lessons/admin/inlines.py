"""The inlines: a piece's versions, a version's steps and sources, a question's choices and
a step's question."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils.text import capfirst

from ..models import Choice, Question, Source, Step, TierVersion
from .forms import (
    LESSON_TEXT,
    RUSSIAN,
    STEP_FIELDS,
    STEP_RUSSIAN,
    URL_FIELD,
    ChoiceFormSet,
    LessonTextField,
    QuestionForm,
    StepForm,
    StepFormSet,
)
from .mixins import SnippetFieldsMixin


class LabelledCellsMixin:
    """A tabular inline's inputs sit under column headings and have no <label>: a screen
    reader announced each one as a bare "edit text" (the author audit). Each is named after
    its column, as its heading reads."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:  # the widget is the field's own copy: this row type only
            formfield.widget.attrs.setdefault("aria-label", capfirst(db_field.verbose_name))
        return formfield

    def get_formset(self, request, obj=None, **kwargs):
        # The formset adds the "delete" checkbox itself, under the "Delete?" column, with a
        # label no one sees: it names it, in Django's own words (translated by Django).
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledDeletion(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                deletion = form.fields.get(DELETION_FIELD_NAME)
                if deletion is not None:
                    deletion.widget.attrs.setdefault("aria-label", deletion.label)

        return LabelledDeletion


class TierVersionLinkInline(LabelledCellsMixin, admin.TabularInline):
    model = TierVersion
    fields = ["tier", "title", "status", "minutes"]
    readonly_fields = ["title", "status", "minutes"]
    show_change_link = True
    extra = 0
    can_delete = False
    max_num = 0  # versions are added on their own page, with their steps

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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


class SourceInline(LabelledCellsMixin, admin.TabularInline):
    model = Source
    formfield_overrides = URL_FIELD
    fields = ["position", "title", "url", "note", "note_ru"]
    extra = 0
    ordering = ["position", "id"]


class ChoiceInline(LabelledCellsMixin, admin.TabularInline):
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
