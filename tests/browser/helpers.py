"""What the browser tests share: the demo pages they read and how to answer a question.

The page never contains which choice is correct (a test in tests/test_pages.py pins that), so
the tests ask the database, as a learner who had read the explanation would know.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

CLIMB = "/climbs/distributed-systems/"
# Senior, one tier only, four steps: the piece the quiz tests answer.
SENIOR_PIECE = CLIMB + "leader-election-code-and-log-reading/senior/"
# The first piece of the climb, written at two tiers (Zero and Junior).
TWO_TIER_ZERO = CLIMB + "what-is-a-leader/zero/"
TWO_TIER_JUNIOR = CLIMB + "what-is-a-leader/junior/"
# The piece after it in the climb.
SECOND_PIECE = CLIMB + "dead-or-slow/zero/"


def has_class(name: str) -> re.Pattern[str]:
    """For expect(...).to_have_class(): the element has this class, among others."""
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def step(page: Page, number: int) -> Locator:
    return page.locator(f"li.step#step-{number}")


def question_id(page: Page, number: int) -> int:
    """The id of the question in step `number`, as its form posts it."""
    return int(step(page, number).locator('input[name="question"]').input_value())


def choice_indexes(question: int) -> tuple[int, int]:
    """(index of the correct choice, index of the first wrong one), in the page's order."""
    from lessons.models import Choice

    # The order TierVersion.objects.for_reading() prefetches them in.
    choices = Choice.objects.filter(question_id=question).order_by("position", "id")
    correct = list(choices.values_list("is_correct", flat=True))
    return correct.index(True), correct.index(False)


def answer(page: Page, number: int, index: int) -> None:
    """Pick choice `index` (0-based) in step `number` and submit it, as a mouse user would."""
    quiz = step(page, number)
    quiz.get_by_role("radio").nth(index).check()
    quiz.get_by_role("button", name="Check answer").click()


def answer_wrong_then_wait(page: Page, number: int = 1) -> int:
    """Answer step `number` wrong, wait for the verdict; returns the question's id."""
    question = question_id(page, number)
    _, wrong = choice_indexes(question)
    answer(page, number, wrong)
    expect(step(page, number).locator(".feedback .verdict")).to_contain_text("Not quite.")
    return question


def sign_in(page: Page, live_server, username: str):
    """The browser gets the session of a new user signed in by Django's test client."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_user(username)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return user
