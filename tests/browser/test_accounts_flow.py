"""Answers given before signing up stay with the learner once they have an account."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .helpers import SENIOR_PIECE, answer_wrong_then_wait, has_class, step


def test_anonymous_answers_are_kept_after_signing_up(live_server, demo, page: Page):
    from climb.learning.models import Answer

    page.goto(live_server.url + SENIOR_PIECE)
    question = answer_wrong_then_wait(page, 1)

    # The header's link comes back to the page being read.
    page.get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/\?next="))
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("a long and uncommon passphrase 7")
    page.get_by_label("Password confirmation").fill("a long and uncommon passphrase 7")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(re.escape(SENIOR_PIECE) + "$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(step(page, 1).locator(".feedback .verdict")).to_contain_text("Not quite.")
    expect(step(page, 2)).to_have_class(has_class("is-open"))
    answer = Answer.objects.get()
    assert answer.question_id == question
    assert answer.learner.user.get_username() == "ada"

    page.get_by_role("link", name="My progress").click()

    recent = page.get_by_role("region", name="Recent answers")
    row = recent.get_by_role("row").filter(has_text="The lock is exclusive, the writes are not")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Leader election: code and log reading")
    expect(row.get_by_role("cell", name="Wrong")).to_be_visible()
