"""axe-core (bundled by axe-playwright-python) on the learner's pages: zero violations.

Every page is checked with all of axe's rules in the light theme, then again for colour
contrast in the dark one (site.css follows prefers-color-scheme; only colours change, so the
other rules would find the same). Each test reads several pages and fails once, with every
page's report, so that one run shows everything there is to fix.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .helpers import (
    CLIMB,
    SENIOR_PIECE,
    answer,
    answer_wrong_then_wait,
    choice_indexes,
    question_id,
    sign_in,
    step,
)

axe = Axe()
DARK_RULES = {"runOnly": ["color-contrast", "link-in-text-block"], "resultTypes": ["violations"]}


def violations(page: Page, label: str) -> list[str]:
    """axe's reports for the page as it is now, in both themes; empty when it found nothing."""
    reports = []
    for scheme, options in [("light", None), ("dark", DARK_RULES)]:
        # Reduced motion: site.css transitions colours over 0.15 s, and axe must not measure
        # a theme half-way through its switch.
        page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
        results = axe.run(page, options=options) if options else axe.run(page)
        if results.violations_count:
            reports.append(
                f"--- {label}, {scheme} theme ({page.url}): "
                f"{results.violations_count} violation(s)\n{results.generate_report()}"
            )
    page.emulate_media(color_scheme="light", reduced_motion="reduce")
    return reports


def assert_clean(reports: list[str]) -> None:
    assert not reports, "\n".join(reports)


def test_pages_before_answering_have_no_axe_violations(live_server, demo, page: Page):
    page.emulate_media(color_scheme="light", reduced_motion="reduce")
    reports = []
    for path in ["/", CLIMB, "/progress/", "/search/?q=lease"]:
        page.goto(live_server.url + path)
        reports += violations(page, f"{path} before answering")

    # The piece with the shortcuts panel open, as a keyboard user opens it. (axe skips what
    # a closed <details> hides, so this also covers the page with the panel closed.)
    page.goto(live_server.url + SENIOR_PIECE)
    page.keyboard.press("?")
    expect(page.locator("details#shortcuts")).to_have_js_property("open", True)
    reports += violations(page, "the piece before answering, shortcuts panel open")
    assert_clean(reports)


def test_pages_after_answering_have_no_axe_violations(live_server, demo, page: Page):
    page.emulate_media(color_scheme="light", reduced_motion="reduce")
    page.goto(live_server.url + SENIOR_PIECE)
    # Step 1 wrong (verdict, retry form, "you tried this"), step 2 right (the other choices).
    answer_wrong_then_wait(page, 1)
    correct, _ = choice_indexes(question_id(page, 2))
    answer(page, 2, correct)
    expect(step(page, 2).locator(".feedback .verdict")).to_contain_text("Right.")

    # Every disclosure open (the correct answer, the other choices, sources, shortcuts), so
    # that axe sees all that the swaps brought in.
    for details in page.locator("details").all():
        if not details.evaluate("element => element.open"):
            details.locator("summary").first.click()
    expect(page.locator("details:not([open])")).to_have_count(0)
    reports = violations(page, "the piece after answering (htmx swaps), every <details> open")

    for path in ["/", CLIMB, "/progress/"]:
        page.goto(live_server.url + path)
        reports += violations(page, f"{path} after answering")
    assert_clean(reports)


def test_a_piece_finished_without_clearing_offers_a_new_round(live_server, demo, page: Page):
    """Every first answer wrong: the recap says so and offers another round (axe-clean);
    the new round starts the steps over."""
    page.emulate_media(color_scheme="light", reduced_motion="reduce")
    page.goto(live_server.url + SENIOR_PIECE)
    for number in range(1, page.locator("li.step").count() + 1):
        if step(page, number).locator("form.quiz-form").count():
            answer_wrong_then_wait(page, number)
    recap = page.locator("#recap")
    expect(recap).to_contain_text("Not cleared yet.")
    assert_clean(violations(page, "the piece finished without clearing it"))

    with page.expect_navigation():
        recap.get_by_role("button", name="Climb it again").click()
    expect(step(page, 1).locator(".feedback")).to_have_count(0)
    expect(step(page, 1).get_by_role("button", name="Check answer")).to_be_visible()
    expect(page.locator("#recap")).to_contain_text("Answer every question to see the recap.")


def test_team_pages_have_no_axe_violations(live_server, demo, page: Page):
    """The team list, the dashboard with a missed question, its members page, and a
    member's progress as a manager sees it."""
    from climb.teams.models import Team

    page.emulate_media(color_scheme="light", reduced_motion="reduce")
    owner = sign_in(page, live_server, "margaret")
    team = Team.create_with_owner("Platform", owner)
    page.goto(live_server.url + SENIOR_PIECE)
    answer_wrong_then_wait(page, 1)  # something for "most missed"
    reports = []
    for path in [
        "/teams/",
        f"/teams/{team.pk}/",
        f"/teams/{team.pk}/members/",
        f"/teams/{team.pk}/members/{owner.pk}/progress/",
    ]:
        page.goto(live_server.url + path)
        reports += violations(page, path)
    # The missed question, reviewed (reached by its link in the most missed list).
    from climb.learning.models import Answer

    question_id = Answer.objects.values_list("question_id", flat=True).get()
    page.goto(f"{live_server.url}/teams/{team.pk}/")
    page.locator(f'.missed-table a[href^="/teams/{team.pk}/questions/{question_id}/?"]').click()
    expect(page.locator("h1")).to_have_text("Question review")
    expect(page.locator(".review-choice.is-right")).to_have_count(1)
    reports += violations(page, "question review")
    # The members page with its delete panel open, and the page that asks an owner to
    # confirm giving up ownership (reached by the form, as a reader reaches it).
    from climb.teams.models import Membership

    Membership.objects.create(team=team, user=type(owner).objects.create_user("owen"), role="owner")
    page.goto(f"{live_server.url}/teams/{team.pk}/members/")
    page.locator(".delete-panel summary").click()
    reports += violations(page, "members, delete panel open")
    page.get_by_label("Role of margaret").select_option("manager")
    page.get_by_role("button", name="Change role of margaret").click()
    expect(page.get_by_role("heading", name="Change your own role in Platform?")).to_be_visible()
    reports += violations(page, "step-down confirmation")
    assert_clean(reports)
