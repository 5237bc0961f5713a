"""Accounts: sign-up, log in and out, password change and reset, their safety and markup."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user, get_user_model
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from climb.accounts.forms import SignupForm

pytestmark = pytest.mark.django_db

User = get_user_model()

PASSWORD = "plum-kettle-orbit-42"
NEW_PASSWORD = "quiet-harbour-lantern-7"


def make_user(username: str = "ada", email: str = "ada@example.com", **overrides):
    return User.objects.create_user(
        username=username, email=email, password=overrides.pop("password", PASSWORD), **overrides
    )


def signup_data(**overrides) -> dict[str, str]:
    data = {
        "username": "grace",
        "email": "grace@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def is_logged_in(client: Client) -> bool:
    return get_user(client).is_authenticated


# --- sign up ---------------------------------------------------------------------------------


def test_signup_creates_the_user_and_logs_them_in(client):
    response = client.post(reverse("accounts:signup"), signup_data())
    assert response.status_code == 302
    assert response.url == reverse("learning:progress")
    user = User.objects.get(username="grace")
    assert user.email == "grace@example.com"
    assert user.check_password(PASSWORD)
    assert get_user(client) == user


def test_signup_sends_user_logged_in_so_anonymous_progress_can_be_merged(client):
    received = []

    def receiver(sender, request, user, **kwargs):
        received.append(user.username)

    user_logged_in.connect(receiver)
    try:
        client.post(reverse("accounts:signup"), signup_data())
    finally:
        user_logged_in.disconnect(receiver)
    assert received == ["grace"]


def test_signup_goes_to_a_safe_next(client):
    response = client.post(reverse("accounts:signup"), signup_data(next="/climbs/x/"))
    assert response.url == "/climbs/x/"


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_signup_with_an_unsafe_next_goes_to_the_default(client, unsafe):
    response = client.post(reverse("accounts:signup"), signup_data(next=unsafe))
    assert response.url == reverse("learning:progress")


def test_signup_page_carries_a_safe_next_into_the_form(client):
    html = client.get(reverse("accounts:signup") + "?next=/climbs/x/").content.decode()
    assert '<input type="hidden" name="next" value="/climbs/x/">' in html


def test_signup_page_drops_an_unsafe_next(client):
    html = client.get(reverse("accounts:signup") + "?next=https://evil.example/").content.decode()
    assert 'value="https://evil.example/"' not in html and 'href="https://evil' not in html
    # (The language switch carries the address as it is, to /ru/accounts/signup/?next=...,
    # where this same check drops it again.)


def test_signup_rejects_a_username_taken_in_another_case(client):
    make_user(username="Grace", email="other@example.com")
    response = client.post(reverse("accounts:signup"), signup_data(username="grace"))
    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.count() == 1
    assert not is_logged_in(client)


def test_signup_rejects_an_email_already_used_in_another_case(client):
    make_user(username="someone", email="Grace@Example.com")
    response = client.post(reverse("accounts:signup"), signup_data(email="grace@EXAMPLE.com"))
    assert response.status_code == 200
    assert "An account with this email already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_a_signup_sent_back_puts_the_cursor_in_the_first_field_with_an_error(client):
    """After a password mismatch the cursor sat in the username (Django's autofocus)."""
    import re

    def focused(html: str) -> list[str]:
        return re.findall(
            r'<input[^>]*name="(\w+)"[^>]*autofocus|<input[^>]*autofocus[^>]*name="(\w+)"', html
        )

    assert [
        a or b for a, b in focused(client.get(reverse("accounts:signup")).content.decode())
    ] == ["username"]
    html = client.post(
        reverse("accounts:signup"), signup_data(password2="not the same")
    ).content.decode()
    assert [a or b for a, b in focused(html)] == ["password2"]


def focused_fields(html: str) -> list[str]:
    """The names of the inputs that ask for the cursor."""
    return [
        tag_name.group(1)
        for tag in re.findall(r"<input[^>]*>", html)
        if " autofocus" in tag and (tag_name := re.search(r'name="(\w+)"', tag))
    ]


@pytest.mark.django_db
def test_every_account_form_sent_back_puts_the_cursor_on_its_error(client, django_user_model):
    """The accessibility audit: after a failed log-in the cursor sat in a username field that
    said nothing of the error; after new passwords that did not match, in the old password;
    on the reset, set-password and team forms, nowhere."""
    user = django_user_model.objects.create_user("ada", "ada@example.com", PASSWORD)
    html = client.post(
        reverse("accounts:login"), {"username": "ada", "password": "wrong"}
    ).content.decode()
    assert 'id="form-errors" role="alert"' in html
    inputs = [tag for tag in re.findall(r"<input[^>]*>", html) if 'name="username"' in tag]
    inputs += [tag for tag in re.findall(r"<input[^>]*>", html) if 'name="password"' in tag]
    assert len(inputs) == 2
    assert all(
        'aria-invalid="true"' in tag and 'aria-describedby="form-errors"' in tag for tag in inputs
    ), inputs
    assert focused_fields(html) == ["username"]
    html = client.post(reverse("accounts:password_reset"), {"email": "bad"}).content.decode()
    assert focused_fields(html) == ["email"]

    client.force_login(user)
    html = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other"},
    ).content.decode()
    assert focused_fields(html) == ["new_password2"]
    html = client.post(reverse("teams:create"), {"name": ""}).content.decode()
    assert "Give the team a name." in html and focused_fields(html) == ["name"]


def test_signup_requires_an_email(client):
    response = client.post(reverse("accounts:signup"), signup_data(email=""))
    assert response.status_code == 200
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password", "This password is too common."),
        ("short", "This password is too short."),
        ("83920174651", "This password is entirely numeric."),
        ("grace-example", "The password is too similar to the"),
    ],
)
def test_signup_rejects_a_weak_password_with_the_validators_message(client, password, message):
    response = client.post(
        reverse("accounts:signup"), signup_data(password1=password, password2=password)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_signup_rejects_passwords_that_differ(client):
    response = client.post(reverse("accounts:signup"), signup_data(password2=NEW_PASSWORD))
    assert response.status_code == 200
    assert "The two password fields didn’t match." in response.content.decode()
    assert not User.objects.exists()


def test_signup_errors_are_announced_and_tied_to_their_fields(client):
    make_user(username="grace", email="other@example.com")
    html = client.post(reverse("accounts:signup"), signup_data()).content.decode()
    assert '<div class="form-errors" id="form-errors" role="alert">' in html
    assert '<a href="#id_username">Username: A user with that username' in html
    assert '<ul class="errorlist field-error" id="id_username_error">' in html
    username_input = re.search(r'<input[^>]*name="username"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in username_input
    assert 'aria-describedby="id_username_helptext id_username_error"' in username_input


def test_signup_fields_are_labelled_and_help_text_is_linked(client):
    html = client.get(reverse("accounts:signup")).content.decode()
    for name in ("username", "email", "password1", "password2"):
        assert f'<label for="id_{name}">' in html
    email_input = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    assert 'aria-describedby="id_email_helptext"' in email_input
    assert '<div class="form-help" id="id_email_helptext">' in html
    assert 'role="alert"' not in html  # nothing to announce yet


def test_signed_in_user_visiting_signup_is_redirected(client):
    client.force_login(make_user())
    response = client.get(reverse("accounts:signup"))
    assert response.status_code == 302
    assert response.url == reverse("learning:progress")


def test_signup_refuses_other_methods(client):
    assert client.put(reverse("accounts:signup")).status_code == 405


# --- log in and out --------------------------------------------------------------------------


def test_login_goes_to_the_default_page(client):
    make_user()
    response = client.post(reverse("accounts:login"), {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("learning:progress")
    assert is_logged_in(client)


def test_login_follows_a_safe_next(client):
    make_user()
    response = client.post(
        reverse("accounts:login"),
        {"username": "ada", "password": PASSWORD, "next": "/climbs/x/"},
    )
    assert response.url == "/climbs/x/"


def test_login_with_an_unsafe_next_goes_to_the_default(client):
    make_user()
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == reverse("learning:progress")
    assert is_logged_in(client)


def test_login_page_carries_next_into_the_form_and_the_signup_link(client):
    html = client.get(reverse("accounts:login") + "?next=/climbs/x/").content.decode()
    assert '<input type="hidden" name="next" value="/climbs/x/">' in html
    assert 'href="/accounts/signup/?next=/climbs/x/"' in html


def test_login_with_a_wrong_password_shows_an_alert(client):
    make_user()
    response = client.post(reverse("accounts:login"), {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="form-errors" id="form-errors" role="alert">' in html
    assert "do not match an account" in html
    assert not is_logged_in(client)


@pytest.mark.parametrize("login", ["ADA", " ada ", "ada@example.com", "Ada@Example.COM"])
def test_login_takes_the_username_or_email_in_any_case(client, login):
    make_user()
    response = client.post(reverse("accounts:login"), {"username": login, "password": PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)


def test_an_address_logs_in_to_its_account_whatever_usernames_others_have(client):
    """The audit's case: signing up as "carol@example.com" stood in front of Carol's log-in by
    email, for good. The address now wins; older usernames with '@' log in when no address
    matches them."""
    make_user(username="bob@example.com", email="bob@elsewhere.example", password="b-" + PASSWORD)
    make_user(username="robert", email="bob@example.com")
    client.post(reverse("accounts:login"), {"username": "BOB@example.com", "password": PASSWORD})
    assert get_user(client).username == "robert"
    client.logout()
    make_user(username="old@name.example", email="old@mail.example", password="o-" + PASSWORD)
    client.post(
        reverse("accounts:login"), {"username": "old@name.example", "password": "o-" + PASSWORD}
    )
    assert get_user(client).username == "old@name.example"


def test_a_new_username_cannot_hold_an_at_sign(client, admin_client):
    make_user(username="carol", email="carol@example.com")
    response = client.post(
        reverse("accounts:signup"), signup_data(username="carol@example.com", email="s@q.example")
    )
    assert response.status_code == 200
    assert "cannot contain “@”" in response.content.decode()
    assert not User.objects.filter(email="s@q.example").exists()
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": "x@y.example", "password1": "", "password2": "", "usable_password": "false"},
    )
    assert "cannot contain “@”" in response.content.decode()


def test_the_username_help_does_not_offer_what_is_refused(client):
    """The UX audit: Django's help said "Letters, digits and @/./+/-/_ only"."""
    html = client.get(reverse("accounts:signup")).content.decode()
    assert "Letters, digits and ./+/-/_ only." in html and "@/./+/-/_" not in html
    html = client.get("/ru" + reverse("accounts:signup")).content.decode()
    assert "@/./+/-/_" not in html and "./+/-/_" in html


def test_the_login_field_says_what_it_takes(client):
    assert "Username or email" in client.get(reverse("accounts:login")).content.decode()


def test_logout_is_post_only(client):
    client.force_login(make_user())
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert is_logged_in(client)


def test_logout_logs_out_and_goes_home(client):
    client.force_login(make_user())
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == reverse("lessons:home")
    assert not is_logged_in(client)


# --- the navigation --------------------------------------------------------------------------


def test_nav_offers_login_and_signup_back_to_the_current_page_to_visitors(client):
    html = client.get(reverse("lessons:home") + "?a=1").content.decode()
    assert 'href="/accounts/login/?next=/%3Fa%3D1"' in html
    assert 'href="/accounts/signup/?next=/%3Fa%3D1"' in html
    assert "Log out" not in html


def test_nav_on_account_pages_links_without_next(client):
    html = client.get(reverse("accounts:signup")).content.decode()
    assert 'href="/accounts/login/"' in html


def test_nav_shows_progress_username_and_a_logout_form_to_signed_in_users(client):
    client.force_login(make_user(username="ada_l"))
    html = client.get(reverse("lessons:home")).content.decode()
    nav = html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse("learning:progress")}"' in nav
    assert "ada_l" in nav
    assert re.search(
        r'<form class="nav-logout" method="post" action="/accounts/logout/">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken"',
        nav,
    )
    assert "/accounts/login/" not in nav


# --- password change -------------------------------------------------------------------------


def test_password_change_needs_login(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login") + "?next=/accounts/password/change/"


def test_password_change_sets_the_new_password_and_keeps_the_session(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert is_logged_in(client)


def test_password_change_with_a_wrong_old_password_changes_nothing(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_few_wrong_current_passwords_an_hour_then_none_is_checked(client, settings):
    """Django checks it without authenticate(), so the log-in lockout never saw these: a
    stolen session could guess the password at full speed, then change it. Counted per
    account, in the database (shared by every worker); only wrong ones (the code review: a
    new password refused three times used the hour up for its owner)."""
    settings.PASSWORD_GUESSES_PER_ACCOUNT = 3
    user = make_user()
    client.force_login(user)

    def change(old: str, new: str = NEW_PASSWORD):
        data = {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": new}
        return client.post(reverse("accounts:password_change"), data)

    for _ in range(3):  # right, but the new one typed differently twice: not a guess
        assert "didn’t match" in change(PASSWORD, "something else 42").content.decode()
    for _ in range(3):
        assert "Your old password was entered incorrectly." in change("wrong").content.decode()
    refused = change(PASSWORD)  # the right one, once the hour's guesses are spent
    assert refused.status_code == 200
    assert "Too many wrong current passwords in the last hour" in refused.content.decode()
    assert "Forgot your password?" in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # Another account's guesses are its own.
    other = make_user("grace", "grace@example.com")
    client.force_login(other)
    assert change(PASSWORD).status_code == 302


# --- password reset --------------------------------------------------------------------------


def test_password_reset_sends_one_email_whose_link_sets_a_new_password(client):
    user = make_user(email="ada@example.com")
    response = client.post(reverse("accounts:password_reset"), {"email": "ADA@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Reset your Climb password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", message.body).group(1)

    # The link swaps the token for a session value, then shows the form.
    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert "Choose a new password" in response.content.decode()
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    # Used once, the link is dead.
    html = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in html


def test_password_reset_for_an_unknown_email_sends_nothing_and_looks_the_same(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_password_reset_with_a_forged_token_is_refused(client):
    user = make_user()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    url = reverse("accounts:password_reset_confirm", args=[uid, "abc-0123456789abcdef"])
    response = client.get(url)
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


# --- CSRF, everywhere ------------------------------------------------------------------------


def reset_set_password_url(client: Client, user) -> str:
    """Open a fresh reset link, as the email would; the form lives where it redirects to."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return client.get(reverse("accounts:password_reset_confirm", args=[uid, token])).url


@pytest.mark.parametrize(
    ("name", "signed_in"),
    [
        ("accounts:signup", False),
        ("accounts:login", False),
        ("accounts:logout", True),
        ("accounts:password_change", True),
        ("accounts:password_reset", False),
        ("reset-confirm", False),
    ],
)
def test_every_account_post_needs_a_csrf_token(name, signed_in):
    client = Client(enforce_csrf_checks=True)
    user = make_user()
    if signed_in:
        client.force_login(user)
    url = reset_set_password_url(client, user) if name == "reset-confirm" else reverse(name)
    if name != "accounts:logout":
        client.get(url)  # the page sets the CSRF cookie; the POST below still lacks the token
    data = {
        "username": "ada",
        "email": "ada@example.com",
        "password": PASSWORD,
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    assert client.post(url, data).status_code == 403
    assert User.objects.get().check_password(PASSWORD)
    assert is_logged_in(client) is signed_in


def test_signup_with_a_csrf_token_works_when_checks_are_enforced():
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:signup"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("accounts:signup"), signup_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert User.objects.filter(username="grace").exists()


# --- query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "signed_in", "queries"),
    [
        ("accounts:signup", False, 0),
        ("accounts:login", False, 0),
        ("accounts:password_reset", False, 0),
        ("accounts:password_reset_done", False, 0),
        ("accounts:password_reset_complete", False, 0),
        # session, user
        ("accounts:password_change", True, 2),
        ("accounts:password_change_done", True, 2),
    ],
)
def test_account_page_runs_a_pinned_number_of_queries(
    client, django_assert_max_num_queries, name, signed_in, queries
):
    if signed_in:
        client.force_login(make_user())
    with django_assert_max_num_queries(queries):
        response = client.get(reverse(name))
    assert response.status_code == 200
    assert response.content.decode().count("<h1>") == 1


def test_password_reset_confirm_page_runs_a_pinned_number_of_queries(
    client, django_assert_max_num_queries
):
    url = reset_set_password_url(client, make_user())
    # session, the user named by the link
    with django_assert_max_num_queries(2):
        response = client.get(url)
    assert response.status_code == 200
    assert "Choose a new password" in response.content.decode()


# --- fuzzing: whatever arrives, no 500 and no user from an invalid form ----------------------

# Surrogates cannot be encoded into a request at all, so they are not worth generating.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
field_names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20)
extra_fields = st.dictionaries(
    field_names.filter(
        lambda name: name not in {"username", "email", "password1", "password2", "password"}
    ),
    text,
    max_size=5,
)
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def post_form(url: str, data: dict[str, str]):
    # urlencoded, so the view receives exactly these strings whatever characters they hold
    return Client().post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


# None stands for a valid value, so that valid forms come up often enough to test both ways.
@fuzz
@given(
    username=st.none() | st.sampled_from(["Ada", "Zoë.o+1"]) | text,
    email=st.none() | st.just("ADA@example.com") | text,
    password1=st.none() | text,
    password2=st.none() | text,
    extra=extra_fields,
)
def test_signup_survives_any_text_and_creates_a_user_only_from_a_valid_form(
    username, email, password1, password2, extra
):
    password1 = PASSWORD if password1 is None else password1
    data = {
        **extra,
        "username": "new_user" if username is None else username,
        "email": "new@example.com" if email is None else email,
        "password1": password1,
        "password2": password1 if password2 is None else password2,
    }
    with transaction.atomic():
        make_user()
        before = User.objects.count()
        valid = SignupForm(data).is_valid()
        event("valid form" if valid else "invalid form")
        response = post_form(reverse("accounts:signup"), data)
        assert response.status_code == (302 if valid else 200)
        assert User.objects.count() == before + (1 if valid else 0)
        transaction.set_rollback(True)


@fuzz
@given(
    username=text | st.just("ada"),
    password=text,
    next_url=text | st.sampled_from(["https://evil.example/", "//evil.example", "/x/"]),
    extra=extra_fields,
)
def test_login_survives_any_text_and_never_logs_in_with_a_wrong_password(
    username, password, next_url, extra
):
    data = {**extra, "username": username, "password": password, "next": next_url}
    with transaction.atomic():
        make_user()
        response = post_form(reverse("accounts:login"), data)
        assert response.status_code == 200
        assert "_auth_user_id" not in response.wsgi_request.session
        transaction.set_rollback(True)


@fuzz
@given(
    body=st.binary(max_size=500),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=BoUnDaRy",
            "multipart/form-data",
            "text/plain",
        ]
    ),
    name=st.sampled_from(["accounts:signup", "accounts:login", "accounts:password_reset"]),
)
def test_account_forms_survive_arbitrary_bytes(body, content_type, name):
    with transaction.atomic():
        before = User.objects.count()
        response = Client().generic("POST", reverse(name), body, content_type=content_type)
        assert response.status_code < 500
        created = name == "accounts:signup" and response.status_code == 302
        assert User.objects.count() == before + (1 if created else 0)
        transaction.set_rollback(True)


def test_the_database_refuses_a_second_account_with_an_address_or_name_in_another_case():
    from django.db import IntegrityError

    make_user(username="ada", email="Ada@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        get_user_model().objects.create_user(username="someone", email="ada@example.COM")
    with pytest.raises(IntegrityError), transaction.atomic():
        get_user_model().objects.create_user(username="ADA", email="other@example.com")
    # Accounts made without an address (the admin, createsuperuser) may share the empty one.
    get_user_model().objects.create_user(username="x1", email="")
    get_user_model().objects.create_user(username="x2", email="")


def test_a_signup_that_loses_a_race_gets_the_forms_message_not_a_server_error(client, monkeypatch):
    # Another request creates the account between this form's check and its save: the
    # first check misses it.
    import climb.accounts.forms

    make_user(username="rival", email="grace@example.com")
    real = climb.accounts.forms.in_use
    calls = []

    def too_early(field, value, exclude_pk=None):
        if field == "email":
            calls.append(value)
            if len(calls) == 1:
                return False
        return real(field, value, exclude_pk)

    monkeypatch.setattr(climb.accounts.forms, "in_use", too_early)
    response = client.post(reverse("accounts:signup"), signup_data())
    assert response.status_code == 200
    assert "An account with this email already exists." in response.content.decode()
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["rival"]
    assert not is_logged_in(client)


def test_the_admin_refuses_an_address_another_account_has_as_a_form_error(admin_client):
    make_user(username="ada", email="ada@example.com")
    grace = make_user(username="grace", email="grace@example.com")
    url = reverse("admin:auth_user_change", args=[grace.pk])
    form = {
        "username": "grace",
        "email": "ADA@example.com",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "is_active": "on",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert "An account with this email already exists." in response.content.decode()
    grace.refresh_from_db()
    assert grace.email == "grace@example.com"


def test_sessions_signed_in_through_django_s_own_backend_stay_signed_in(client):
    """Sessions from before the username-or-email backend name ModelBackend."""
    client.force_login(make_user(), backend="django.contrib.auth.backends.ModelBackend")
    assert is_logged_in(client)
    assert client.get(reverse("learning:progress")).context["user"].is_authenticated


def test_reset_mails_to_one_address_are_limited_and_the_page_never_says_so(client, settings):
    """The audit sent 30 reset mails to one address in 2 s."""
    make_user(email="ada@example.com")
    statuses = [
        client.post(reverse("accounts:password_reset"), {"email": "Ada@Example.com"}).status_code
        for _ in range(5)
    ]
    assert statuses == [302] * 5  # the same page, whether mailed or not
    assert len(mail.outbox) == settings.RESET_MAILS_PER_ADDRESS == 3


def test_reset_requests_and_sign_ups_from_one_address_are_limited(client, settings):
    settings.RESET_REQUESTS_PER_CLIENT = 2
    settings.SIGNUPS_PER_CLIENT = 1
    for expected in (302, 302, 429):
        response = client.post(reverse("accounts:password_reset"), {"email": "x@example.com"})
        assert response.status_code == expected
    assert "sent too often from your address" in response.content.decode()
    assert client.get(reverse("accounts:password_reset")).status_code == 200  # reading is free
    client.post(reverse("accounts:signup"), signup_data(username="first"))
    client.logout()
    response = client.post(
        reverse("accounts:signup"), signup_data(username="second", email="second@example.com")
    )
    assert response.status_code == 429
    assert not User.objects.filter(username="second").exists()
    # Another client is counted on its own.
    other = type(client)(REMOTE_ADDR="10.9.8.7")
    response = other.post(
        reverse("accounts:signup"), signup_data(username="third", email="third@example.com")
    )
    assert response.status_code == 302


def test_without_redis_the_account_limits_are_counted_for_every_worker_together(
    client, settings, monkeypatch
):
    """Without Redis the cache is each worker's memory: the security review made 40 reset
    requests of a limit of 20, and 6 reset mails of 3, through two gunicorn workers. The
    hourly limits are then counted in the database; a cleared cache stands for another
    worker (or one recycled)."""
    from django.core.cache import cache

    from climb.learning import ratelimit
    from climb.learning.models import RateCounter

    monkeypatch.setattr(ratelimit, "process_local_cache", lambda: True)  # also with Redis
    make_user(email="ada@example.com")
    for _ in range(5):
        client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})
        cache.clear()
    assert len(mail.outbox) == settings.RESET_MAILS_PER_ADDRESS == 3
    settings.SIGNUPS_PER_CLIENT = 1
    client.post(reverse("accounts:signup"), signup_data(username="first"))
    client.logout()
    cache.clear()
    response = client.post(
        reverse("accounts:signup"), signup_data(username="second", email="second@example.com")
    )
    assert response.status_code == 429
    counts = dict(RateCounter.objects.values_list("bucket", "count"))
    assert sorted(counts.values()) == [2, 5, 5]  # sign-ups, reset requests, reset mails


def test_a_shared_counter_counts_in_its_window_and_clears_windows_gone_by(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from climb.learning import ratelimit
    from climb.learning.models import RateCounter

    monkeypatch.setattr(ratelimit, "process_local_cache", lambda: True)
    assert [ratelimit.hit("k", 2, 3600, shared=True) for _ in range(3)] == [True, True, False]
    RateCounter.objects.create(bucket="old", expires_at=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(ratelimit, "clock", lambda: 10**10)  # the next window
    assert ratelimit.hit("k", 2, 3600, shared=True)
    assert RateCounter.objects.filter(bucket="old").count() == 0
    assert RateCounter.objects.count() == 2  # the last window's expires when its time comes


def test_a_shared_counter_takes_the_longest_email_address(client, monkeypatch):
    """A bucket named by a 254-character address overflowed its column on PostgreSQL (a 500
    on every reset request of that account): buckets are stored as digests."""
    from climb.learning import ratelimit

    monkeypatch.setattr(ratelimit, "process_local_cache", lambda: True)
    email = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 63 + ".com"
    assert len(email) == 254
    make_user(email=email)
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1


def test_axes_masks_the_username_and_address_in_its_log(client, caplog):
    """Setting AXES_SENSITIVE_PARAMETERS replaces axes' own list: naming only "next" had
    every failed log-in's username (often an email here) and address logged in clear."""
    import logging

    caplog.set_level(logging.INFO, logger="axes")
    client.post(
        reverse("accounts:login") + "?next=/teams/join/tok3n/",
        {"username": "someone@example.com", "password": "wrong"},
        REMOTE_ADDR="203.0.113.77",
    )
    assert "AXES" in caplog.text
    for secret in ("someone@example.com", "203.0.113.77", "tok3n"):
        assert secret not in caplog.text


def test_a_log_in_is_no_news_in_the_log_a_failure_is(client, caplog):
    """axes wrote three INFO lines for every log-in (its start, its success, its reset)."""
    import logging

    caplog.set_level(logging.INFO)
    make_user()
    client.post(reverse("accounts:login"), {"username": "ada", "password": PASSWORD})
    assert not [r for r in caplog.records if r.name.startswith("axes")]
    client.logout()
    client.post(reverse("accounts:login"), {"username": "ada", "password": "wrong"})
    assert [r.levelname for r in caplog.records if r.name.startswith("axes")] == ["WARNING"]


@pytest.mark.django_db
def test_djangos_own_messages_read_in_russian_with_yo(client):
    """Django's Russian writes е for ё ("Введенные пароли"), which no other line of ours
    does: our catalog translates the messages the account pages show again."""
    response = client.post(
        "/ru/accounts/signup/", signup_data(password2=PASSWORD + "x", username="ira")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Введённые пароли не совпадают." in html and "Введенные" not in html
    with translation.override("ru"):
        assert "распространённым" in gettext("Your password can’t be a commonly used password.")
        old = gettext("Your old password was entered incorrectly. Please enter it again.")
        assert old == "Старый пароль введён неверно. Введите его ещё раз."


OLD_KEY, NEW_KEY = "o" * 50, "n" * 50


def test_a_rotated_secret_key_keeps_everyone_signed_in(client, settings):
    """DJANGO_SECRET_KEY_FALLBACKS: with the old key among them, a sign-in made under it
    survives the rotation, and the reset links it signed still work."""
    settings.SECRET_KEY = OLD_KEY
    user = make_user()
    client.force_login(user)
    token = default_token_generator.make_token(user)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert get_user(client) == user
    assert default_token_generator.check_token(user, token)
    # Without the fallback, the same rotation signs everyone out.
    settings.SECRET_KEY_FALLBACKS = []
    client.force_login(user)
    settings.SECRET_KEY = OLD_KEY
    assert not get_user(client).is_authenticated
