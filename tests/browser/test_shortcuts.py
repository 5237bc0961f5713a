"""The keyboard shortcuts of static/js/ (climb.js, search.js, quiz.js), pressed in a browser.

A test per shortcut family rather than per key: each test pays for loading the demo climb.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .helpers import (
    SECOND_PIECE,
    SENIOR_PIECE,
    TWO_TIER_JUNIOR,
    TWO_TIER_ZERO,
    answer_wrong_then_wait,
    choice_indexes,
    has_class,
    question_id,
    step,
)


def ends_with(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(path) + "$")


def test_j_and_k_go_to_the_next_and_previous_piece(live_server, demo, page: Page):
    page.goto(live_server.url + TWO_TIER_ZERO)
    page.evaluate("window.__marker = 1")

    # The first piece has no previous one: a toast says so, the page stays.
    page.keyboard.press("k")
    expect(page.get_by_role("status")).to_have_text("This is the first piece of the climb.")
    assert page.evaluate("window.__marker") == 1

    page.keyboard.press("j")
    expect(page).to_have_url(ends_with(SECOND_PIECE))

    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(r"/what-is-a-leader/(zero/)?$"))


def test_letter_shortcuts_work_on_a_russian_keyboard_layout(live_server, demo, page: Page):
    """The physical J key types "о" on a Russian layout, and Ctrl-K is Ctrl-л."""
    page.goto(live_server.url + "/ru" + TWO_TIER_ZERO)
    page.dispatch_event("body", "keydown", {"key": "о", "code": "KeyJ", "bubbles": True})
    expect(page).to_have_url(ends_with("/ru" + SECOND_PIECE))
    page.dispatch_event(
        "body", "keydown", {"key": "л", "code": "KeyK", "ctrlKey": True, "bubbles": True}
    )
    expect(page).to_have_url(ends_with("/ru/search/"))


def test_the_slash_key_searches_on_a_russian_keyboard_layout(live_server, demo, page: Page):
    """The key with / on a US keyboard types "." on a Russian one, and "," with Shift."""
    page.goto(live_server.url + "/ru" + TWO_TIER_ZERO)
    page.dispatch_event(
        "body", "keydown", {"key": ",", "code": "Slash", "shiftKey": True, "bubbles": True}
    )
    expect(page.locator("#shortcuts")).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    page.dispatch_event("body", "keydown", {"key": ".", "code": "Slash", "bubbles": True})
    expect(page).to_have_url(ends_with("/ru/search/"))


def test_t_cycles_the_tier_and_says_when_there_is_one(live_server, demo, page: Page):
    page.goto(live_server.url + TWO_TIER_ZERO)

    page.keyboard.press("t")
    expect(page).to_have_url(ends_with(TWO_TIER_JUNIOR))
    # Past the highest tier it wraps round to the lowest.
    page.keyboard.press("t")
    expect(page).to_have_url(ends_with(TWO_TIER_ZERO))

    page.goto(live_server.url + SENIOR_PIECE)
    page.evaluate("window.__marker = 1")
    page.keyboard.press("t")
    expect(page.get_by_role("status")).to_have_text("This piece is written at one tier only.")
    assert page.evaluate("window.__marker") == 1
    expect(page).to_have_url(ends_with(SENIOR_PIECE))


def test_question_mark_opens_the_shortcuts_panel_and_escape_closes_it(
    live_server, demo, page: Page
):
    page.goto(live_server.url + SENIOR_PIECE)
    panel = page.locator("details#shortcuts")
    expect(panel).to_have_js_property("open", False)

    page.keyboard.press("?")
    expect(panel).to_have_js_property("open", True)
    expect(panel.get_by_text("Cycle the tier of this piece")).to_be_visible()
    expect(panel.locator("summary")).to_be_focused()

    page.keyboard.press("Escape")
    expect(panel).to_have_js_property("open", False)

    # A reader whose focus was nowhere (reading with the mouse) is brought back to where
    # they were reading, not left at the foot of the page (a newcomer's first session).
    page.locator("#step-1").scroll_into_view_if_needed()
    page.evaluate("document.activeElement.blur()")
    before = page.evaluate("window.scrollY")
    page.keyboard.press("?")
    expect(panel).to_have_js_property("open", True)
    assert page.evaluate("window.scrollY") != before
    page.keyboard.press("Escape")
    expect(panel).to_have_js_property("open", False)
    assert abs(page.evaluate("window.scrollY") - before) <= 2
    # Focus is not left on the <summary> at the foot of the page: Space scrolls the page
    # on, rather than opening the panel again (the keyboard audit).
    expect(panel.locator("summary")).not_to_be_focused()
    page.keyboard.press("Space")
    for _ in range(20):  # Space scrolls smoothly: wait for it (CSP forbids wait_for_function)
        if page.evaluate("window.scrollY") > before + 2:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.scrollY") > before + 2
    expect(panel).to_have_js_property("open", False)

    # Reachable without a keyboard too: it is a plain <details>.
    panel.get_by_text("Keyboard shortcuts").click()
    expect(panel).to_have_js_property("open", True)


def test_question_mark_opens_the_shortcuts_on_pages_other_than_pieces(
    live_server, demo, page: Page
):
    for path in ("/", "/progress/"):
        page.goto(live_server.url + path)
        panel = page.locator("footer details#shortcuts")
        page.keyboard.press("?")
        expect(panel).to_have_js_property("open", True)
        expect(panel.get_by_text("Open this panel")).to_be_in_viewport()
        page.keyboard.press("Escape")
        expect(panel).to_have_js_property("open", False)


def test_digits_pick_a_choice_and_enter_submits_it(live_server, demo, page: Page):
    from climb.learning.models import Answer

    page.goto(live_server.url + SENIOR_PIECE)
    page.evaluate("window.__marker = 1")
    radios = step(page, 1).get_by_role("radio")
    correct, _ = choice_indexes(question_id(page, 1))

    page.keyboard.press("2")
    expect(radios.nth(1)).to_be_checked()
    expect(radios.nth(1)).to_be_focused()
    page.keyboard.press("3")
    expect(radios.nth(2)).to_be_checked()
    # The right one, so that step 1 closes and step 2 holds the only open question.
    page.keyboard.press(str(correct + 1))
    expect(radios.nth(correct)).to_be_checked()

    # Focus is on the radio: Enter is the browser's implicit submission, which htmx catches.
    page.keyboard.press("Enter")

    expect(step(page, 1).locator(".feedback .verdict")).to_contain_text("Right.")
    assert page.evaluate("window.__marker") == 1
    expect(step(page, 2)).to_have_class(has_class("is-open"))
    assert list(Answer.objects.values_list("attempt", "choice_index")) == [(1, correct)]

    page.keyboard.press("2")
    expect(step(page, 2).get_by_role("radio").nth(1)).to_be_checked()
    # With focus off the form (clicking text focuses <main>), Enter is climb.js's to handle.
    step(page, 2).get_by_role("heading", level=2).click()
    expect(step(page, 2).get_by_role("radio").nth(1)).not_to_be_focused()
    page.keyboard.press("Enter")

    expect(step(page, 2).locator(".feedback .verdict")).to_be_visible()
    assert page.evaluate("window.__marker") == 1
    assert Answer.objects.count() == 2


def test_after_a_wrong_answer_digits_pick_in_the_step_being_read(live_server, demo, page: Page):
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page, 1)
    # The learner moves on: clicks into step 2's text to read it, then picks with a digit.
    step(page, 2).locator(".prose").first.click()

    page.keyboard.press("1")

    # The key's handler has run when press() returns: no need to wait for anything.
    assert step(page, 2).get_by_role("radio").first.is_checked()
    assert not step(page, 1).get_by_role("radio").first.is_checked()


def test_slash_and_control_k_open_search_where_letters_are_typed(live_server, demo, page: Page):
    page.goto(live_server.url + "/")
    page.keyboard.press("/")
    expect(page).to_have_url(ends_with("/search/"))
    field = page.get_by_role("searchbox", name="Search the pieces")
    expect(field).to_be_focused()

    # In a text field the letters are text: no shortcut fires.
    page.evaluate("window.__marker = 1")
    history = page.evaluate("history.length")
    field.press_sequentially("jk t?", delay=300)
    expect(field).to_have_value("jk t?")
    # htmx searches as one types and puts the query in the URL, in place: pauses in the
    # typing leave no trail of half-words for Back to step through.
    expect(page).to_have_url(re.compile(r"/search/\?q=jk"))
    assert page.evaluate("window.__marker") == 1
    assert page.evaluate("history.length") == history
    expect(page).to_have_title("Search: jk t? · Climb")
    assert page.locator("#search-results title").count() == 0
    # What the results say goes to a live region that stays put (one swapped in already
    # filled is often not read): the accessibility audit.
    expect(page.locator("#search-status")).to_have_text(
        "Nothing matches “jk t?”. Try fewer words, or other ones."
    )
    field.fill("fencing token")
    expect(page.locator("#search-status")).to_have_text(
        re.compile(r"^\d+ results? for “fencing token”|^One result")
    )

    page.goto(live_server.url + SENIOR_PIECE)
    page.keyboard.press("Control+k")
    expect(page).to_have_url(ends_with("/search/"))
    expect(page.get_by_role("searchbox", name="Search the pieces")).to_be_focused()


def test_letters_typed_while_the_search_page_loads_reach_its_field(
    live_server, demo, page: Page, monkeypatch
):
    """The learner audit: typing straight after Ctrl K lost the letters typed before the
    search page came ("quorum" arrived as "orum"), and a "j" among them went to the next
    piece. The page being left keeps them for the search page's field."""
    import time

    from lessons import search

    def slow_render(*args, **kwargs):
        time.sleep(0.8)  # a slow network: every letter below is typed before the page comes
        return render(*args, **kwargs)

    render = search.render
    monkeypatch.setattr(search, "render", slow_render)  # the live server runs in this process
    page.goto(live_server.url + SENIOR_PIECE)
    page.keyboard.press("Control+k")
    page.keyboard.type("jitterx")
    page.keyboard.press("Backspace")
    field = page.get_by_role("searchbox", name="Search the pieces")
    expect(field).to_have_value("jitter")
    expect(page).to_have_url(re.compile(r"/search/\?q=jitter$"))  # searched as if typed there
    expect(field).to_be_focused()
    # Kept once: a later visit to the search page starts empty.
    page.goto(live_server.url + "/search/")
    expect(page.get_by_role("searchbox", name="Search the pieces")).to_have_value("")


def test_control_k_works_in_a_text_field_too(live_server, demo, page: Page):
    """The keyboard audit: the search page and log-in focus a field on load, and Ctrl K
    there was the browser's. It types nothing: it searches from a field too."""
    page.goto(live_server.url + "/search/?q=leader")
    field = page.locator("#search-q")
    expect(field).to_be_focused()
    page.keyboard.press("Control+k")
    # On the search page it selects the query, for a new search.
    assert page.evaluate(
        "[document.activeElement.selectionStart, document.activeElement.selectionEnd]"
    ) == [0, 6]
    page.keyboard.type("fencing")
    expect(field).to_have_value("fencing")

    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.press("Control+k")
    expect(page).to_have_url(ends_with("/search/"))
    expect(page.get_by_role("searchbox", name="Search the pieces")).to_be_focused()


def test_control_k_in_a_typed_form_keeps_what_was_typed(live_server, demo, page: Page):
    """The review: Ctrl K from any field left the page, and a half-filled log-in (password
    and all) was lost. With something typed in its form it stays the browser's."""
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").focus()
    page.keyboard.press("Control+k")
    page.keyboard.type("secret")
    expect(page).to_have_url(ends_with("/accounts/login/"))
    expect(page.get_by_label("Username")).to_have_value("alice")


def test_single_key_shortcuts_can_be_turned_off_and_stay_off(live_server, demo, page: Page):
    """WCAG 2.1.4: a speech-input user saying a word with a "j" in it, or a stray key, must
    be able to keep single keys from leaving the page. Ctrl K and Esc stay."""
    page.goto(live_server.url + TWO_TIER_ZERO)
    page.keyboard.press("?")
    switch = page.get_by_label("Single-key shortcuts")
    expect(switch).to_be_checked()
    switch.uncheck()
    page.locator("h1").click()
    for key in ("j", "t", "1", "?"):
        page.keyboard.press(key)
    expect(page).to_have_url(ends_with(TWO_TIER_ZERO))
    expect(page.locator("input[name=choice]:checked")).to_have_count(0)

    page.reload()
    page.keyboard.press("j")
    expect(page).to_have_url(ends_with(TWO_TIER_ZERO))
    page.keyboard.press("Control+k")
    expect(page).to_have_url(re.compile(r"/search/"))

    page.go_back()
    page.locator("details#shortcuts summary").click()
    page.get_by_label("Single-key shortcuts").check()
    page.locator("h1").click()
    page.keyboard.press("j")
    expect(page).to_have_url(ends_with(SECOND_PIECE))
