"""backup_database, restore_database and check_database: SQLite kept safe without its shell."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
pytestmark = pytest.mark.django_db(transaction=True)


class Terminal(StringIO):
    """Standard input as someone at a terminal has it."""

    def isatty(self) -> bool:
        return True


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own backup")
def test_a_backup_restores_what_was_there_and_nothing_since(tmp_path):
    users = get_user_model().objects
    users.create_user("Иван", "ivan@example.com", "pw")  # an account index uses climb_lower()
    backup = tmp_path / "climb.sqlite3"
    assert "integrity ok" in run("backup_database", str(backup))

    users.create_user("later", "later@example.com", "pw")
    users.filter(username="Иван").update(email="changed@example.com")
    out = run("restore_database", str(backup), "--noinput")
    assert "Restored from" in out
    assert list(users.values_list("username", "email")) == [("Иван", "ivan@example.com")]
    assert run("check_database").strip() == "Integrity ok."


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own backup")
def test_a_backup_is_readable_by_its_owner_only(tmp_path):
    """It holds every password hash and live session: it was written 0644, for anyone on
    the machine to read."""
    backup = tmp_path / "climb.sqlite3"
    umask = os.umask(0o022)  # the usual one: under 077 this would pass without the fix
    try:
        run("backup_database", str(backup))
    finally:
        os.umask(umask)
    assert backup.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own backup")
def test_bad_input_changes_nothing(tmp_path):
    get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    taken = tmp_path / "taken.sqlite3"
    taken.write_text("something precious")
    with pytest.raises(CommandError, match="exists already"):
        run("backup_database", str(taken))
    assert taken.read_text() == "something precious"
    with pytest.raises(CommandError, match="nothing changed"):
        run("restore_database", str(taken), "--noinput")
    with pytest.raises(CommandError, match="no such file"):
        run("restore_database", str(tmp_path / "missing.sqlite3"), "--noinput")
    with pytest.raises(CommandError, match="no such folder"):
        run("backup_database", str(tmp_path / "nowhere" / "climb.sqlite3"))
    assert get_user_model().objects.filter(username="ada").exists()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own backup")
@pytest.mark.parametrize("piped", ["", "yes\n"])
def test_a_restore_without_a_terminal_asks_for_noinput(tmp_path, monkeypatch, piped):
    """It asks "Type 'yes' to go on": with no terminal (cron, a script) input() met the end
    of its input, an EOFError traceback; a "yes" piped in answered for nobody."""
    users = get_user_model().objects
    users.create_user("ada", "ada@example.com", "pw")
    backup = tmp_path / "climb.sqlite3"
    run("backup_database", str(backup))
    users.create_user("later", "later@example.com", "pw")
    monkeypatch.setattr("sys.stdin", StringIO(piped))
    with pytest.raises(CommandError, match="run this again with --noinput. Nothing changed."):
        run("restore_database", str(backup))
    assert users.filter(username="later").exists()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own backup")
def test_a_restore_into_a_database_being_written_is_refused_not_left_waiting(tmp_path):
    """SQLite's backup retries a busy step without end: a restore while someone holds the
    write lock (here this test's own open transaction) waited for ever."""
    from django.db import transaction

    get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    backup = tmp_path / "climb.sqlite3"
    run("backup_database", str(backup))
    with transaction.atomic():
        get_user_model().objects.create_user("grace", "grace@example.com", "pw")
        with pytest.raises(CommandError, match="busy"):
            run("restore_database", str(backup), "--noinput")
    assert get_user_model().objects.count() == 2  # nothing restored over it
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's own tools")
def test_on_postgresql_the_commands_name_pg_dump_and_pg_restore(tmp_path):
    with pytest.raises(CommandError, match="pg_dump --format=custom"):
        run("backup_database", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="pg_amcheck"):
        run("check_database")


@pytest.mark.parametrize(
    ("username", "email", "says"),
    [
        ("ADA", "new@example.com", "already taken"),
        ("grace@home", "new@example.com", "cannot contain '@'"),
        ("grace", "ADA@example.com", "email address"),
    ],
)
def test_createsuperuser_keeps_the_account_rules(username, email, says):
    """It made 'ADA' beside 'ada' (then the unique index's traceback) and took '@' in names."""
    users = get_user_model().objects
    users.create_user("ada", "ada@example.com", "pw")
    with pytest.raises(CommandError, match=says):
        call_command("createsuperuser", "--noinput", username=username, email=email)
    assert list(users.values_list("username", flat=True)) == ["ada"]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own backup")
def test_a_restore_from_another_database_or_unconfirmed_changes_nothing(tmp_path, monkeypatch):
    import sqlite3

    get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    stranger = tmp_path / "stranger.sqlite3"
    with sqlite3.connect(stranger) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(CommandError, match="is not a Climb database, nothing changed"):
        run("restore_database", str(stranger), "--noinput")

    backup = tmp_path / "climb.sqlite3"
    run("backup_database", str(backup))
    get_user_model().objects.create_user("grace", "grace@example.com", "pw")
    questions = []
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: questions.append(prompt) or "y")
    with pytest.raises(CommandError, match="Nothing changed."):
        run("restore_database", str(backup))
    assert "Are the app servers stopped?" in questions[0]
    assert get_user_model().objects.count() == 2
