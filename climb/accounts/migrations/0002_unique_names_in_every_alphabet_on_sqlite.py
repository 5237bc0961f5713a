"""On SQLite, the unique account-name indexes of 0001 fold every alphabet (climb_lower()).

SQLite's LOWER() folds ASCII only, so "Иван" and "иван" were two names there (PostgreSQL's
indexes fold every alphabet already: nothing changes there). Accounts that the new indexes
would refuse stop the migration, named, with nothing changed: which account keeps the name
is a person's decision.
"""

from django.db import migrations

from climb.accounts.names import SQLITE_FUNCTION, add_sqlite_function, clashes

INDEXES = {  # name -> (column, WHERE clause)
    "accounts_unique_username_ci": ("username", ""),
    "accounts_unique_email_ci": ("email", " WHERE email <> ''"),
}


def rebuild(schema_editor, function: str) -> None:
    for name, (column, where) in INDEXES.items():
        schema_editor.execute(f"DROP INDEX {name}")
        schema_editor.execute(
            f"CREATE UNIQUE INDEX {name} ON auth_user ({function}({column})){where}"
        )


def fold_every_alphabet(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.connection.ensure_connection()
    add_sqlite_function(connection=schema_editor.connection)
    users = apps.get_model("auth", "User").objects.using(schema_editor.connection.alias)
    found = [
        f"{column}: {' / '.join(group)}"
        for column in ("username", "email")
        for group in clashes(users.values_list(column, flat=True))
    ]
    if found:
        raise RuntimeError(
            "These accounts differ only in the case of non-ASCII letters, and account names "
            "are now compared without case in every alphabet. Rename or remove one account "
            "of each group (in the admin), then run migrate again: " + "; ".join(found)
        )
    rebuild(schema_editor, SQLITE_FUNCTION)


def fold_ascii_only(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        rebuild(schema_editor, "LOWER")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_unique_username_and_email")]

    operations = [migrations.RunPython(fold_every_alphabet, fold_ascii_only)]
