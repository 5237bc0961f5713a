"""Take the README's screenshot: a piece page in the middle of a quiz.

    .venv/bin/python tests/browser/screenshot.py [URL] [OUT]

Opens URL (by default the demo's senior piece on http://127.0.0.1:8000/, so run `make run`
first) in Debian's Chromium, answers the first question wrong, opens "Show the correct
answer and why", and saves a 1280x1600 PNG of the feedback and the step it opened to OUT
(docs/screenshot-piece.png). Playwright never downloads a browser: it drives /usr/bin/chromium
(or $CLIMB_CHROMIUM) with the flags the browser tests use.

The page never says which choice is right, so the script answers the first choice in a fresh
session and, if that one happened to be right, again as a new anonymous visitor with the
second. The server's database keeps those anonymous answers, as it keeps anyone's.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_URL = (
    "http://127.0.0.1:8000/climbs/distributed-systems/leader-election-code-and-log-reading/senior/"
)
DEFAULT_OUT = ROOT / "docs" / "screenshot-piece.png"
CHROMIUM = os.environ.get("CLIMB_CHROMIUM", "/usr/bin/chromium")
# The same flags as tests/browser/conftest.py.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 1600}
# The quiz at the top, with half the gap above it: no sliver of the snippet before it.
SCROLL_TO_QUIZ = """quiz => {
    const top = quiz.getBoundingClientRect().top + window.scrollY;
    const before = quiz.previousElementSibling || quiz.parentElement;
    const gap = top - (before.getBoundingClientRect().bottom + window.scrollY);
    window.scrollTo(0, top - Math.max(0, Math.min(gap, 48)) / 2);
}"""


def answer_first_question_wrong(browser: Browser, url: str) -> Page:
    """A page, in a fresh session, whose first question was just answered wrong."""
    for index in range(2):
        # Reduced motion: no colour transition still running when the picture is taken.
        context = browser.new_context(
            viewport=VIEWPORT, color_scheme="light", reduced_motion="reduce"
        )
        page = context.new_page()
        page.goto(url)
        step = page.locator("li.step").first
        step.get_by_role("radio").nth(index).check()
        step.get_by_role("button", name="Check answer").click()
        verdict = step.locator(".feedback .verdict")
        expect(verdict).to_be_visible()
        if "Not quite." in verdict.inner_text():
            return page
        context.close()  # That choice was the right one: the other is wrong.
    raise SystemExit("could not answer the first question wrong: is this a piece page?")


def take(url: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = answer_first_question_wrong(browser, url)
            first = page.locator("li.step").first
            first.get_by_text("Show the correct answer and why").click()
            # htmx moved focus to the verdict; its focus ring is for keyboard users, not here.
            page.evaluate("document.activeElement && document.activeElement.blur()")
            # Start at the quiz, so the picture reads down: the question, the verdict and why,
            # the retry, and the next step the answer opened.
            page.mouse.move(0, 0)  # nothing hovered
            first.locator(".quiz").evaluate(SCROLL_TO_QUIZ)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL, help="a piece page of a server")
    parser.add_argument("out", nargs="?", default=DEFAULT_OUT, type=Path, help="the PNG to write")
    args = parser.parse_args()
    take(args.url, args.out)


if __name__ == "__main__":
    main()
