"""Forms own validation and conversion: views read domain values from `cleaned_data`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from climb.forms import FocusOnFirstError

from .dashboard import DEFAULT_PERIOD, PERIODS, parse_sort
from .models import INVITE_DAYS, INVITE_PEOPLE, INVITE_ROLES, Role, Team


class TeamForm(FocusOnFirstError, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]
        labels = {"name": _("Team name")}
        help_texts = {"name": _("Up to 100 characters. You can be in several teams.")}
        error_messages = {"name": {"required": _("Give the team a name.")}}


class TeamRenameForm(FocusOnFirstError, forms.Form):
    """The members page's rename field: the name's own rules (the model field's validators
    and length), without the help text meant for someone creating a team."""

    name = forms.CharField(
        label=_("Team name"),
        max_length=Team._meta.get_field("name").max_length,
        validators=Team._meta.get_field("name").validators,
        error_messages={"required": _("Give the team a name.")},
    )


class InviteForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Joins as"),
        choices=[(role.value, role.label) for role in INVITE_ROLES],
        initial=Role.MEMBER,
        error_messages={"invalid_choice": _("An invite makes people members or managers.")},
    )
    days = forms.TypedChoiceField(
        label=_("Link works for"),
        coerce=int,
        initial=7,
        error_messages={"invalid_choice": _("Choose how long the link works: 1, 7 or 30 days.")},
    )

    people = forms.TypedChoiceField(
        label=_("Lets in"),
        coerce=int,
        required=False,  # left out, as by a form from before this field: no limit
        empty_value=None,
        error_messages={
            "invalid_choice": _("Choose how many people the link lets in: 1, 5, 25 or anyone.")
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Labels built per request, so that they are in the reader's language.
        self.fields["days"].choices = [
            (days, ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
            for days in INVITE_DAYS
        ]
        self.fields["people"].choices = [
            ("", gettext("anyone who has it"))
            if people is None
            else (people, ngettext("%(n)d person", "%(n)d people", people) % {"n": people})
            for people in INVITE_PEOPLE
        ]


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        error_messages={
            "required": _("Choose a role."),
            "invalid_choice": _("There is no such role."),
        },
    )


class FiguresForm(forms.Form):
    in_figures = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")],
        coerce=lambda value: value == "1",
        error_messages={
            "required": _("Say whether to count the member in the team's figures."),
            "invalid_choice": _("Say whether to count the member in the team's figures."),
        },
    )


# The same periods inside a sentence ("Period: last 4 weeks."), where Russian writes them in
# lower case: the choices' labels start a line in the select.
PERIODS_IN_TEXT = {
    "4": pgettext_lazy("a period, inside a sentence", "Last 4 weeks"),
    "12": pgettext_lazy("a period, inside a sentence", "Last 12 weeks"),
    "52": pgettext_lazy("a period, inside a sentence", "Last 52 weeks"),
    "all": pgettext_lazy("a period, inside a sentence", "All time"),
}


class DashboardFilters(forms.Form):
    """The dashboard's query string. Sort falls back to the default; a climb, period or page
    the interface cannot produce is an error the view answers with 400."""

    climb = forms.ChoiceField(label=_("Climb"), required=False)
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            ("4", _("Last 4 weeks")),
            ("12", _("Last 12 weeks")),
            ("52", _("Last 52 weeks")),
            ("all", _("All time")),
        ],
        error_messages={"invalid_choice": _("The period must be 4, 12 or 52 weeks, or all.")},
    )
    sort = forms.CharField(required=False)
    page = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("The page must be a whole number."),
            "min_value": _("Pages start at 1."),
        },
    )

    def __init__(self, data, climbs: list, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.climbs = climbs
        field = self.fields["climb"]
        field.choices = [(c.slug, c.local.title) for c in climbs]
        field.error_messages["invalid_choice"] = _("There is no climb called “%(value)s”.")

    def clean_climb(self):
        """The chosen climb; None where the address names none: the dashboard then shows the
        climb the team is working in (stats.working_climb), read with its figures."""
        slug = self.cleaned_data["climb"]
        if not slug:
            return None
        return next(c for c in self.climbs if c.slug == slug)

    def clean_period(self) -> str:
        return self.cleaned_data["period"] or DEFAULT_PERIOD

    def clean_sort(self) -> tuple[str, bool]:
        return parse_sort(self.cleaned_data["sort"])

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1

    def since(self, now: datetime | None = None) -> datetime | None:
        weeks = PERIODS[self.cleaned_data["period"]]
        return None if weeks is None else (now or timezone.now()) - timedelta(weeks=weeks)

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return str(_("The filters could not be read."))


class MembersPageFilter(forms.Form):
    page = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("The page must be a whole number."),
            "min_value": _("Pages start at 1."),
        },
    )

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return str(_("The page could not be read."))
