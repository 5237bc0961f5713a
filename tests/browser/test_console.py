"""No page logs a console error or throws.

The site sends a strict Content-Security-Policy (no inline script or style): Chromium reports
every violation as a console error, so these tests also prove the pages comply with it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .helpers import CLIMB, SENIOR_PIECE, answer_wrong_then_wait, step

# What Chromium logs for any response with status 404, the main document included.
NOT_FOUND_LOG = "Failed to load resource: the server responded with a status of 404 (Not Found)"


@pytest.fixture
def console_log(page: Page) -> list[tuple[str, str]]:
    """(message, URL it was logged for) of every console error and uncaught exception."""
    log: list[tuple[str, str]] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.append((message.text, message.location.get("url", "")))

    page.on("console", on_console)
    page.on("pageerror", lambda error: log.append((str(error), page.url)))
    return log


def test_reading_pages_and_the_404_page_log_no_errors(live_server, demo, page: Page, console_log):
    for path, title in [
        ("/", "Climb"),
        (CLIMB, "Distributed Systems"),
        (SENIOR_PIECE, "Leader election: code and log reading"),
        ("/search/?q=lease", "Search: lease"),
        ("/progress/", "My progress"),
        ("/about/altitude/", "altitude"),
        ("/accounts/login/", "Log in"),
        ("/accounts/signup/", "Sign up"),
        ("/accounts/password/reset/", "password"),
    ]:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        expect(page).to_have_title(re.compile(re.escape(title)))
        assert console_log == [], path

    url = live_server.url + CLIMB + "no-such-piece/senior/"
    response = page.goto(url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("There is nothing at this address")
    # Chromium logs a 404 status for the main document too (unlike what one might expect):
    # that one line, for this very URL, is the browser reporting the status we asked for.
    # Anything else, a 404 on a stylesheet or script included, is a real error.
    assert [entry for entry in console_log if entry != (NOT_FOUND_LOG, url)] == []


def test_answering_and_the_pages_after_it_log_no_errors(live_server, demo, page: Page, console_log):
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page, 1)
    # Open and close the panels, press the shortcuts that stay on the page.
    page.keyboard.press("?")
    page.keyboard.press("Escape")
    page.keyboard.press("t")
    expect(page.get_by_role("status")).to_be_visible()
    step(page, 1).get_by_text("Show the correct answer and why").click()
    assert console_log == []

    for path in [SENIOR_PIECE, CLIMB, "/", "/progress/"]:
        page.goto(live_server.url + path)
        assert console_log == [], path
