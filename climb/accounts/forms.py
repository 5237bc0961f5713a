"""Account forms. Django's auth forms do the heavy lifting; sign-up adds a required email."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

User = get_user_model()


def email_in_use(email: str, exclude_pk: int | None = None) -> bool:
    """Does another account have this address, in any case? (The database refuses it too.)"""
    others = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return bool(email) and others.exists()


class LoginForm(AuthenticationForm):
    """Django's, saying what the backend accepts (climb.accounts.backends)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That username or email and password do not match an account. "
            "Check the password: it is case-sensitive."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username or email")


class SignupForm(UserCreationForm):
    """Username, email and a password checked by AUTH_PASSWORD_VALIDATORS.

    UserCreationForm already rejects a username that differs from an existing one only in
    case; the email gets the same rule, since password reset looks addresses up
    case-insensitively and one address must lead to one account.
    """

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Only used to reset your password if you forget it."),
    )

    error_messages = {
        **UserCreationForm.error_messages,
        "duplicate_email": _("An account with this email already exists."),
    }

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if email_in_use(email):
            raise forms.ValidationError(
                self.error_messages["duplicate_email"], code="duplicate_email"
            )
        return email


class AccountChangeForm(UserChangeForm):
    """The admin's user form, with sign-up's email rule as a form error, not a refusal by the
    database."""

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data.get("email") or "")
        if email_in_use(email, self.instance.pk):
            raise forms.ValidationError(
                SignupForm.error_messages["duplicate_email"], code="duplicate_email"
            )
        return email
