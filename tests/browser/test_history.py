"""Back, Forward and the header's return addresses show the reader's page as it is now."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .helpers import CLIMB, SENIOR_PIECE, answer, choice_indexes, has_class, question_id, step


def piece_card(page: Page, title: str):
    return page.locator("li.piece-card").filter(has_text=title)


def test_back_and_forward_show_progress_made_since(live_server, demo, page: Page):
    """The audit's case: with a session started, Back brought a piece page back from the
    browser's store with its answered step open again (answering it met "already answered in
    another tab"), and the climb page "not started"."""
    page.goto(live_server.url + SENIOR_PIECE)
    correct, _ = choice_indexes(question_id(page, 1))
    answer(page, 1, correct)  # the session starts here
    expect(step(page, 1).locator(".feedback .verdict")).to_contain_text("Right.")
    page.goto(live_server.url + CLIMB)
    expect(piece_card(page, "code and log reading")).to_have_class(has_class("is-in-progress"))
    page.goto(live_server.url + SENIOR_PIECE)
    correct, _ = choice_indexes(question_id(page, 2))
    answer(page, 2, correct)
    expect(step(page, 2).locator(".feedback .verdict")).to_contain_text("Right.")
    page.get_by_role("link", name="Climb", exact=True).first.click()  # the logo
    expect(page).to_have_url(live_server.url + "/")

    page.go_back()
    expect(page).to_have_url(live_server.url + SENIOR_PIECE)
    expect(step(page, 2).locator(".feedback .verdict")).to_contain_text("Right.")
    expect(step(page, 3)).to_have_class(has_class("is-open"))
    page.go_back()
    expect(page).to_have_url(live_server.url + CLIMB)
    page.go_forward()
    expect(page).to_have_url(live_server.url + SENIOR_PIECE)
    expect(step(page, 2).locator(".feedback .verdict")).to_contain_text("Right.")


def test_a_page_restored_from_memory_is_fetched_again(live_server, demo, page: Page):
    page.goto(live_server.url + SENIOR_PIECE)
    page.evaluate("window.__marker = 1")
    with page.expect_navigation():
        page.evaluate(
            "window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))"
        )
    assert page.evaluate("window.__marker") is None


def test_the_language_switch_and_log_in_follow_the_address_htmx_moved_to(
    live_server, demo, page: Page
):
    page.goto(live_server.url + "/search/")
    page.locator("#search-q").fill("lease")
    expect(page).to_have_url(live_server.url + "/search/?q=lease")
    login = page.get_by_role("link", name="Log in")
    expect(login).to_have_attribute("href", "/accounts/login/?next=%2Fsearch%2F%3Fq%3Dlease")
    page.get_by_role("button", name="RU").click()
    expect(page).to_have_url(live_server.url + "/ru/search/?q=lease")
    expect(page.locator("#search-q")).to_have_value("lease")


def test_coming_back_to_a_search_puts_the_caret_after_the_query(live_server, demo, page: Page):
    """The audit's case: after Back, a reload or the language switch, the field had focus with
    the caret before the query, and typing went in front of it."""
    field = page.locator("#search-q")
    caret = "[document.activeElement.selectionStart, document.activeElement.selectionEnd]"

    page.goto(live_server.url + "/search/?q=leader")
    expect(field).to_be_focused()
    assert page.evaluate(caret) == [6, 6]
    page.reload()
    expect(field).to_be_focused()
    assert page.evaluate(caret) == [6, 6]
    page.get_by_role("button", name="RU").click()
    expect(page).to_have_url(live_server.url + "/ru/search/?q=leader")
    expect(field).to_be_focused()
    page.keyboard.type(" lease")
    expect(field).to_have_value("leader lease")


def test_climbing_a_piece_again_says_so_and_starts_there(live_server, demo, page: Page):
    """The audit's case: after "Climb it again" the page came back with focus on <body> and
    nothing saying a new round had begun."""
    page.goto(live_server.url + SENIOR_PIECE)
    for number in range(1, 5):
        correct, wrong = choice_indexes(question_id(page, number))
        if number <= 2:  # two misses of four: not cleared
            answer(page, number, wrong)
            expect(step(page, number).locator(".feedback .verdict")).to_contain_text("Not quite.")
        answer(page, number, correct)
        expect(step(page, number).locator(".feedback .verdict")).to_contain_text("Right")
    page.get_by_role("button", name="Climb it again").click()
    # The message is at step 1, where the page comes back, and has focus there: the first
    # Tab goes on into the step, not to the top of the page (the keyboard audit).
    message = step(page, 1).locator(".page-messages")
    expect(message).to_contain_text("Round 2: the steps start over")
    expect(message).to_be_focused()
    expect(page.locator(".page-messages")).to_have_count(1)
    expect(step(page, 1)).to_have_class(has_class("is-open"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#step-1') !== null")


def test_paging_the_dashboard_to_its_last_page_keeps_the_keyboard_there(
    live_server, demo, page: Page
):
    """The team audit's case: "Next page" on the way to the last page disappeared with the
    swap, and focus fell to <body> (the next Tab went below the table)."""
    from django.contrib.auth import get_user_model

    from climb.teams.models import Membership, Team

    from .helpers import sign_in

    owner = sign_in(page, live_server, "olga")
    team = Team.create_with_owner("Platform", owner)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"member{n:03d}") for n in range(55)
    )
    Membership.objects.bulk_create(Membership(team=team, user=user) for user in users)
    page.goto(f"{live_server.url}/teams/{team.pk}/")
    page.locator("#page-next").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("#dashboard .table-scroll").first).to_be_focused()


def test_a_sort_is_read_out_on_the_dashboard(live_server, demo, page: Page):
    from climb.teams.models import Team

    from .helpers import sign_in

    owner = sign_in(page, live_server, "olga")
    team = Team.create_with_owner("Platform", owner)
    page.goto(f"{live_server.url}/teams/{team.pk}/")
    status = page.locator("#dashboard-status")
    expect(status).to_have_text("")
    page.locator("#sort-active").click()
    expect(status).to_contain_text("sorted by Last active")
    expect(status).to_have_attribute("role", "status")
