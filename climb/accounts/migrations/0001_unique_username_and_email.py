"""One account per username and per email address, whatever their case, in the database.

The sign-up and admin forms check this first, with a clear message; these indexes make it
hold when two requests race past the forms. Both SQLite and PostgreSQL support unique
indexes on an expression and partial indexes; accounts without an email (made in the admin
or by createsuperuser) may share the empty one.
"""

from django.db import migrations

INDEXES = {
    "accounts_unique_username_ci": "ON auth_user (LOWER(username))",
    "accounts_unique_email_ci": "ON auth_user (LOWER(email)) WHERE email <> ''",
}


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE UNIQUE INDEX {name} {definition}",
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, definition in INDEXES.items()
    ]
