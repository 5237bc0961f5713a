"""Django's createsuperuser, held to the rules sign-up and the admin apply: a username in any
case and an email address in any case name one account, and a username holds no '@'."""

from __future__ import annotations

from django.contrib.auth.management.commands.createsuperuser import Command as DjangoCommand
from django.core.management.base import CommandError
from django.db import IntegrityError

from climb.accounts.forms import in_use


class Command(DjangoCommand):
    def _validate_username(self, username, verbose_field_name, database):
        error = super()._validate_username(username, verbose_field_name, database)
        if error or not username:
            return error
        if "@" in username:
            # Log-in takes a login with '@' for an email address.
            return "Error: a username cannot contain '@'."
        if in_use("username", username):
            return f"Error: that {verbose_field_name} is already taken (in another case)."
        return None

    def handle(self, *args, **options):
        try:
            return super().handle(*args, **options)
        except IntegrityError as error:  # the email's unique index, in any case
            raise CommandError(
                "An account with that email address (in any case) exists already; "
                "nothing was created."
            ) from error
