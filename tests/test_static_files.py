"""collectstatic as `make serve` runs it: instances on one machine share the folder."""

from __future__ import annotations

import fcntl
import json
from io import StringIO

import pytest
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as DjangoCollectStatic,
)
from django.core.management import call_command


@pytest.fixture
def folders(settings, tmp_path):
    """A stylesheet to collect, into a folder of our own, with production's hashed names."""
    source = tmp_path / "source"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black; }\n")
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    return source, tmp_path / "static"


def collect() -> str:
    out = StringIO()
    call_command("collectstatic", "--noinput", stdout=out)
    return out.getvalue()


def collected(static, name: str):
    """The file `name` is served as: its hashed name from the manifest."""
    paths = json.loads((static / "staticfiles.json").read_text())["paths"]
    return static / paths[name]


def test_collecting_again_leaves_the_files_being_served_alone(folders):
    """Each `make serve` collected again, deleting and rewriting every stylesheet under the
    instances still serving them: a request in between was a 500, and two instances started
    together stopped one another's `make serve` with a FileNotFoundError."""
    source, static = folders
    collect()
    served = collected(static, "css/site.css")
    served.write_text(served.read_text() + "/* as served */\n")

    assert "nothing to do" in collect()
    assert served.read_text().endswith("/* as served */\n")


def test_a_changed_source_is_collected_again(folders):
    source, static = folders
    collect()
    (source / "css" / "site.css").write_text("body { color: navy; }\n")

    assert "nothing to do" not in collect()
    assert "navy" in collected(static, "css/site.css").read_text()


def test_a_collected_file_removed_since_is_collected_again(folders):
    source, static = folders
    collect()
    collected(static, "css/site.css").unlink()

    collect()
    assert "black" in collected(static, "css/site.css").read_text()


def test_clear_collects_again_whatever_is_there(folders):
    source, static = folders
    collect()
    out = StringIO()
    call_command("collectstatic", "--noinput", "--clear", stdout=out)
    assert "nothing to do" not in out.getvalue()
    assert "black" in collected(static, "css/site.css").read_text()


def test_runs_into_one_folder_take_turns(folders, monkeypatch):
    """While one run collects, another waits: the lock beside the folder is taken."""
    source, static = folders
    seen = []
    django_collect = DjangoCollectStatic.collect

    def collect_and_probe(command):
        with open(f"{static}.collected", "a+") as marker:
            try:
                fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen.append("waits")
            else:
                seen.append("would run at once")
                fcntl.flock(marker, fcntl.LOCK_UN)
        return django_collect(command)

    monkeypatch.setattr(DjangoCollectStatic, "collect", collect_and_probe)
    collect()
    assert seen == ["waits"]


def test_a_run_after_one_with_link_copies_the_files_in_place_of_the_links(folders):
    """Django's own collectstatic replaces a --link run's links with copies; a run that found
    the sources unchanged left the links, into the source folders that an upgrade changes
    under the instances serving them."""
    source, static = folders
    call_command("collectstatic", "--noinput", "--link", stdout=StringIO())
    assert (static / "css" / "site.css").is_symlink()

    assert "nothing to do" not in collect()
    assert not (static / "css" / "site.css").is_symlink()
    assert "nothing to do" in collect()


def test_a_dry_run_writes_nothing_beside_the_folder(folders):
    """--dry-run is "everything except modify the filesystem": it made the lock file."""
    source, static = folders
    call_command("collectstatic", "--noinput", "--dry-run", stdout=StringIO())
    assert not static.exists()
    assert not static.with_name("static.collected").exists()
