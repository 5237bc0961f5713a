"""Browser tests: Playwright for Python driving Debian's Chromium at /usr/bin/chromium.

Playwright never downloads a browser here. Without Chromium the tests are skipped with a
clear reason, unless CLIMB_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser fails.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CLIMB_CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = shutil.which(CHROMIUM) is not None

# The sync Playwright API runs an event loop in the test thread; Django's ORM refuses to run
# in a thread with a running loop unless told it is safe (it is: the loop is Playwright's).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "tests/browser/" in str(item.fspath)]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if HAVE_CHROMIUM:
        return
    if os.environ.get("CLIMB_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(
            f"CLIMB_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM} "
            "(apt-get install chromium)"
        )
    skip = pytest.mark.skip(
        reason=f"browser tests need Chromium at {CHROMIUM}: apt-get install chromium"
    )
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


_DEMO_ROWS: list = []


@pytest.fixture
def demo(transactional_db):
    """The demo climb in the live server's database (flushed after every browser test).

    The first test imports the lesson files; later ones restore the same rows, which skips
    parsing and rendering (about five times faster under load).
    """
    from django.core import serializers
    from django.core.management import call_command

    from lessons.models import Choice, Climb, Piece, Question, Source, Step, TierVersion

    models = (Climb, Piece, TierVersion, Source, Step, Question, Choice)
    if not _DEMO_ROWS:
        call_command("load_demo", verbosity=0)
        for model in models:
            _DEMO_ROWS.append(serializers.serialize("python", model.objects.all()))
        return
    for rows in _DEMO_ROWS:
        for obj in serializers.deserialize("python", rows):
            obj.save()


@pytest.fixture
def console_errors(page):
    """Every console error and page error the test's page reports."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
