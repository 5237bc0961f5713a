from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lessons.models import Question
from lessons.reading import question_for_answering


class AnswerForm(forms.Form):
    """One answer to one question. Anything the page cannot produce is a clear error."""

    question = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": _("The answer did not say which question it is for."),
            "invalid": _("The question number is not a number."),
            "min_value": _("There is no such question."),
        },
    )
    choice = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": _("Pick one of the choices first."),
            "invalid": _("The choice is not one of this question's choices."),
            "min_value": _("The choice is not one of this question's choices."),
        },
    )
    attempt = forms.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        error_messages={"invalid": _("The attempt number is not a number.")},
    )
    # Question.asked_digest() as the page showed it; a page from before it was sent has none.
    asked = forms.CharField(required=False, max_length=64)

    def clean_question(self) -> Question:
        # As the page has it, from the cache: choices, step and version come along.
        question = question_for_answering(self.cleaned_data["question"])
        if question is None:
            raise forms.ValidationError(
                _("This question does not exist or is no longer published.")
            )
        return question

    def clean(self) -> dict:
        cleaned = super().clean()
        question, choice_id = cleaned.get("question"), cleaned.get("choice")
        if question is not None and choice_id is not None:
            choice = next((c for c in question.choices.all() if c.pk == choice_id), None)
            if choice is None:
                self.add_error("choice", _("That choice does not belong to this question."))
            else:
                cleaned["choice"] = choice
            asked = cleaned.get("asked")
            if asked and not question.was_asked_as(asked):
                raise forms.ValidationError(
                    _(
                        "This question was changed while you were reading it. Nothing was "
                        "recorded: reload the page to answer it as it is now."
                    ),
                    code="changed",
                )
        cleaned["attempt"] = cleaned.get("attempt") or 1
        return cleaned

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return str(_("The answer could not be read."))
