"""Migrations stay backwards compatible with the previous release's code (README, "Running in
production"): `migrate` runs before the new code takes traffic, and during a rolling deploy
the old code keeps inserting rows into the migrated tables without the columns it never
knew. A NOT NULL column with only a Python default fails those inserts; a database default
(`db_default`) fills them in."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.management import call_command
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.models import Field, Model
from django.db.models.functions import Now
from django.utils import timezone

from climb.teams.models import Team
from tests.factories import make_version

# Python defaults with no database twin, and why that is safe.
WITHOUT_DATABASE_DEFAULT = {
    # A fresh random token per invite: no constant stands in for it, and every release's code
    # has set it since the table was made.
    ("teams", "Invite", "token"),
}


def our_models() -> list[type[Model]]:
    """The tables our migrations make: our apps' managed models (the search index is unmanaged,
    its SQL written by hand)."""
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("climb") or config.name == "lessons"
        for model in config.get_models()
        if model._meta.managed
    ]


def matches(field: Field) -> bool:
    default, db_default = field.default, field.db_default
    if default is timezone.now:
        return isinstance(db_default, Now)
    if callable(default):  # dict, list: an empty one, the same in both
        return db_default == default()
    return db_default == default


def test_every_python_default_is_the_databases_too():
    missing = [
        f"{model._meta.app_label}.{model.__name__}.{field.name} (default={field.default!r})"
        for model in our_models()
        for field in model._meta.concrete_fields
        if field.has_default()
        and not field.null
        and (model._meta.app_label, model.__name__, field.name) not in WITHOUT_DATABASE_DEFAULT
        and not matches(field)
    ]
    assert not missing, f"give these a matching db_default: {missing}"


def added_without_database_default(disk_migrations: dict) -> list[str]:
    """The columns that `disk_migrations` add to an existing table of ours with neither
    NULL nor a database default."""
    managed = {(model._meta.app_label, model._meta.model_name): model for model in our_models()}
    missing = []
    for (app_label, _name), migration in disk_migrations.items():
        created_here = {
            operation.name_lower
            for operation in migration.operations
            if isinstance(operation, migrations.CreateModel)
        }
        for operation in migration.operations:
            if not isinstance(operation, migrations.AddField):
                continue
            model = managed.get((app_label, operation.model_name_lower))
            if model is None or operation.model_name_lower in created_here:
                continue  # not ours, or a new table, which the old code never writes
            try:
                field = model._meta.get_field(operation.name)
            except FieldDoesNotExist:
                # Renamed or removed by a later migration: the model no longer says what the
                # column is, and the migration that renamed or removed it is what the
                # previous release ran against (a rename keeps the column's default; a new
                # column under the new name is an AddField of its own, checked as such).
                continue
            if not field.null and not field.has_db_default():
                missing.append(f"{app_label}.{model.__name__}.{field.name}")
    return missing


def test_every_column_added_to_an_existing_table_has_a_database_default():
    """Even without a Python default: a blank CharField gets "" from Django, not from the
    database, so the previous release inserting a row without it hits NOT NULL."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    missing = added_without_database_default(loader.disk_migrations)
    assert not missing, f"give these a db_default: {missing}"


def test_a_column_added_long_ago_and_since_renamed_or_removed_is_passed_over():
    """The review: get_field() raised FieldDoesNotExist for a field an old migration added
    and a later one renamed or removed, and the check crashed instead of checking."""
    old = migrations.Migration("0003_added_then_renamed", "lessons")
    old.operations = [
        migrations.AddField("climb", "tagline", models.CharField(max_length=50, default="")),
        migrations.AddField("climb", "strapline", models.CharField(max_length=50, default="")),
    ]
    found = added_without_database_default({("lessons", old.name): old})
    # 'tagline' is no field of Climb's now; 'strapline' neither: passed over, no crash.
    assert found == []
    old.operations.append(migrations.AddField("climb", "title", models.CharField()))
    assert added_without_database_default({("lessons", old.name): old}) == ["lessons.Climb.title"]


@pytest.mark.django_db
def test_the_previous_release_can_still_add_a_member():
    """Teams migration 0005 added `in_figures` with only a Python default: until every
    instance ran the new code, joining a team through an old one was a NotNullViolation."""
    team = Team.objects.create(name="Platform")
    user = get_user_model().objects.create_user("ada")
    with connection.cursor() as cursor:
        # The columns the release before 0005 wrote, as it wrote them.
        cursor.execute(
            "INSERT INTO teams_membership (team_id, user_id, role, joined_at)"
            " VALUES (%s, %s, %s, %s)",
            [team.pk, user.pk, "member", timezone.now()],
        )
    assert team.memberships.get(user=user).in_figures is True


@pytest.mark.django_db
def test_the_previous_release_can_still_add_a_source():
    """Lessons migration 0013 added `note_ru`, a blank CharField: "" came from Python only."""
    version = make_version()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO lessons_source (version_id, position, title, url, note)"
            " VALUES (%s, %s, %s, %s, %s)",
            [version.pk, 1, "RFC 9110", "https://www.rfc-editor.org/rfc/rfc9110", ""],
        )
    assert version.sources.get().note_ru == ""


@pytest.mark.django_db
def test_the_models_and_the_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # SystemExit(1) if not
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor wants no open transaction
def test_the_lesson_file_slug_validators_change_no_table():
    """Lessons 0016 only adds a validator to Climb.slug and Piece.slug: state, no SQL (on
    PostgreSQL too: the schema editor finds nothing to alter without asking the database)."""
    out = StringIO()
    call_command("sqlmigrate", "lessons", "0016", stdout=out)
    statements = [
        line for line in out.getvalue().splitlines() if line and not line.startswith("--")
    ]
    assert statements in ([], ["BEGIN;", "COMMIT;"])


@pytest.mark.django_db
def test_the_previous_release_can_still_write_the_search_index():
    """Lessons 0017 added `steps` to the search rows. The release before writes rows without
    it; search reads those as linking to the top of the page."""
    from lessons import search_index, search_query

    version = make_version(title="Leases")
    search_index.flush_pending()
    search_index.SearchDocument.objects.all().delete()
    document = "to_tsvector('simple', %s)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        # The columns the release before 0017 wrote, as it wrote them.
        cursor.execute(
            "INSERT INTO lessons_search_document"
            " (rowid, version_id, language, title, crux, body, terms, text, document)"
            f" VALUES (%s, %s, 'en', 'leas', '', '', '', '', {document})",
            [search_index.document_id(version.pk, "en"), version.pk, "leas"],
        )
    hits = search_query.search("leases", "en")
    assert [(hit.url, hit.step) for hit in hits] == [(version.get_absolute_url(), None)]
