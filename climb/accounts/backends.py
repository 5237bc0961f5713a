"""Logging in by username or email address, in any case.

Sign-up already treats "Alice" and "alice", "Иван" and "иван", as one name (unique indexes
on the folded username and email, accounts migrations 0001-0002, see `names`), so logging in
must too: otherwise "Alice" is refused as taken at sign-up and then refused again at log-in.
The lookups are on those same indexes, so each is one indexed query.
"""

from __future__ import annotations

from axes.utils import reset
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from .names import Folded, same_name


def find_account(login: str):
    """The user a login names, by username or email in any case; None if no account."""
    users = get_user_model()._default_manager
    if "@" in login:
        # An address names the account it belongs to, whatever username another account has
        # (new usernames cannot hold '@'; older ones still log in when no address matches).
        by_email = users.filter(same_name("email", login)).first()
        if by_email is not None:
            return by_email
    return users.filter(same_name("username", login)).first()


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        user = find_account(username.strip())
        if user is None:
            # As ModelBackend does: hash anyway, so a missing account takes as long to
            # refuse as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the account a login attempt is counted against.

    Since "Ada", "ada" and ada@example.com all log in to one account, they must all count
    towards that account's lockout; counted as typed, each spelling would get its own five
    tries.
    """
    typed = ((credentials or {}).get("username") or "").strip()
    user = find_account(typed) if typed else None
    return lockout_key(user) if user is not None else typed.lower()


def lockout_key(user) -> str:
    """The name an account's failed log-ins are stored under, however they were typed."""
    return user.get_username().lower()


def forget_failed_logins(
    sender, request: HttpRequest | None, user: AbstractBaseUser, **kwargs
) -> None:
    """On user_logged_in: the failed log-ins against this account are forgotten, as a
    password reset forgets them; those from the same address against other accounts stay,
    or an attacker signing in to an account of their own between guesses is never locked.

    So are the address's failures against names that are no account's: nobody's password
    was guessed there, and an office behind one address would otherwise be locked out by
    five mistyped names in a quarter of an hour, however many of its people signed in."""
    reset(username=lockout_key(user))
    if request is None:
        return
    from axes.models import AccessAttempt

    from climb.ops import lockout_address

    accounts = get_user_model()._default_manager.annotate(name=Folded("username"))
    named = accounts.filter(name=OuterRef("username"))
    AccessAttempt.objects.filter(ip_address=lockout_address(request)).exclude(
        Exists(named)
    ).delete()
