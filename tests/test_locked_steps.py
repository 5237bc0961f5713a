"""A locked step leads to the question that stands in its way (a search hit's #step-N lands
on the placeholder, far below it), with and without JavaScript."""

from __future__ import annotations

import re

import pytest

from .factories import make_climb, make_piece, make_step, make_version
from .test_quiz import HTMX, correct, post, questions, wrong

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return make_version(make_piece(make_climb(slug="ds"), slug="leader"), steps=3)


def step_html(html: str, number: int) -> str:
    """The <li> of step `number`, in a page or an answer fragment."""
    start = html.rindex("<li", 0, html.index(f'id="step-{number}"'))
    return html[start : html.index("</li>", start)]


def go_to_link(html: str) -> str | None:
    """The href of a locked step's link to the open question, None without one."""
    found = re.search(r'<a href="([^"]+)">Go to the open question in step \d+</a>', html)
    return found.group(1) if found else None


def test_a_locked_step_links_to_the_open_question_for_a_learner_with_some_answers(client, version):
    first, second, _ = questions(version)
    # A reader with no progress first: the locked parts kept for them link to step 1.
    page = client.get(version.get_absolute_url()).content.decode()
    assert go_to_link(step_html(page, 3)) == f"#question-{first.pk}"
    post(client, first, wrong(first), htmx=False)

    page = client.get(version.get_absolute_url() + "#step-3").content.decode()

    locked = step_html(page, 3)
    assert "is-locked" in locked and "Answer the question above to open this step." in locked
    assert go_to_link(locked) == f"#question-{second.pk}"
    assert "Go to the open question in step 2" in locked
    # The anchor is the open question's section, which takes focus when a link lands there.
    assert re.search(rf'<section [^>]*id="question-{second.pk}" tabindex="-1">', page)
    # Answered and open steps have no such link, nor the answered question a tabindex.
    assert go_to_link(step_html(page, 1)) is None and go_to_link(step_html(page, 2)) is None
    assert f'id="question-{first.pk}" tabindex' not in page


def test_a_first_answer_by_htmx_points_the_remaining_placeholders_at_the_new_open_question(
    client, version
):
    first, second, third = questions(version)
    make_step(version, question=False, heading="Read it through", position=3)  # step 4, no question
    fifth = make_step(version, heading="Now fix it", position=4).question  # step 5
    post(client, first, correct(first))

    html = post(client, second, wrong(second)).content.decode()

    # The steps after the answered one come along out of band: the third opened, the
    # others still locked, now behind the third's question.
    assert 'id="step-3" hx-swap-oob="true"' in html
    assert f'name="question" value="{third.pk}"' in html
    for number in (4, 5):
        locked = step_html(html, number)
        assert 'hx-swap-oob="true"' in locked and "is-locked" in locked
        assert go_to_link(locked) == f"#question-{third.pk}"

    # A step with no question opens the way on to the next question: both come along.
    html = post(client, third, correct(third)).content.decode()
    assert 'id="step-4" hx-swap-oob="true"' in html
    assert re.search(r'id="step-5" hx-swap-oob="true"', html)
    assert f'name="question" value="{fifth.pk}"' in html
    assert "is-locked" not in html

    # A retry changes nothing below the next step: the placeholders are not sent again.
    html = post(client, second, correct(second), attempt=2).content.decode()
    assert 'id="step-3" hx-swap-oob="true"' in html
    assert 'id="step-4"' not in html and 'id="step-5"' not in html


def test_the_htmx_answer_and_the_page_agree_on_every_step(client, version):
    """What the fragment swaps in is what a reload shows."""
    first, _, _ = questions(version)
    fragment = client.post(
        "/answer/",
        {"question": first.pk, "choice": wrong(first).pk, "attempt": 1},
        headers=HTMX,
    ).content.decode()
    page = client.get(version.get_absolute_url()).content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # masked anew each time
    for number in (2, 3):
        swapped = step_html(fragment, number).replace(' hx-swap-oob="true"', "")
        assert token.sub("", swapped) == token.sub("", step_html(page, number))


def test_an_answer_from_a_stale_tab_points_its_placeholders_past_the_question(client, version):
    """The other tab answered the first question: this tab's page still shows it open and
    every step after it locked behind it. Its answer (not stored: the first counts) brings
    those steps too, not the next alone, or the third kept linking to the answered first."""
    first, second, _ = questions(version)
    post(client, first, correct(first))  # in the other tab

    response = post(client, first, wrong(first))  # this tab, still at attempt 1

    assert "another tab" in response["HX-Trigger"]
    html = response.content.decode()
    locked = step_html(html, 3)
    assert 'hx-swap-oob="true"' in locked and "is-locked" in locked
    assert go_to_link(locked) == f"#question-{second.pk}"
