"""The content models' admin pages, registered on the site."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from climb.learning.models import question_count, uncleared_by_edit

from .. import translations
from ..importer import sync_question, translate_question, uncleared_warning
from ..models import (
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
from .forms import (
    LESSON_TEXT,
    RUSSIAN,
    STEP_FIELDS,
    STEP_RUSSIAN,
    URL_FIELD,
    VERSION_RUSSIAN,
    QuestionForm,
)
from .inlines import ChoiceInline, QuestionInline, SourceInline, StepInline, TierVersionLinkInline
from .mixins import EditConflictMixin, MarkupSlipsMixin, SnippetFieldsMixin


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
