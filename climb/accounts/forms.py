"""Account forms. Django's auth forms do the heavy lifting; sign-up adds a required email."""

from __future__ import annotations

from axes.utils import reset
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UserChangeForm,
    UserCreationForm,
)
from django.utils.translation import gettext_lazy as _

from climb.forms import FocusOnFirstError
from climb.learning import ratelimit

from .backends import lockout_key
from .names import same_name

User = get_user_model()


def in_use(field: str, value: str, exclude_pk: int | None = None) -> bool:
    """Does another account have this username or address, in any case and alphabet? (The
    database refuses it too: see `names`.)"""
    others = User.objects.filter(same_name(field, value))
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return bool(value) and others.exists()


class UsernameInAnyCase:
    """For the forms that name an account: Django's check that a username is not taken in
    another case uses `iexact`, which on SQLite folds ASCII only (see `names`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "username" in self.fields:
            # Django's help names "@", which clean_username refuses (the UX audit).
            self.fields["username"].help_text = _(
                "Required. 150 characters or fewer. Letters, digits and ./+/-/_ only."
            )

    def clean_username(self) -> str:
        username = self.cleaned_data.get("username")
        if username and "@" in username and username != self.instance.username:
            # Logging in takes a login with '@' for an email address: a username that is
            # someone's address would otherwise stand in front of that account's log-in.
            raise forms.ValidationError(
                _("A username cannot contain “@”: log-in would take it for an email address."),
                code="email_like",
            )
        if username and in_use("username", username, self.instance.pk):
            raise forms.ValidationError(
                self.instance.unique_error_message(User, ["username"]), code="unique"
            )
        return username


class LoginForm(FocusOnFirstError, AuthenticationForm):
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


class SignupForm(FocusOnFirstError, UsernameInAnyCase, UserCreationForm):
    """Username, email and a password checked by AUTH_PASSWORD_VALIDATORS.

    A username that differs from an existing one only in case is taken; the email gets the
    same rule, since password reset looks addresses up case-insensitively and one address
    must lead to one account.
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
        if in_use("email", email):
            raise forms.ValidationError(
                self.error_messages["duplicate_email"], code="duplicate_email"
            )
        return email


class AccountCreationForm(UsernameInAnyCase, AdminUserCreationForm):
    """The admin's form for a new user, with sign-up's username rule as a form error."""


class AccountChangeForm(UsernameInAnyCase, UserChangeForm):
    """The admin's user form, with sign-up's username and email rules as form errors, not
    refusals by the database."""

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data.get("email") or "")
        if in_use("email", email, self.instance.pk):
            raise forms.ValidationError(
                SignupForm.error_messages["duplicate_email"], code="duplicate_email"
            )
        return email


class LimitedPasswordResetForm(FocusOnFirstError, PasswordResetForm):
    """Django's, sending at most RESET_MAILS_PER_ADDRESS mails an hour to one address.

    Anyone can ask for a reset mail to any address; without a limit, asking thirty times
    sent thirty mails. Beyond the limit nothing is sent and the page is the same as ever, so
    it says nothing about whether the address has an account. The link in an earlier mail
    still works.
    """

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        if ratelimit.hit(
            f"reset-mail:{to_email.casefold()}",
            settings.RESET_MAILS_PER_ADDRESS,
            window=3600,
            shared=True,
        ):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class ChangePasswordForm(FocusOnFirstError, PasswordChangeForm):
    """Django's, with the cursor on the field in error: it sat in the old password, right
    and now empty, after new passwords that did not match.

    After PASSWORD_GUESSES_PER_ACCOUNT wrong current passwords in an hour, the form checks
    none: Django checks it without authenticate(), so the log-in lockout never counted
    these, and whoever held a stolen session could guess it at full speed, then change it
    and keep the account. Only wrong ones count: a new password refused (too common, not
    typed the same twice) costs nothing."""

    def clean_old_password(self) -> str:
        key, limit = f"password-change:{self.user.pk}", settings.PASSWORD_GUESSES_PER_ACCOUNT
        if ratelimit.used(key, 3600, shared=True) >= limit:
            raise forms.ValidationError(
                _(
                    "Too many wrong current passwords in the last hour: nothing was checked "
                    "this time. Try again later, or log out and set a new password with "
                    "“Forgot your password?”."
                ),
                code="too_many_guesses",
            )
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            ratelimit.hit(key, limit, 3600, shared=True)
            raise


class UnlockingSetPasswordForm(FocusOnFirstError, SetPasswordForm):
    """The new password from a reset link also lifts the account's log-in lockout.

    Five wrong passwords lock an account for AXES_COOLOFF_MINUTES, typed by anyone who knows
    its name. Its owner, who proved they read its mail, need not wait out a stranger's
    guesses: the failed attempts against the account are forgotten, from every address.
    """

    def save(self, commit: bool = True):
        user = super().save(commit)
        if commit:
            reset(username=lockout_key(user))
        return user
