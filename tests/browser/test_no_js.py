"""Without JavaScript the quiz is a plain form: post, redirect, the page back at the step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from .helpers import SENIOR_PIECE, answer, choice_indexes, has_class, question_id, step


@pytest.fixture
def no_js_page(browser: Browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_answering_without_javascript_comes_back_at_the_same_step(
    live_server, demo, no_js_page: Page
):
    from climb.learning.models import Answer

    page = no_js_page
    page.goto(live_server.url + SENIOR_PIECE)
    expect(step(page, 2)).to_have_class(has_class("is-locked"))
    # No script, no shortcuts: neither the panel that lists them nor the "/" beside Search
    # is shown (the keyboard audit).
    expect(page.locator("details#shortcuts")).to_be_hidden()
    expect(page.locator(".nav-kbd")).to_be_hidden()
    # Nor the 1-4 beside the choices, which name keys that pick nothing without quiz.js.
    expect(step(page, 1).locator(".choice-key").first).to_be_hidden()
    expect(page.locator("nav.site-nav").get_by_role("link", name="Search")).to_be_visible()
    question = question_id(page, 1)
    correct, wrong = choice_indexes(question)

    with page.expect_navigation():
        answer(page, 1, wrong)

    expect(page).to_have_url(re.compile(re.escape(SENIOR_PIECE) + f"#feedback-{question}$"))
    expect(step(page, 1).locator(".feedback .verdict")).to_contain_text("Not quite.")
    # The page comes back scrolled to the verdict, not to the top of the step above it.
    expect(step(page, 1).locator(".feedback .verdict")).to_be_in_viewport()
    expect(step(page, 2)).to_have_class(has_class("is-open"))
    expect(step(page, 2).get_by_role("button", name="Check answer")).to_be_visible()
    # <details> needs no script: the correct answer is one click away.
    step(page, 1).get_by_text("Show the correct answer and why").click()
    expect(step(page, 1).locator(".correct-choice")).to_be_visible()

    with page.expect_navigation():
        answer(page, 1, correct)

    expect(step(page, 1).locator(".feedback .verdict")).to_contain_text("Right, on attempt 2.")
    assert list(
        Answer.objects.filter(question_id=question).values_list("attempt", "is_correct")
    ) == [(1, False), (2, True)]
