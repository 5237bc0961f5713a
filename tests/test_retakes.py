"""Climbing a piece again: a finished, uncleared piece can be answered in a new round."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from climb.learning.models import Answer, Learner, Retake, TierReached, scores_for
from climb.teams.standings import FIRST, ROUND, VersionInfo, split_rows
from lessons.models import Question, Tier

from .factories import make_climb, make_piece, make_step, make_version

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def version():
    return make_version(make_piece(make_climb(slug="ds"), slug="leader"), steps=3)


def questions(version):
    return [step.question for step in version.steps.select_related("question")]


def answer(client, question, right=True, attempt=1):
    choice = question.choices.filter(is_correct=right).first()
    data = {"question": question.pk, "choice": choice.pk, "attempt": attempt}
    return client.post("/answer/", data, headers=HTMX)


def finish_with_one_miss(client, version):
    first, second, third = questions(version)
    answer(client, first, right=False)
    answer(client, first, right=True, attempt=2)
    answer(client, second)
    answer(client, third)


def retake(client, version):
    return client.post(f"/retake/{version.pk}/")


def learner(client) -> Learner:
    return Learner.objects.get(pk=client.session["learner_id"])


def test_a_finished_piece_that_is_not_cleared_offers_a_new_round(client, version):
    finish_with_one_miss(client, version)
    html = client.get(version.get_absolute_url()).content.decode()
    assert "Not cleared yet." in html
    assert "2 of 3 right at the first try; clearing this piece takes 3." in html
    assert f'action="/retake/{version.pk}/"' in html
    assert scores_for(learner(client).pk)[0].cleared is False


def test_the_climb_page_says_a_finished_piece_waits_to_be_climbed_again(client, version):
    """The UX audit: the resume link said "Not cleared yet: climb it again" above a piece
    labelled "In progress"."""
    climb_url = version.piece.climb.get_absolute_url()
    first = questions(version)[0]
    answer(client, first, right=False)
    status = re.compile(r'<p class="piece-status status-([\w-]+)">([^<]*)</p>')
    assert status.findall(client.get(climb_url).content.decode()) == [
        ("in-progress", "In progress")
    ]
    answer(client, first, right=True, attempt=2)
    for question in questions(version)[1:]:
        answer(client, question)
    html = client.get(climb_url).content.decode()
    assert status.findall(html) == [("in-progress", "Not cleared yet")]
    assert "Not cleared yet: climb it again" in html
    retake(client, version)
    for question in questions(version):
        answer(client, question)
    assert status.findall(client.get(climb_url).content.decode()) == [("cleared", "Cleared")]


def test_a_round_just_started_reads_as_in_progress_everywhere_not_climb_it_again(client, version):
    """The UX audit: after "Climb it again", with nothing answered in the new round yet,
    the home page, the climb page and the resume link still said "Not cleared yet: climb it
    again" (the round counted was the finished one) while the piece showed fresh steps."""
    junior = make_version(version.piece, tier=Tier.JUNIOR, steps=1)
    finish_with_one_miss(client, version)
    climb_url = version.piece.climb.get_absolute_url()
    status = re.compile(r'<p class="piece-status status-([\w-]+)">([^<]*)</p>')
    assert status.findall(client.get(climb_url).content.decode()) == [
        ("in-progress", "Not cleared yet")
    ]
    altitude_before = learner(client).altitude_in(version.piece.climb)
    retake(client, version)
    client.get(version.get_absolute_url())  # the "Round 2" message, used up

    climb_page = client.get(climb_url).content.decode()
    assert status.findall(climb_page) == [("in-progress", "In progress")]
    home = client.get("/").content.decode()
    for html in (climb_page, home):
        assert "climb it again" not in html
        assert "Pick up where you left off" in html
    score = next(s for s in scores_for(learner(client).pk) if s.version_id == version.pk)
    assert score.status.value == "in-progress" and not score.to_climb_again
    assert score.new_round and not score.cleared
    assert learner(client).altitude_in(version.piece.climb) == altitude_before
    piece = client.get(version.get_absolute_url()).content.decode()
    assert "Not cleared yet." not in piece and "/retake/" not in piece

    # A cleared tier beside it: "Cleared at Junior", no longer "not cleared yet at Zero".
    answer(client, questions(junior)[0])
    climb_page = client.get(climb_url).content.decode()
    assert status.findall(climb_page) == [("in-progress", "Cleared at Junior")]

    # The new round finished without clearing it: climb it again, as before.
    first, *rest = questions(version)
    answer(client, first, right=False)
    answer(client, first, right=True, attempt=2)
    for question in rest:
        answer(client, question)
    assert "Not cleared yet: climb it again" in client.get(climb_url).content.decode()


def test_pick_up_where_you_left_off_leads_to_the_first_step_still_open(
    client, django_assert_max_num_queries
):
    """The UX audit: the resume link went to the top of the piece, and a returning learner
    scrolled past every step they had answered. It leads to the step after the last one
    answered in their round (a step without a question included), to the recap once the
    round is finished without clearing it, and to the first step of a round just started;
    with no query more than the pages ran before."""
    version = make_version(make_piece(make_climb(slug="ds"), slug="leader"))
    for position, question in enumerate([True, False, True, True]):
        make_step(version, question=question, position=position)
    first, second, third = Question.objects.filter(step__version=version).order_by(
        "step__position"
    )  # at steps 1, 3 and 4
    url = version.get_absolute_url()
    link = re.compile(r'class="resume-link" href="([^"]+)">\s*<span class="continue-label">([^<]+)')

    def resume_links(queries):
        with django_assert_max_num_queries(queries):
            home = client.get("/").content.decode()
        with django_assert_max_num_queries(queries):
            climb = client.get(version.piece.climb.get_absolute_url()).content.decode()
        found = {(href, label.strip()) for href, label in link.findall(home + climb)}
        assert len(found) == 1
        return found.pop()

    climb_url = version.piece.climb.get_absolute_url()

    def list_links():
        """The climb page's links to the piece: its title and its tier badge."""
        html = client.get(climb_url).content.decode()
        return set(re.findall(rf'href="({re.escape(url)}[^"]*)"', html.split("piece-list", 1)[1]))

    assert list_links() == {url}  # not opened: the top of the piece
    answer(client, first, right=False)
    # As many queries as the pages ran before the link had its anchor (5, measured): the
    # step numbers come in the question counts' cached rows.
    assert resume_links(5) == (url + "#step-2", "Pick up where you left off")
    # The list of pieces leads there too (the learner audit: back to the top of the piece).
    assert list_links() == {url + "#step-2"}
    page = client.get(url).content.decode()
    assert 'class="step is-open" id="step-2"' in page and 'class="step is-open" id="step-3"' in page
    answer(client, first, right=True, attempt=2)
    answer(client, second)
    assert resume_links(5) == (url + "#step-4", "Pick up where you left off")
    answer(client, third)
    assert resume_links(5) == (url + "#recap", "Not cleared yet: climb it again")
    assert list_links() == {url + "#recap"}
    assert 'id="recap"' in client.get(url).content.decode()
    retake(client, version)
    assert resume_links(5) == (url + "#step-1", "Pick up where you left off")
    answer(client, first)
    assert resume_links(5) == (url + "#step-2", "Pick up where you left off")


def test_a_piece_cleared_at_one_tier_and_finished_at_another_says_both(client, version):
    """The code review: "Cleared at Zero" hid a Junior finished without clearing, under the
    resume link "Not cleared yet: climb it again"."""
    junior = make_version(version.piece, tier=Tier.JUNIOR, steps=1)
    for question in questions(version):
        answer(client, question)
    answer(client, questions(junior)[0], right=False)
    answer(client, questions(junior)[0], right=True, attempt=2)
    html = client.get(version.piece.climb.get_absolute_url()).content.decode()
    assert '<p class="piece-status status-in-progress">Cleared at Zero; not cleared yet at' in html
    assert "not cleared yet at Junior</p>" in html
    ru = client.get("/ru" + version.piece.climb.get_absolute_url()).content.decode()
    assert "Пройден на уровне Zero; пока не пройден на уровне Junior</p>" in ru


def test_a_new_round_starts_the_steps_over_and_its_first_answers_count(client, version):
    finish_with_one_miss(client, version)
    response = retake(client, version)
    assert response.status_code == 302
    assert response["Location"] == version.get_absolute_url() + "#step-1"
    assert Retake.objects.get().round == 2

    html = client.get(version.get_absolute_url()).content.decode()
    # Said once, where it is read first (climb.js focuses it): the audit found the page
    # came back with nothing to say a new round had started.
    assert "Round 2: the steps start over, and your first answers in it count." in html
    assert "data-focus-on-load" in html
    # ...at step 1, where the redirect lands, so that the next Tab goes on into the step.
    assert '<li class="step is-open" id="step-1">\n<div class="page-messages"' in html
    assert 'class="step is-locked" id="step-2"' in html
    # A locked step keeps its question's anchor: "To revisit" on the progress page links it.
    second = questions(version)[1]
    locked = html.split('class="step is-locked" id="step-2"', 1)[1].split("</li>", 1)[0]
    assert f'id="question-{second.pk}"' in locked and "locked-note" in locked
    assert "Not quite." not in html and "Right." not in html
    assert 'name="attempt" value="1"' in html
    again = client.get(version.get_absolute_url()).content.decode()
    assert "Round 2:" not in again and "data-focus-on-load" not in again

    for question in questions(version):
        response = answer(client, question)
        assert response.status_code == 200
    assert (
        list(Answer.objects.filter(round=2).values_list("attempt", "is_correct")) == [(1, True)] * 3
    )
    assert scores_for(learner(client).pk)[0].cleared is True
    assert TierReached.objects.filter(learner=learner(client), tier=Tier.ZERO).exists()
    html = client.get(version.get_absolute_url()).content.decode()
    assert "Not cleared yet." not in html and "/retake/" not in html
    # The first round stays on record: first-try accuracy is still 2 of 3.
    progress = client.get("/progress/").content.decode()
    assert "67%" in progress
    # Recent answers say which round: "attempt 1, wrong" then "attempt 1, right" looked
    # like a duplicate to a manager (the team audit).
    assert "1 (round 2)" in progress


def test_a_new_round_is_refused_before_the_piece_is_finished_or_once_it_is_cleared(client, version):
    first, second, third = questions(version)
    answer(client, first)
    response = retake(client, version)
    assert response.status_code == 400
    assert "Answer every question of this piece first" in response.content.decode()
    answer(client, second)
    answer(client, third)
    response = retake(client, version)
    assert response.status_code == 400
    assert "You have cleared this piece already." in response.content.decode()
    assert not Retake.objects.exists()


def test_a_second_click_does_not_skip_a_round(client, version):
    finish_with_one_miss(client, version)
    retake(client, version)
    response = retake(client, version)
    assert response.status_code == 302
    assert Retake.objects.get().round == 2


def test_only_a_reader_with_answers_or_a_published_piece_gets_a_round(client, version):
    assert retake(client, version).status_code == 400  # nothing answered yet
    assert client.post("/retake/999999/").status_code == 404
    assert client.get(f"/retake/{version.pk}/").status_code == 405


def test_downloads_say_which_round_an_answer_was_in(client, version):
    finish_with_one_miss(client, version)
    retake(client, version)
    answer(client, questions(version)[0])
    rows = json.loads(b"".join(client.get("/progress/answers.json").streaming_content))
    assert [(row["round"], row["attempt"]) for row in rows] == [
        (1, 1),
        (1, 2),
        (1, 1),
        (1, 1),
        (2, 1),
    ]


def test_signing_up_keeps_the_rounds_of_anonymous_answers(client, version):
    finish_with_one_miss(client, version)
    retake(client, version)
    for question in questions(version):
        answer(client, question)
    anonymous = learner(client)
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    client.force_login(user)
    merged = Learner.objects.get(user=user)
    assert not Learner.objects.filter(pk=anonymous.pk).exists()
    assert Retake.objects.get().learner == merged
    assert Answer.objects.filter(learner=merged, round=2, attempt=1).count() == 3
    assert scores_for(merged.pk)[0].cleared is True


def test_the_team_dashboard_counts_the_round_that_cleared_a_version():
    info = VersionInfo(7, 70, 1, Tier.ZERO, 4, True)
    # learner 1: round 1 two right of four, round 2 four of four; learner 2: round 1 only.
    rows = [
        (1, 7, 4, 2, 5, 4, 2, 1),
        (1, 7, 4, 4, 4, 0, 0, 2),
        (2, 7, 4, 1, 4, 4, 1, 1),
    ]
    assert rows[0][ROUND] == 1 and rows[1][FIRST] == 4
    first_attempts, activity, _new_rounds = split_rows(rows, [info], climb_id=1)
    assert first_attempts == {(1, 7): (4, 4), (2, 7): (4, 1)}
    assert activity[1].answers == 9


def test_two_clicks_racing_to_start_the_round_start_it_once(client, version, monkeypatch):
    """The other click committed its round after this one looked and found none (on
    PostgreSQL, SELECT ... FOR UPDATE cannot lock a row that does not exist yet)."""
    finish_with_one_miss(client, version)
    Retake.objects.create(learner=learner(client), version=version, round=2)  # the other click
    monkeypatch.setattr(Retake.objects, "select_for_update", Retake.objects.none)
    response = retake(client, version)
    assert response.status_code == 302
    assert Retake.objects.get().round == 2


def test_a_retry_posted_as_another_tab_starts_a_round_stays_in_its_own_round(
    client, version, monkeypatch
):
    """The concurrency audit: the retry was checked against round 2's answers but stored in
    the round current at the INSERT, round 3, as attempt 2 with no attempt 1. The piece
    then read "answered" but never counted, and no new round could be started: stuck."""
    from climb.learning import views

    first, _second, _third = questions(version)
    answer(client, first, right=False)
    read = views.attempts_in

    def read_then_other_tab_starts_a_round(version_, learner_id):
        seen = read(version_, learner_id)
        Retake.objects.create(learner_id=learner_id, version=version_, round=2)
        return seen

    monkeypatch.setattr(views, "attempts_in", read_then_other_tab_starts_a_round)
    assert answer(client, first, right=True, attempt=2).status_code == 200
    monkeypatch.undo()
    assert list(Answer.objects.order_by("round", "attempt").values_list("round", "attempt")) == [
        (1, 1),
        (1, 2),
    ]
    # Round 2 starts clean: its first answer is its attempt 1, and counts.
    answer(client, first)
    assert Answer.objects.filter(round=2, attempt=1, is_correct=True).count() == 1


def test_a_round_not_cleared_either_opens_a_third(client, version):
    finish_with_one_miss(client, version)
    retake(client, version)
    finish_with_one_miss(client, version)  # round 2: the same miss
    assert scores_for(learner(client).pk)[0].cleared is False
    assert retake(client, version).status_code == 302
    assert Retake.objects.get().round == 3
    html = client.get(version.get_absolute_url()).content.decode()
    assert "Round 3: the steps start over" in html
    answer(client, questions(version)[0])
    assert Answer.objects.filter(round=3, attempt=1).count() == 1


def test_signing_in_keeps_the_later_round_and_the_earlier_tier_date(version):
    """An account that already climbed the piece again, and reached a tier, meets an
    anonymous history with a later round and an earlier date: each keeps the furthest."""
    from datetime import timedelta

    from django.utils import timezone

    climb = version.piece.climb
    account = Learner.objects.create(user=get_user_model().objects.create_user("ada"))
    anonymous = Learner.objects.create()
    now = timezone.now()
    Retake.objects.create(learner=account, version=version, round=2)
    Retake.objects.create(learner=anonymous, version=version, round=3)
    TierReached.objects.create(learner=account, climb=climb, tier=Tier.ZERO, reached_at=now)
    earlier = now - timedelta(days=3)
    TierReached.objects.create(learner=anonymous, climb=climb, tier=Tier.ZERO, reached_at=earlier)

    anonymous.merge_into(account)
    assert list(Retake.objects.values_list("learner", "round")) == [(account.pk, 3)]
    assert list(TierReached.objects.values_list("learner", "reached_at")) == [(account.pk, earlier)]
    assert not Learner.objects.filter(pk=anonymous.pk).exists()


def choice_values(html: str, question) -> list[int]:
    """The choice ids of `question`'s form, in the order the page shows them."""
    form = html[html.index(f'name="question" value="{question.pk}"') :]
    form = form[: form.index("</form>")]
    return [int(value) for value in re.findall(r'name="choice" value="(\d+)"', form)]


def test_a_new_round_shows_the_choices_in_another_order(client, version):
    """Climbing a piece again is finding the answers again, not remembering where they were:
    the right choice moves, the same way for everyone in that round."""
    first = questions(version)[0]
    authored = list(first.choices.values_list("pk", flat=True))
    right = first.choices.get(is_correct=True).pk
    html = client.get(version.get_absolute_url()).content.decode()
    assert choice_values(html, first) == authored  # round 1: the author's order

    finish_with_one_miss(client, version)
    retake(client, version)
    html = client.get(version.get_absolute_url()).content.decode()
    shown = choice_values(html, first)
    assert sorted(shown) == sorted(authored)
    assert shown.index(right) != authored.index(right)
    # The keys 1, 2, 3 follow what is shown.
    assert re.findall(r'class="choice-key" aria-hidden="true">(\d)<', html)[:3] == ["1", "2", "3"]

    # Another learner in round 2 gets the same order (the step is kept for all of them)...
    other = Client()
    finish_with_one_miss(other, version)
    retake(other, version)
    assert choice_values(other.get(version.get_absolute_url()).content.decode(), first) == shown
    # ...and a retry within the round keeps it.
    wrong = next(pk for pk in shown if pk != right)
    response = client.post(
        "/answer/", {"question": first.pk, "choice": wrong, "attempt": 1}, headers=HTMX
    )
    assert choice_values(response.content.decode(), first) == shown
    assert "disabled" in response.content.decode()

    # Round 3 moves the right choice again, away from where round 2 had it.
    for question in questions(version)[1:]:
        answer(client, question)
    retake(client, version)
    third = choice_values(client.get(version.get_absolute_url()).content.decode(), first)
    assert third.index(right) != shown.index(right)
    assert Answer.objects.filter(learner=learner(client), round=2, choice_id=wrong).exists()


def test_each_round_after_the_first_moves_the_right_choice_and_keeps_every_choice():
    from climb.learning.quiz import in_round_order

    class Choice:
        def __init__(self, pk, is_correct):
            self.pk, self.is_correct = pk, is_correct

    places = set()
    for count in (2, 3, 4, 5):
        for right in range(count):
            choices = [Choice(n, n == right) for n in range(count)]
            for question_id in range(1, 40):
                assert in_round_order(choices, question_id, 1) == choices
                before = right
                for round_ in range(2, 8):
                    order = in_round_order(choices, question_id, round_)
                    assert sorted(c.pk for c in order) == list(range(count))
                    place = next(n for n, c in enumerate(order) if c.is_correct)
                    assert place != before
                    assert order == in_round_order(choices, question_id, round_)  # stable
                    before = place
                    places.add((count, place))
    # Every place is used: the order is not a fixed rotation a learner could learn.
    assert places == {(count, place) for count in (2, 3, 4, 5) for place in range(count)}
    assert in_round_order([Choice(1, False)], 1, 2)[0].pk == 1
