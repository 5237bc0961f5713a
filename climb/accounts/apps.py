from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "climb.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db import connections
        from django.db.backends.signals import connection_created

        from .backends import forget_failed_logins
        from .names import add_sqlite_function

        user_logged_in.connect(forget_failed_logins, dispatch_uid="accounts-forget-failed-logins")

        connection_created.connect(add_sqlite_function, dispatch_uid="accounts-climb-lower")
        for connection in connections.all(initialized_only=True):  # opened before this ran
            if connection.connection is not None:
                add_sqlite_function(connection=connection)
