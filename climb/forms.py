"""What every form of the site's own does alike."""

from __future__ import annotations

# The error summary's id (templates/accounts/_form_errors.html), which fields point at.
FORM_ERRORS_ID = "form-errors"


class FocusOnFirstError:
    """A form sent back with errors puts the cursor in the first field that has one: Django's
    username field asks for autofocus whatever happened, so after a password mismatch the
    cursor sat in the username (a newcomer's sign-up), and forms without autofocus left it
    on the page, far from the error.

    An error of the whole form (a failed log-in names neither field) marks every field
    invalid and described by the error summary (templates/accounts/_form_errors.html), and
    the cursor goes to the first: a screen reader reads the error with the field."""

    def full_clean(self) -> None:
        super().full_clean()
        if not self._errors:
            return
        visible = [name for name, field in self.fields.items() if not field.widget.is_hidden]
        first = next((name for name in visible if name in self._errors), None)
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        if first is None and visible:
            for name in visible:
                attrs = self.fields[name].widget.attrs
                attrs.update({"aria-invalid": "true", "aria-describedby": FORM_ERRORS_ID})
            first = visible[0]
        if first is not None:
            self.fields[first].widget.attrs["autofocus"] = True
