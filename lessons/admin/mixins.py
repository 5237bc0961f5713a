"""What the content pages share: the edit-conflict check, the markup warnings after a save,
and a snippet checked as code."""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..lessonfile import lines_of, markup_slips
from ..models import lock_content

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
