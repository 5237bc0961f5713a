"""What only a laid-out page shows: where the header's and the footer's parts end up."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .helpers import SENIOR_PIECE, answer_wrong_then_wait, sign_in

LAPTOP = {"width": 1280, "height": 800}


def box(page: Page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def sideways(page: Page) -> int:
    """How far the page scrolls sideways: 0 or less, not at all."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("language", ["", "/ru"])
def test_a_signed_in_readers_header_is_one_line_on_a_laptop(
    live_server, demo, page: Page, language
):
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server, "margaret.hamilton.1969")  # a long name, as people have
    page.goto(f"{live_server.url}{language}/progress/")
    brand, switch = box(page, ".site-nav .brand"), box(page, ".language-switch")
    log_out = box(page, ".nav-logout button")
    # One row: every part's vertical middle within a few pixels of the brand's.
    middle = brand["y"] + brand["height"] / 2
    for part in (switch, log_out):
        assert abs(part["y"] + part["height"] / 2 - middle) < 4, part


def test_the_footer_shortcuts_panel_lines_up_with_the_page(live_server, demo, page: Page):
    page.set_viewport_size(LAPTOP)
    page.goto(live_server.url + "/")
    main, panel = box(page, "main.page"), box(page, ".site-footer details#shortcuts")
    assert panel["x"] == pytest.approx(main["x"], abs=1)
    assert panel["width"] == pytest.approx(main["width"], abs=1)


def test_the_team_dashboard_table_fits_a_laptop_without_scrolling(live_server, demo, page):
    from climb.teams.models import Team

    page.set_viewport_size(LAPTOP)
    owner = sign_in(page, live_server, "margaret.hamilton.1969")
    team = Team.create_with_owner("Platform", owner)
    page.goto(f"{live_server.url}/teams/{team.pk}/")
    scroller = page.locator(".table-scroll", has=page.locator(".team-table"))
    overflow = scroller.evaluate("element => element.scrollWidth - element.clientWidth")
    assert overflow <= 0
    main, panel = box(page, "main.page"), box(page, ".site-footer details#shortcuts")
    assert panel["x"] == pytest.approx(main["x"], abs=1)


def test_on_a_phone_the_language_switch_shares_the_brands_row(live_server, demo, page: Page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "margaret.hamilton.1969")
    page.goto(live_server.url + "/")
    brand, switch = box(page, ".site-nav .brand"), box(page, ".language-switch")
    assert abs((switch["y"] + switch["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 4
    assert switch["x"] + switch["width"] <= 390  # at the right, inside the screen
    links = box(page, ".site-nav ul")
    assert links["y"] >= brand["y"] + brand["height"]  # the links below


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["", "/ru"])
def test_team_pages_do_not_scroll_sideways_on_a_phone(live_server, demo, page: Page, language):
    """The audit measured 477-947 px of page on a 390 px phone: the teams list's table had
    no scroll box, and hidden cell text escaped the dashboard's and members' boxes."""
    from climb.teams.models import Membership, Team

    page.set_viewport_size(PHONE)
    owner = sign_in(page, live_server, "margaret.hamilton.1969")
    team = Team.create_with_owner("Platform engineering", owner)
    other = type(owner).objects.create_user("grace.brewster.hopper")
    Membership.objects.create(team=team, user=other, role="member")
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page, 1)  # a question to review: a senior one, with its snippet
    from climb.learning.models import Answer

    question = Answer.objects.values_list("question_id", flat=True).get()
    review = f"/teams/{team.pk}/questions/{question}/"
    for path in ("/teams/", f"/teams/{team.pk}/", f"/teams/{team.pk}/members/", review):
        page.goto(f"{live_server.url}{language}{path}")
        overflow = sideways(page)
        assert overflow <= 0, (path, overflow)


@pytest.mark.parametrize("language", ["", "/ru"])
def test_the_activity_chart_s_labels_are_readable_on_a_phone(
    live_server, demo, page: Page, language
):
    """The 720-unit chart drawn 358 px wide put its week labels at 6 px: on a phone the type
    is larger and every other week named, the labels apart and inside the chart."""
    from climb.teams.models import Team

    page.set_viewport_size(PHONE)
    owner = sign_in(page, live_server, "margaret")
    team = Team.create_with_owner("Platform", owner)
    page.goto(f"{live_server.url}{language}/teams/{team.pk}/")
    chart = box(page, ".activity-chart")
    labels = [
        label.bounding_box()
        for label in page.locator(".activity-chart text.chart-week").all()
        if label.is_visible()
    ]
    assert 5 <= len(labels) <= 6
    assert all(label["height"] >= 9 for label in labels), labels
    for left, right in zip(labels, labels[1:], strict=False):
        assert left["x"] + left["width"] < right["x"], (left, right)
    assert labels[-1]["x"] + labels[-1]["width"] <= chart["x"] + chart["width"]


def test_an_explanation_gets_most_of_a_phone_s_width(live_server, demo, page: Page):
    from .helpers import SENIOR_PIECE, answer_wrong_then_wait, step

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page)
    prose = box(page, "article p")["width"]
    explanation = step(page, 1).locator(".feedback .explanation").first.bounding_box()
    assert explanation["width"] >= 0.8 * prose, (explanation["width"], prose)  # was 0.6


@pytest.mark.parametrize("language", ["", "/ru"])
def test_on_a_phone_every_member_s_controls_are_on_screen(live_server, demo, page, language):
    """The members and invite tables scrolled sideways on a phone, with "In the figures",
    "Remove" and "Revoke" past the edge; each row is now a card, its cells named."""
    from climb.teams.models import Invite, Membership, Team

    from .test_accessibility import assert_clean, violations

    page.set_viewport_size(PHONE)
    owner = sign_in(page, live_server, "margaret.hamilton.1969")
    team = Team.create_with_owner("Platform engineering", owner)
    for name in ("grace.brewster.hopper", "ada"):
        user = type(owner).objects.create_user(name)
        Membership.objects.create(team=team, user=user, role="member")
    Invite.issue(team, Membership.objects.get(user=owner), role="manager", days=7, people=5)
    page.goto(f"{live_server.url}{language}/teams/{team.pk}/members/")

    controls = page.locator(
        ".members-table :is(select, button, summary), .invite-table :is(button, .invite-link)"
    ).filter(visible=True)
    # two role forms (select, button), three "leave out", two "remove"; a link and "revoke"
    assert controls.count() == 2 * 2 + 3 + 2 + 2
    for control in controls.all():
        right = control.evaluate("element => element.getBoundingClientRect().right")
        assert right <= PHONE["width"], (control.evaluate("e => e.outerHTML"), right)
    # Each value says what it is: the column's name is on screen beside it.
    joined = page.locator(".members-table td").nth(1)
    label = joined.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert ("Joined" if not language else "вступления") in label, label
    assert_clean(violations(page, "members on a phone"))


@pytest.mark.parametrize("language", ["", "/ru"])
def test_on_a_laptop_no_table_hides_a_column(live_server, demo, page: Page, language):
    """The UX audit at 1366 px: in Russian the headings, kept on one line, pushed "Revoke",
    "Questions answered" and "Last active" past the edge of their tables."""
    from climb.teams.models import Invite, Membership, Team

    page.set_viewport_size({"width": 1366, "height": 900})
    owner = sign_in(page, live_server, "margaret.hamilton.1969")
    team = Team.create_with_owner("Platform engineering", owner)
    grace = type(owner).objects.create_user("grace.brewster.hopper")
    Membership.objects.create(team=team, user=grace, role="member")
    Invite.issue(team, Membership.objects.get(user=owner), role="manager", days=7, people=5)
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page, 1)
    for path in (
        "/progress/",
        f"/teams/{team.pk}/",
        f"/teams/{team.pk}/members/",
        f"/teams/{team.pk}/members/{owner.pk}/progress/",
    ):
        page.goto(f"{live_server.url}{language}{path}")
        hidden = page.evaluate(
            """() => [...document.querySelectorAll('.table-scroll')]
                .filter(box => box.scrollWidth > box.clientWidth)
                .map(box => box.querySelector('table').className)"""
        )
        assert hidden == [], (path, hidden)


def test_a_long_team_name_without_spaces_wraps_on_a_phone(live_server, demo, page: Page):
    """The UX audit: a 79-character name of words joined by underscores made the delete
    panel's label, field and button 928 px wide on a 375 px phone."""
    from climb.teams.models import Membership, Team

    page.set_viewport_size({"width": 375, "height": 812})
    owner = sign_in(page, live_server, "margaret")
    name = "_".join(["platform", "engineering", "reliability", "observability"] * 2)[:79]
    team = Team.create_with_owner(name, owner)
    other = type(owner).objects.create_user("grace")
    Membership.objects.create(team=team, user=other, role="owner")  # so the owner may leave
    for path in (f"/teams/{team.pk}/", f"/teams/{team.pk}/members/"):
        page.goto(f"{live_server.url}{path}")
        for summary in page.locator("details > summary").all():
            summary.click()
        overflow = sideways(page)
        assert overflow <= 0, (path, overflow)


# Relative luminance of a computed "rgb(r, g, b)" colour (WCAG's formula).
def _luminance(rgb: str) -> float:
    import re

    channels = [int(value) / 255 for value in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_a_dark_mode_reader_s_printed_piece_is_dark_ink(live_server, demo, page: Page):
    """Printing drops backgrounds: the dark theme's pale text and Monokai's pale tokens came
    out grey on white paper. The dark theme is for the screen only."""
    page.emulate_media(media="print", color_scheme="dark")
    page.goto(live_server.url + SENIOR_PIECE)
    for selector in ("h1", ".crux", "article p", ".snippet .line", ".snippet .k"):
        colour = page.locator(selector).first.evaluate("e => getComputedStyle(e).color")
        # At least 4.5:1 on white paper.
        assert 1.05 / (_luminance(colour) + 0.05) >= 4.5, (selector, colour)


def test_on_a_phone_member_controls_keep_their_whole_focus_ring(live_server, demo, page):
    """The members' cards put names, buttons and "Remove" at the left edge of the table's
    scroll box, which clipped that side of their focus ring (3px, 2px off the control)."""
    from climb.teams.models import Invite, Membership, Team

    page.set_viewport_size(PHONE)
    owner = sign_in(page, live_server, "margaret")
    team = Team.create_with_owner("Platform", owner)
    grace = type(owner).objects.create_user("grace")
    Membership.objects.create(team=team, user=grace, role="member")
    Invite.issue(team, Membership.objects.get(user=owner), role="member", days=7, people=5)
    page.goto(f"{live_server.url}/teams/{team.pk}/members/")
    clipped = page.evaluate(
        """() => [...document.querySelectorAll(
                '.stacked-table :is(a, button, select, summary, input)')]
            .filter(control => control.getBoundingClientRect().width > 0)
            .filter(control => {
                const ring = control.getBoundingClientRect();
                const box = control.closest('.table-scroll').getBoundingClientRect();
                return ring.left - 5 < box.left || ring.right + 5 > box.right;
            })
            .map(control => control.outerHTML.slice(0, 80))"""
    )
    assert clipped == []


@pytest.mark.parametrize("width", [700, 768, 860])
def test_on_a_tablet_the_language_switch_stays_beside_the_brand(live_server, demo, page, width):
    """From 641 to ~900 px a signed-in reader's header wrapped as one flex row: the language
    switch fell to a row of its own at the left, under the links (four rows in Russian)."""
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, "margaret.hamilton.1969")
    page.goto(live_server.url + "/ru/progress/")
    brand, switch = box(page, ".site-nav .brand"), box(page, ".language-switch")
    links = box(page, ".site-nav ul")
    assert switch["y"] < brand["y"] + brand["height"], (brand, switch)  # the brand's row
    assert switch["x"] >= links["x"] + links["width"]  # right of the links


# Every cell of the table on screen and, on a phone, under its column's name (the ::before of
# its data-label, which must say what the column header says): a list of what is not.
CELLS_ON_SCREEN = """table => {
    const headers = [...table.tHead.rows[0].cells].map(
        th => th.textContent.replace(/[▲▼\\s]+/g, " ").trim());
    const problems = [];
    for (const row of table.tBodies[0].rows) {
        [...row.cells].forEach((cell, index) => {
            const box = cell.getBoundingClientRect();
            if (box.width === 0 || box.left < 0 || box.right > innerWidth)
                problems.push([headers[index], "off screen", box.left, box.right]);
            if (cell.tagName === "TD" && headers[index]) {
                const label = getComputedStyle(cell, "::before").content;
                if (!label.includes(headers[index])) problems.push([headers[index], label]);
            }
        });
    }
    return problems;
}"""


def cards_off_screen(page: Page) -> list:
    """What of each table box on the page scrolls sideways or is drawn off screen or
    without its column's name (CELLS_ON_SCREEN), by the box's caption: [] when all fits."""
    problems = []
    for scroller in page.locator(".table-scroll").all():
        caption = scroller.locator("caption").get_attribute("id")
        hidden = scroller.evaluate("box => box.scrollWidth - box.clientWidth")
        if hidden > 0:
            problems.append((caption, "scrolls", hidden))
        problems += [
            (caption, *cell) for cell in scroller.locator("table").evaluate(CELLS_ON_SCREEN)
        ]
    return problems


@pytest.mark.parametrize("width", [390, 320])
@pytest.mark.parametrize("language", ["", "/ru"])
def test_on_a_phone_team_tables_name_every_figure_without_scrolling(
    live_server, demo, page: Page, language, width
):
    """The audit at 390 px: the dashboard's members and most missed tables and the teams
    list scrolled sideways, "Missed", accuracy and "Joined" past the edge (the altitude
    distribution and the weekly numbers too). Each row is a card now, every figure on
    screen beside its column's name, and the tables are still tables to a screen reader."""
    from climb.teams.models import Membership, Team

    from .test_accessibility import assert_clean, violations

    page.set_viewport_size({"width": width, "height": 844})
    owner = sign_in(page, live_server, "margaret.hamilton.1969")
    team = Team.create_with_owner("Platform engineering", owner)
    other = type(owner).objects.create_user("grace_brewster_hopper_navy_cobol")
    Membership.objects.create(team=team, user=other, role="member")
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page, 1)  # a missed question, and an altitude's notes
    reports = []
    for path, tables in (("/teams/", 1), (f"/teams/{team.pk}/", 4)):
        page.goto(f"{live_server.url}{language}{path}")
        for summary in page.locator("details > summary").all():
            summary.click()  # the weekly numbers, and "leave"
        overflow = sideways(page)
        assert overflow <= 0, (path, overflow)
        assert page.locator(".table-scroll").count() == tables
        assert cards_off_screen(page) == [], path
        if width == 320:  # the cards and the dashboard's row of sort links, for axe
            reports += violations(page, f"{path} at {width} px")
    assert_clean(reports)
    # Chromium's accessibility tree keeps the cards' table: "Missed at the first try" is a
    # column header and its figure a cell, read without the label drawn beside it.
    figure = page.locator(".missed-table tbody td").nth(1).text_content()
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    named = {  # Chromium names a header as drawn: in capitals
        (n["role"]["value"], n.get("name", {}).get("value", "").casefold())
        for n in nodes
        if "role" in n
    }
    header = page.locator(".missed-table thead th").nth(2).text_content()
    assert ("columnheader", header.casefold()) in named, header
    assert ("cell", figure.casefold()) in named, figure


def test_a_long_name_wraps_instead_of_pushing_last_active_off_a_laptop(
    live_server, demo, page: Page
):
    """The audit at 1280 px in Russian: a 33-character username, kept on one line, pushed
    "Last active" past the edge of the members table."""
    from datetime import timedelta

    from django.utils import timezone

    from climb.learning.models import Answer
    from climb.teams.models import Team

    page.set_viewport_size(LAPTOP)
    owner = sign_in(page, live_server, "maximilian_wolfgang_mcmillan_wood")
    assert len(owner.username) == 33
    team = Team.create_with_owner("Platform", owner)
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page, 1)  # an altitude and what the next tier asks for
    # "1 неделя, 2 дня назад": a last activity as wide as they come.
    Answer.objects.update(created_at=timezone.now() - timedelta(days=9, hours=3))
    page.goto(f"{live_server.url}/ru/teams/{team.pk}/")
    scroller = page.locator(".table-scroll", has=page.locator(".team-table"))
    assert scroller.evaluate("box => box.scrollWidth - box.clientWidth") <= 0


def test_on_a_phone_the_step_down_buttons_do_not_touch(live_server, demo, page: Page):
    """The audit: on a phone "Yes, make me a member" wrapped right onto "Keep my role"."""
    from climb.teams.models import Membership, Team

    page.set_viewport_size({"width": 320, "height": 800})
    owner = sign_in(page, live_server, "margaret")
    team = Team.create_with_owner("Platform", owner)
    owen = type(owner).objects.create_user("owen")
    Membership.objects.create(team=team, user=owen, role="owner")  # so she may step down
    page.goto(f"{live_server.url}/teams/{team.pk}/members/")
    page.get_by_label("Role of margaret").select_option("member")
    page.get_by_role("button", name="Change role of margaret").click()
    yes = page.get_by_role("button", name="Yes, make me a member").bounding_box()
    keep = page.get_by_role("link", name="Keep my role").bounding_box()
    apart_across = keep["x"] - (yes["x"] + yes["width"])
    apart_down = keep["y"] - (yes["y"] + yes["height"])
    assert max(apart_across, apart_down) >= 8, (yes, keep)


@pytest.mark.parametrize("width", [390, 320])
@pytest.mark.parametrize("language", ["", "/ru"])
def test_on_a_phone_the_progress_tables_name_every_figure_without_scrolling(
    live_server, demo, page: Page, language, width
):
    """The team tables' audit, on the learner's side: at 390 px the progress page's tables
    (altitude per climb, to revisit, recent answers) scrolled sideways inside their boxes,
    "Questions answered" and an answer's result past the edge. A card per row, as on the
    team pages."""
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, live_server, "katherine_coleman_goble_johnson")
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page, 1)  # a question to revisit, and a recent answer
    page.goto(f"{live_server.url}{language}/progress/")
    overflow = sideways(page)
    assert overflow <= 0, overflow
    assert page.locator(".table-scroll").count() == 3
    assert cards_off_screen(page) == []
