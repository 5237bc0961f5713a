"""Account pages: our sign-up view, and Django's auth views with our templates.

Django's auth views are used as they are, configured here rather than subclassed, so that
their security behaviour (safe `next`, session rotation, token checks) stays Django's.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from climb.learning import ratelimit
from climb.ops import limit_key

from .forms import (
    ChangePasswordForm,
    LimitedPasswordResetForm,
    LoginForm,
    SignupForm,
    UnlockingSetPasswordForm,
)


def limited_per_client(name: str, setting: str):
    """At most `setting` POSTs an hour from one client address to the view, then a 429 page
    saying so (the form is not processed). GETs are never counted."""

    def decorate(view):
        @functools.wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST" and not ratelimit.hit(
                f"{name}:{limit_key(request)}", getattr(settings, setting), 3600, shared=True
            ):
                return render(request, "accounts/too_many.html", status=429)
            return view(request, *args, **kwargs)

        return limited

    return decorate


def _safe_next(request: HttpRequest) -> str:
    """The `next` URL from the form or the query string, or "" if it leaves this site."""
    next_url = request.POST.get("next", request.GET.get("next", ""))
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@limited_per_client("signup", "SIGNUPS_PER_CLIENT")
def signup(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    user = form.save()
            except IntegrityError:
                # Another sign-up took the name or address since the check: the database
                # refused this one. Checking again names which, as the form always does.
                form = SignupForm(request.POST)
                if form.is_valid():
                    form.add_error(None, _("That account was just taken. Try again."))
            else:
                # login() sends user_logged_in, which merges the anonymous learner's progress.
                login(request, user, backend="climb.accounts.backends.UsernameOrEmailBackend")
                return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    else:
        form = SignupForm()
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


login_view = auth_views.LoginView.as_view(
    template_name="accounts/login.html",
    authentication_form=LoginForm,
    redirect_authenticated_user=True,
)


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs):
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): the page says how long the
    pause really is (AXES_COOLOFF_MINUTES), not a number written into the template."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


# POST only (Django 5): a GET gets 405, so a link or an <img> cannot sign anyone out.
logout_view = auth_views.LogoutView.as_view()

password_change = auth_views.PasswordChangeView.as_view(
    form_class=ChangePasswordForm,
    template_name="accounts/password_change_form.html",
    success_url=reverse_lazy("accounts:password_change_done"),
)

password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html",
)

password_reset = limited_per_client("reset", "RESET_REQUESTS_PER_CLIENT")(
    auth_views.PasswordResetView.as_view(
        form_class=LimitedPasswordResetForm,
        template_name="accounts/password_reset_form.html",
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)

password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html",
)

password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=UnlockingSetPasswordForm,
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)

password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html",
)
