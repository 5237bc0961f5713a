"""Answering with JavaScript: htmx swaps the verdict and the next step in, no page reload."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .helpers import (
    SENIOR_PIECE,
    answer,
    answer_wrong_then_wait,
    choice_indexes,
    has_class,
    question_id,
    step,
)


def test_answers_swap_in_without_a_reload_and_a_wrong_one_can_be_retried(
    live_server, demo, page: Page
):
    from climb.learning.models import Answer

    page.goto(live_server.url + SENIOR_PIECE)
    expect(step(page, 2)).to_have_class(has_class("is-locked"))
    # A full page load would start a new window object and lose this.
    page.evaluate("window.__marker = 1")
    question = question_id(page, 1)
    correct, wrong = choice_indexes(question)

    answer(page, 1, wrong)

    feedback = step(page, 1).locator(".feedback")
    expect(feedback.locator(".verdict")).to_contain_text("Not quite.")
    # The verdict takes focus, so keyboard and screen-reader users carry on from it.
    expect(feedback).to_be_focused()
    assert page.evaluate("window.__marker") == 1
    expect(step(page, 2)).to_have_class(has_class("is-open"))
    expect(step(page, 2).get_by_role("button", name="Check answer")).to_be_visible()
    # The correct answer stays behind a click; the retry form stays.
    expect(feedback.locator(".correct-choice")).to_be_hidden()
    expect(
        step(page, 1).get_by_role("group", name="Try again: choose another answer")
    ).to_be_visible()

    answer(page, 1, correct)

    expect(step(page, 1).locator(".feedback .verdict")).to_contain_text("Right, on attempt 2.")
    expect(step(page, 1).locator("form.quiz-form")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1
    attempts = list(
        Answer.objects.filter(question_id=question)
        .order_by("attempt")
        .values_list("attempt", "is_correct")
    )
    assert attempts == [(1, False), (2, True)]

    # A right first answer explains why each other choice is wrong.
    correct, _ = choice_indexes(question_id(page, 2))
    answer(page, 2, correct)
    feedback = step(page, 2).locator(".feedback")
    expect(feedback.locator(".verdict")).to_contain_text("Right.")
    feedback.get_by_text("Why the other choices are wrong").click()
    expect(feedback.locator(".other-choices dt").first).to_be_visible()
    expect(step(page, 3)).to_have_class(has_class("is-open"))
    assert page.evaluate("window.__marker") == 1


def test_a_tried_choice_cannot_be_picked_again(live_server, demo, page: Page):
    page.goto(live_server.url + SENIOR_PIECE)
    _, wrong = choice_indexes(question_id(page, 1))
    answer(page, 1, wrong)
    radios = step(page, 1).get_by_role("radio")
    expect(radios.nth(wrong)).to_be_disabled()
    page.keyboard.press(str(wrong + 1))  # its digit does nothing either
    expect(radios.nth(wrong)).not_to_be_checked()
    page.keyboard.press(str((wrong + 1) % radios.count() + 1))
    expect(radios.nth((wrong + 1) % radios.count())).to_be_checked()


def test_an_answer_that_fails_to_arrive_or_fails_on_the_server_says_so(
    live_server, demo, page: Page
):
    page.goto(live_server.url + SENIOR_PIECE)
    correct, _ = choice_indexes(question_id(page, 1))
    toast = page.locator("#toast")

    page.route("**/answer/", lambda route: route.abort("internetdisconnected"))
    answer(page, 1, correct)
    expect(toast).to_contain_text("Could not reach Climb")
    page.unroute("**/answer/")

    page.route("**/answer/", lambda route: route.fulfill(status=502, body="Bad gateway"))
    answer(page, 1, correct)
    expect(toast).to_contain_text("Something went wrong on our side")
    page.unroute("**/answer/")

    # The database out of reach (climb.errors.server_error): a 503, to try again shortly.
    unavailable = {"status": 503, "headers": {"Retry-After": "5"}, "body": "Unavailable"}
    page.route("**/answer/", lambda route: route.fulfill(**unavailable))
    answer(page, 1, correct)
    expect(toast).to_contain_text("Climb is briefly unavailable. Try again in a few seconds.")
    page.unroute("**/answer/")

    # The question is still there, and answering now works.
    expect(step(page, 1).get_by_role("button", name="Check answer")).to_be_enabled()
    answer(page, 1, correct)
    expect(step(page, 1).locator(".feedback .verdict")).to_contain_text("Right.")


def test_a_stale_page_says_so_in_the_quiz_instead_of_swapping_in_an_error_page(
    live_server, demo, page: Page
):
    page.goto(live_server.url + SENIOR_PIECE)
    correct, _ = choice_indexes(question_id(page, 1))
    # As if the reader had logged in or out in another tab: the page's token no longer fits.
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "csrftoken", "value": "x" * 32, "url": live_server.url}])
    answer(page, 1, correct)
    expect(step(page, 1).locator(".quiz-error")).to_contain_text("This page has gone stale.")
    expect(step(page, 1).get_by_role("button", name="Check answer")).to_be_visible()


def test_answering_in_a_second_tab_shows_the_first_tabs_answer_and_says_why(
    live_server, demo, page: Page
):
    page.goto(live_server.url + SENIOR_PIECE)
    other = page.context.new_page()  # the same reader, another tab, opened before answering
    other.goto(live_server.url + SENIOR_PIECE)
    correct, wrong = choice_indexes(question_id(page, 1))
    answer(page, 1, wrong)
    expect(step(page, 1).locator(".feedback .verdict")).to_contain_text("Not quite.")

    answer(other, 1, correct)  # the stale tab still offers attempt 1
    expect(step(other, 1).locator(".feedback .verdict")).to_contain_text("Not quite.")
    expect(other.locator("#toast")).to_contain_text("You had already answered this in another tab")


def test_an_error_toast_stays_until_dismissed(live_server, demo, page: Page):
    """The accessibility audit: an error toast emptied itself after a few seconds and left
    nothing behind, whatever the reader's pace. It now stays until dismissed (its button,
    or Escape); a passing remark still goes by itself."""
    page.clock.install()
    page.goto(live_server.url + SENIOR_PIECE)
    correct, _ = choice_indexes(question_id(page, 1))
    toast = page.locator("#toast")
    page.route("**/answer/", lambda route: route.fulfill(status=502, body="Bad gateway"))
    answer(page, 1, correct)
    expect(toast).to_contain_text("Something went wrong on our side")
    page.clock.run_for(60_000)
    expect(toast).to_contain_text("Something went wrong on our side")
    dismiss = page.get_by_role("button", name="Dismiss")
    expect(toast.get_by_role("button")).to_have_count(0)  # not read out as the message
    check = step(page, 1).get_by_role("button", name="Check answer")
    check.focus()
    dismiss.focus()  # reached from the quiz's button...
    page.keyboard.press("Enter")
    expect(toast).to_be_empty()
    expect(dismiss).to_be_hidden()
    expect(check).to_be_focused()  # ...and back there, not to the top of the page

    answer(page, 1, correct)
    expect(toast).to_contain_text("Something went wrong on our side")
    page.locator("body").press("Escape")
    expect(toast).to_be_empty()
    page.unroute("**/answer/")

    page.locator("body").press("t")  # a piece at one tier: a remark that goes by itself
    expect(toast).to_have_text("This piece is written at one tier only.")
    page.clock.run_for(10_000)
    expect(toast).to_be_empty()


def test_a_locked_step_leads_to_the_open_question_which_the_keys_then_answer(
    live_server, demo, page: Page
):
    """A search hit's #step-N on a step still locked: its link goes up to the open question,
    focus lands there, and the digits and Enter answer that one (not step 1's retry form,
    the first open form on the page). The answer, swapped in by htmx, points the remaining
    placeholder at the question it opened."""
    page.goto(live_server.url + SENIOR_PIECE)
    first = answer_wrong_then_wait(page, 1)  # step 1 keeps its retry form
    second = question_id(page, 2)
    page.goto(live_server.url + "/")  # a fresh load of the piece below, not a fragment move

    page.goto(live_server.url + SENIOR_PIECE + "#step-4")

    link = step(page, 4).get_by_role("link", name="Go to the open question in step 2")
    expect(link).to_be_in_viewport()
    expect(link).to_have_attribute("href", f"#question-{second}")
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")

    target = page.locator(f"#question-{second}")
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    correct, _ = choice_indexes(second)
    page.keyboard.press(str(correct + 1))
    expect(step(page, 2).get_by_role("radio").nth(correct)).to_be_checked()
    assert step(page, 1).locator("input[type=radio]:checked").count() == 0
    page.keyboard.press("Enter")

    expect(step(page, 2).locator(".feedback .verdict")).to_contain_text("Right.")
    expect(step(page, 3)).to_have_class(has_class("is-open"))
    third = question_id(page, 3)
    assert third not in (first, second)
    expect(
        step(page, 4).get_by_role("link", name="Go to the open question in step 3")
    ).to_have_attribute("href", f"#question-{third}")
