"""Answering: the HTMX fragment, the plain form, retries, resends and bad input."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from climb.learning.models import Answer, Learner, QuestionRevision, TierReached
from lessons.models import (
    Choice,
    Question,
    Status,
    Tier,
    bump_content_generation,
    forget_content_generation,
)

from .factories import make_answer, make_climb, make_piece, make_version

pytestmark = pytest.mark.django_db

ANSWER_URL = "/answer/"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def version():
    climb = make_climb(slug="ds")
    version = make_version(make_piece(climb, slug="leader", order=1), steps=3, recap="The rule.")
    make_version(make_piece(climb, slug="next", order=2), steps=1)
    return version


def questions(version):
    return [step.question for step in version.steps.select_related("question")]


def correct(question):
    return question.choices.get(is_correct=True)


def wrong(question):
    return question.choices.filter(is_correct=False).first()


def post(client, question, choice, attempt=1, htmx=True):
    data = {"question": question.pk, "choice": choice.pk, "attempt": attempt}
    return client.post(ANSWER_URL, data, headers=HTMX if htmx else {})


def test_a_right_answer_swaps_in_feedback_and_opens_the_next_step(client, version):
    first, second, _ = questions(version)
    response = post(client, first, correct(first))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="step-1"' in html and "Right." in html
    assert correct(first).explanation in html
    for other in first.choices.filter(is_correct=False):
        assert other.explanation in html  # why the others are wrong
    # the next step comes along, out of band, open with its question
    assert 'id="step-2" hx-swap-oob="true"' in html
    assert f'name="question" value="{second.pk}"' in html
    assert re.search(r'id="altitude"[^>]*hx-swap-oob="true"', html)
    answer = Answer.objects.get()
    assert (answer.question, answer.is_correct, answer.attempt) == (first, True, 1)


def test_a_wrong_answer_explains_both_choices_and_offers_a_retry(client, version):
    first = questions(version)[0]
    html = post(client, first, wrong(first)).content.decode()
    assert "Not quite." in html
    assert wrong(first).explanation in html
    assert correct(first).explanation in html  # behind "show the correct answer"
    assert 'name="attempt" value="2"' in html
    assert "(you tried this)" in html
    # The tried one cannot be picked again by mistake; the others can.
    radios = dict(re.findall(r'<input type="radio" name="choice" value="(\d+)"([^>]*)>', html))
    assert "disabled" in radios.pop(str(wrong(first).pk))
    assert radios and not any("disabled" in attributes for attributes in radios.values())


def test_a_retry_is_stored_but_the_first_answer_counts(client, version):
    first = questions(version)[0]
    post(client, first, wrong(first), attempt=1)
    html = post(client, first, correct(first), attempt=2).content.decode()
    assert "Right, on attempt 2." in html
    assert list(Answer.objects.values_list("attempt", "is_correct")) == [(1, False), (2, True)]
    assert Answer.objects.first_attempts().get().is_correct is False


def test_a_double_click_or_resent_post_counts_once(client, version):
    first = questions(version)[0]
    post(client, first, wrong(first), attempt=1)
    post(client, first, wrong(first), attempt=1)
    # even a different choice under the same attempt number changes nothing stored
    response = post(client, first, correct(first), attempt=1)
    assert response.status_code == 200
    assert Answer.objects.count() == 1
    assert Answer.objects.get().is_correct is False


def test_the_database_refuses_a_second_answer_for_the_same_attempt(version):
    from django.db import IntegrityError, transaction

    first = questions(version)[0]
    learner = Learner.objects.create()
    make_answer(learner, wrong(first))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_answer(learner, correct(first))


@pytest.mark.parametrize(
    "in_transaction",
    [pytest.param(False, marks=pytest.mark.django_db(transaction=True)), True],
    ids=["on its own", "in a caller's transaction"],
)
def test_a_duplicate_insert_gets_the_stored_answer_back_and_the_connection_goes_on(
    version, in_transaction
):
    """The answer that won a race is stored when this one's INSERT runs: the unique
    constraint refuses it, and the stored one comes back. Outside a transaction (a request)
    the INSERT runs with none around it; inside one, a savepoint keeps the refusal from
    spoiling it (Django, and PostgreSQL, refuse every later query in a spoilt one)."""
    from django.db import transaction

    first = questions(version)[0]
    learner = Learner.objects.create()
    stored = make_answer(learner, wrong(first))
    assert transaction.get_connection().in_atomic_block is in_transaction
    # As if read before the other post stored its answer: no earlier attempt.
    recorded = Answer.record(learner, correct(first), 1, previous=[])
    assert (recorded.answer.pk, recorded.created) == (stored.pk, False)
    assert Answer.objects.get().choice == wrong(first)


def test_nothing_more_is_stored_once_the_question_is_right(client, version):
    first = questions(version)[0]
    post(client, first, correct(first), attempt=1)
    post(client, first, wrong(first), attempt=2)
    assert Answer.objects.count() == 1


def test_without_javascript_the_post_redirects_back_to_the_same_step(client, version):
    first, second, _ = questions(version)
    post(client, first, wrong(first), htmx=False)
    response = post(client, second, correct(second), htmx=False)
    assert response.status_code == 302
    assert response["Location"] == version.get_absolute_url() + f"#feedback-{second.pk}"
    html = client.get(response["Location"]).content.decode()
    assert "Right." in html and "Not quite." in html
    assert f'id="feedback-{second.pk}"' in html  # where the redirect lands
    assert 'class="step is-open" id="step-3"' in html


def test_an_answer_whose_choice_was_since_removed_still_reads_sensibly(client, version):
    first = questions(version)[0]
    chosen = wrong(first)
    post(client, first, chosen)
    chosen.delete()
    response = client.get(version.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not quite." in html
    assert "a choice the author has since removed" in html
    assert 'name="attempt" value="2"' in html  # and the question can still be retried


def test_a_returning_learner_sees_every_answered_step_and_the_recap(client, version):
    for question in questions(version):
        post(client, question, correct(question))
    html = client.get(version.get_absolute_url()).content.decode()
    assert html.count("is-answered") == 3
    assert "is-locked" not in html
    assert "The rule." in html


def test_the_last_answer_brings_the_recap(client, version):
    qs = questions(version)
    for question in qs[:2]:
        post(client, question, correct(question))
    html = post(client, qs[2], wrong(qs[2])).content.decode()
    assert re.search(r'id="recap"[^>]*hx-swap-oob="true"', html) and "The rule." in html


def test_a_wrong_answer_on_the_last_step_does_not_promise_a_next_step(client, version):
    qs = questions(version)
    html = post(client, qs[0], wrong(qs[0])).content.decode()
    assert "the next step is open" in html
    for question in qs[1:2]:
        post(client, question, correct(question))
    # The HTMX fragment and the page a returning learner (or one without JavaScript) reads.
    fragment = post(client, qs[2], wrong(qs[2])).content.decode()
    page = client.get(version.get_absolute_url()).content.decode()
    last_step = page[page.index('id="step-3"') :]
    for html in (fragment, last_step):
        assert "the next step is open" not in html
        assert "Try again below. Your first answer is the one that counts." in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "did not say which question"),
        ({"question": "x", "choice": "1"}, "not a number"),
        ({"question": "999999", "choice": "1"}, "does not exist"),
        ({"question": "{q}"}, "Pick one of the choices"),
        ({"question": "{q}", "choice": "{other}"}, "does not belong to this question"),
        ({"question": "{q}", "choice": "{c}", "attempt": "0"}, "greater than or equal to 1"),
        ({"question": "{q}", "choice": "{c}", "attempt": "7"}, "out of date"),
        ({"question": "{q}", "choice": "-5"}, "not one of this question"),
    ],
)
def test_bad_posts_get_a_clear_400_and_change_nothing(client, version, data, message):
    first, second, _ = questions(version)
    post(client, first, wrong(first))
    values = {"q": first.pk, "c": correct(first).pk, "other": correct(second).pk}
    data = {key: value.format(**values) for key, value in data.items()}
    before = list(Answer.objects.values_list("pk", "choice_id", "is_correct", "attempt"))
    for headers in ({}, HTMX):
        response = client.post(ANSWER_URL, data, headers=headers)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert list(Answer.objects.values_list("pk", "choice_id", "is_correct", "attempt")) == before


def test_htmx_errors_target_the_quiz_they_belong_to(client, version):
    first, second, _ = questions(version)
    response = client.post(
        ANSWER_URL, {"question": first.pk, "choice": correct(second).pk}, headers=HTMX
    )
    assert response["HX-Retarget"] == f"#quiz-{first.pk}-error"
    assert "<html" not in response.content.decode()


def test_draft_questions_cannot_be_answered(client, version):
    first = questions(version)[0]
    version.status = Status.DRAFT
    version.save()
    assert post(client, first, correct(first)).status_code == 400
    assert not Answer.objects.exists()


def test_get_on_the_answer_endpoint_is_405(client):
    assert client.get(ANSWER_URL).status_code == 405


def test_csrf_is_required(version):
    from django.test import Client

    first = questions(version)[0]
    response = Client(enforce_csrf_checks=True).post(
        ANSWER_URL, {"question": first.pk, "choice": correct(first).pk}
    )
    assert response.status_code == 403


def test_clearing_a_tier_records_when_it_was_reached(client, version):
    climb = version.piece.climb
    url = version.get_absolute_url()
    assert "Zero: 0 of 2 pieces cleared." not in client.get(url).content.decode()  # no history
    *first, last = questions(version)
    for question in first:
        assert "HX-Trigger" not in post(client, question, correct(question))
    assert "Zero: 0 of 2 pieces cleared." in client.get(url).content.decode()
    # The answer that clears the piece brings the panel with the new count, and says so in
    # words (the toast reads it out; the panel and the recap change silently).
    response = post(client, last, correct(last))
    panel = response.content.decode().split('id="altitude"', 1)[1].split("</section>", 1)[0]
    assert 'hx-swap-oob="true"' in panel and "Zero: 1 of 2 pieces cleared." in panel
    assert json.loads(response["HX-Trigger"]) == {"climb:notice": "Piece cleared."}
    assert "<strong>Cleared.</strong> 3 of 3 right at the first try" in response.content.decode()
    learner = Learner.objects.get()
    # the other zero piece is not cleared yet: still at base camp
    assert learner.altitude_in(climb) is None
    other = climb.pieces.get(slug="next").versions.get()
    *first, last = [step.question for step in other.steps.select_related("question")]
    for question in first:
        post(client, question, correct(question))
    response = post(client, last, correct(last), htmx=False)  # without JavaScript too
    assert learner.altitude_in(climb) == Tier.ZERO
    page = client.get(response["Location"]).content.decode()
    assert f"Piece cleared. You reached Zero in {climb.title}." in page
    assert list(TierReached.objects.values_list("tier", flat=True)) == [Tier.ZERO]
    html = client.get(version.get_absolute_url()).content.decode()
    assert "Your altitude — next tier: Junior" in html
    assert "is-reached" in html


@pytest.mark.parametrize("history", [0, 500])
def test_piece_page_query_count_does_not_grow_with_history(
    client, django_assert_max_num_queries, history
):
    from lessons.models import Choice, Question, Step

    climb = make_climb()
    version = make_version(make_piece(climb, order=1), steps=3)
    make_version(make_piece(climb, order=2), steps=1)
    first = questions(version)[0]
    post(client, first, wrong(first))
    learner = Learner.objects.get()
    # a long history elsewhere in the climb
    filler = make_version(make_piece(climb, order=3), steps=0)
    answers = []
    for n in range(history):
        step = Step.objects.create(version=filler, position=n, heading=f"s{n}")
        question = Question.objects.create(step=step, prompt="p")
        choice = Choice.objects.create(
            question=question, text="c", is_correct=True, explanation="e"
        )
        revision = QuestionRevision.objects.create(
            question=question, content_hash=str(n), prompt="p", choices=[]
        )
        answers.append(
            Answer(
                learner=learner,
                question=question,
                choice=choice,
                revision=revision,
                choice_index=0,
                is_correct=True,
                attempt=1,
            )
        )
    Answer.objects.bulk_create(answers)
    # Cold: session + content generation + version + steps + choices + sources + neighbours
    # (2) + question counts, then the learner's answers here and their first attempts.
    with django_assert_max_num_queries(11):
        response = client.get(version.get_absolute_url())
    assert response.status_code == 200
    # Warm: the content comes from the cache; only the session and the learner's two queries.
    with django_assert_max_num_queries(3):
        assert client.get(version.get_absolute_url()).status_code == 200


def test_climb_and_home_pages_show_progress(client, version):
    first = questions(version)[0]
    post(client, first, correct(first))
    html = client.get(reverse("lessons:climb", args=["ds"])).content.decode()
    assert "In progress" in html and "Not started" in html
    # Started, no tier yet: base camp, as the progress page says too (a newcomer read
    # "climbing toward Zero" as going down).
    assert "<dd>Base camp</dd>" in client.get("/").content.decode()


def test_a_piece_cleared_at_one_of_its_tiers_says_so(client, version):
    """A newcomer at Zero saw every Zero piece 'in progress' (each also has a Junior tier)
    and 'Pieces cleared 0 / 9' beside their altitude; and learnt the clearing rule only
    from the recap, after the last answer."""
    make_version(version.piece, tier=Tier.JUNIOR, steps=1)
    page = client.get(version.get_absolute_url()).content.decode()
    assert "to clear it, 3 of 3 questions right at the first try" in page
    for question in questions(version):
        post(client, question, correct(question))
    html = client.get(reverse("lessons:climb", args=["ds"])).content.decode()
    card = html.split('class="card piece-card is-in-progress"', 1)[1].split("</li>", 1)[0]
    assert '<p class="piece-status status-in-progress">Cleared at Zero</p>' in card
    home = client.get("/").content.decode()
    assert re.search(r"Pieces cleared at every tier</dt>\s*<dd>0 / 2", home)


@pytest.mark.django_db(transaction=True)  # as in production: no transaction around the view
@pytest.mark.parametrize("history", [0, 200])
def test_an_answer_post_costs_a_fixed_number_of_queries(
    client, version, django_assert_num_queries, settings, history
):
    first, second, third = questions(version)
    post(client, first, wrong(first))  # the learner exists, the content is in the cache
    learner = Learner.objects.get()
    other = make_version(make_piece(version.piece.climb, order=9), steps=1)
    elsewhere = other.steps.get().question
    Answer.objects.bulk_create(
        Answer(
            learner=learner,
            question=elsewhere,
            choice=wrong(elsewhere),
            revision=QuestionRevision.current(elsewhere, list(elsewhere.choices.all())),
            choice_index=0,
            is_correct=False,
            attempt=n,
        )
        for n in range(1, history + 1)
    )
    from django.test import Client

    someone = Client()
    # Someone else warms the content caches (the question revisions among them).
    for question in (first, second, third):
        post(someone, question, wrong(question))
    post(client, first, correct(first), attempt=2)
    wrong_second, right_second, right_third = wrong(second), correct(second), correct(third)
    # A first attempt: the session (from Redis where there is one), the learner, their
    # answers in this piece, the insert (a transaction of its own: no BEGIN and COMMIT
    # around it), and the climb's first attempts counted for the altitude.
    session = 1 if settings.SESSION_ENGINE == "climb.learning.sessions" else 0
    with django_assert_num_queries(session + 4):
        assert "Not quite." in post(client, second, wrong_second).content.decode()
    # A retry leaves the altitude alone: one query fewer.
    with django_assert_num_queries(session + 3):
        response = post(client, second, right_second, attempt=2)
    assert "Right, on attempt 2." in response.content.decode()
    assert 'id="altitude"' not in response.content.decode()
    with django_assert_num_queries(session + 4):
        response = post(client, third, right_third)
    assert re.search(r'id="altitude"[^>]*hx-swap-oob="true"', response.content.decode())


def test_a_stale_token_gets_a_readable_403_in_the_quiz_or_as_a_page(version):
    from django.test import Client

    first = questions(version)[0]
    data = {"question": first.pk, "choice": correct(first).pk, "attempt": 1}
    stale = Client(enforce_csrf_checks=True)
    response = stale.post(ANSWER_URL, data, headers=HTMX)
    assert response.status_code == 403
    assert response["HX-Retarget"] == f"#quiz-{first.pk}-error"
    assert "This page has gone stale." in response.content.decode()
    assert "<html" not in response.content.decode()

    response = stale.post("/ru" + ANSWER_URL, data)
    html = response.content.decode()
    assert response.status_code == 403 and "<html" in html and "DEBUG" not in html
    assert 'lang="ru"' in html

    response = stale.post("/i18n/setlang/", {"language": "ru"}, headers=HTMX)
    assert response.status_code == 403 and response["HX-Retarget"] == "#toast"
    assert not Answer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_answer_to_a_choice_deleted_meanwhile_is_a_400_not_a_500(client, monkeypatch):
    """The form read the choice (another process could still hold it in its content cache),
    then an author deleted it before the insert: the foreign key refuses the row at commit."""
    from django.db import connection

    from climb.learning.forms import AnswerForm

    version = make_version(make_piece(make_climb(slug="ds")), steps=1)
    question = questions(version)[0]
    chosen = wrong(question)
    clean = AnswerForm.clean

    def clean_then_delete(form):
        cleaned = clean(form)
        with connection.cursor() as cursor:  # behind the ORM's back, as another process would
            cursor.execute("DELETE FROM lessons_choice WHERE id = %s", [chosen.pk])
        return cleaned

    monkeypatch.setattr(AnswerForm, "clean", clean_then_delete)
    response = post(client, question, chosen)
    assert response.status_code == 400
    assert "out of date" in response.content.decode()
    assert not Answer.objects.exists()


def test_an_answer_from_a_page_read_before_the_question_changed_is_refused(client, version):
    """The concurrency audit: the learner read the page, an author moved the right answer,
    and the learner's choice was graded against a key they never saw and stored as an
    answer to the new text."""
    first = questions(version)[0]
    html = client.get(version.get_absolute_url()).content.decode()
    asked = re.search(
        rf'name="question" value="{first.pk}">.*?name="asked" value="(\w+)"', html, re.S
    )
    assert asked and asked.group(1) == first.asked_digest()
    old_right, new_right = correct(first), wrong(first)
    chosen = {"question": first.pk, "choice": old_right.pk, "attempt": 1, "asked": asked.group(1)}

    Choice.objects.filter(pk=old_right.pk).update(is_correct=False)
    Choice.objects.filter(pk=new_right.pk).update(is_correct=True)
    bump_content_generation()  # as the admin's save does
    forget_content_generation()
    response = client.post(ANSWER_URL, chosen, headers=HTMX)
    assert response.status_code == 409
    assert "This question was changed while you were reading it." in response.content.decode()
    assert not Answer.objects.exists()

    # Read again, the page carries the new digest and the answer goes through.
    html = client.get(version.get_absolute_url()).content.decode()
    assert f'name="asked" value="{Question.objects.get(pk=first.pk).asked_digest()}"' in html
    fresh = {**chosen, "asked": Question.objects.get(pk=first.pk).asked_digest()}
    assert client.post(ANSWER_URL, fresh, headers=HTMX).status_code == 200
    assert Answer.objects.get().is_correct is False


def test_a_choice_removed_since_the_page_was_read_says_reload(client, version):
    """The code review: the 409 carried "That choice does not belong to this question."."""
    first = questions(version)[0]
    asked = first.asked_digest()
    gone = wrong(first)
    data = {"question": first.pk, "choice": gone.pk, "attempt": 1, "asked": asked}
    Choice.objects.filter(pk=gone.pk).delete()
    bump_content_generation()
    forget_content_generation()
    response = client.post(ANSWER_URL, data, headers=HTMX)
    assert response.status_code == 409
    assert "This question was changed while you were reading it." in response.content.decode()
    assert not Answer.objects.exists()


def test_the_asked_digest_is_of_the_text_the_reader_s_language_showed(client, version):
    """The code review: a Russian reader was checked against the English text: a Russian
    rewording went through, an English typo fix refused them."""
    from django.utils import translation

    first = questions(version)[0]
    Question.objects.filter(pk=first.pk).update(prompt_ru="Что будет дальше?")
    for choice in first.choices.all():
        Choice.objects.filter(pk=choice.pk).update(text_ru=f"Вариант {choice.position}")
    bump_content_generation()
    forget_content_generation()
    first = Question.objects.get(pk=first.pk)
    html = client.get("/ru" + version.get_absolute_url()).content.decode()
    asked = re.search(r'name="asked" value="(\w+)"', html).group(1)
    with translation.override("ru"):
        assert asked == first.asked_digest()
    with translation.override("en"):
        assert asked != first.asked_digest()
    Question.objects.filter(pk=first.pk).update(prompt="What happens next, exactly?")
    bump_content_generation()
    forget_content_generation()
    data = {"question": first.pk, "choice": correct(first).pk, "attempt": 1, "asked": asked}
    assert 'action="/ru/answer/"' in html  # a Russian page answers in Russian
    assert client.post("/ru" + ANSWER_URL, data, headers=HTMX).status_code == 200


def test_the_asked_digest_does_not_give_the_right_choice_away(client, version, settings):
    """The fuzz audit: the digest was a plain sha256 of the prompt and the choices with
    which one is right, all of it but the last on the page: hashing each candidate and
    comparing gave the answer to every open question. Keyed, it matches none."""
    import hashlib

    first = questions(version)[0]
    html = client.get(version.get_absolute_url()).content.decode()
    asked = re.search(r'name="asked" value="(\w+)"', html).group(1)
    choices = list(first.choices.all())
    for guess in choices:
        marked = [(c.text, c.pk == guess.pk) for c in choices]
        for payload in ([first.prompt, marked], [first.prompt, [list(m) for m in marked]]):
            text = json.dumps(payload, ensure_ascii=False).encode()
            assert hashlib.sha256(text).hexdigest()[:16] != asked
    # It depends on the site's key, which the page does not show.
    settings.SECRET_KEY = "another key, for another site, of fifty characters or more..."
    assert first.asked_digest() != asked


def test_an_explanation_fixed_meanwhile_does_not_refuse_an_answer(client, version):
    """Explanations are read after answering: a typo fixed in one must not refuse everyone
    who has the page open."""
    first = questions(version)[0]
    asked = first.asked_digest()
    Choice.objects.filter(question=first).update(explanation="Reworded, after the fix.")
    bump_content_generation()
    forget_content_generation()
    data = {"question": first.pk, "choice": correct(first).pk, "attempt": 1, "asked": asked}
    assert client.post(ANSWER_URL, data, headers=HTMX).status_code == 200
    # A page from before the field existed sends none, and is answered as before.
    second = questions(version)[1]
    assert post(client, second, correct(second)).status_code == 200
    assert Answer.objects.count() == 2


def test_a_step_the_page_shows_locked_cannot_be_answered(client, version):
    first, second, _ = questions(version)
    response = post(client, second, correct(second))
    assert response.status_code == 400
    assert "Answer the step before this one first" in response.content.decode()
    assert not Answer.objects.exists()
    post(client, first, wrong(first))  # any answer opens the next step, a wrong one too
    assert post(client, second, correct(second)).status_code == 200
    assert Answer.objects.count() == 2


def test_a_new_revision_is_shared_only_once_its_row_is_committed(
    version, django_capture_on_commit_callbacks
):
    # Another process that took the id while the row was uncommitted would store an answer
    # whose foreign key it cannot see: refused at commit, a lost answer for the learner.
    from lessons import contentcache

    question = questions(version)[0]
    choices = list(question.choices.all())
    _, digest = QuestionRevision._freeze(question, choices)
    key = f"revision:{question.pk}:{digest}"
    with django_capture_on_commit_callbacks(execute=True):
        revision_id = QuestionRevision.current_id(question, choices)
        assert QuestionRevision.objects.filter(pk=revision_id).exists()
        assert contentcache.get(key) is None  # not yet: the transaction is open
    assert contentcache.get(key) == revision_id


def test_an_answer_from_a_stale_tab_shows_the_one_that_counts_and_says_why(client, version):
    first = questions(version)[0]
    post(client, first, wrong(first))  # in one tab
    response = post(client, first, correct(first))  # the other tab still offered attempt 1
    html = response.content.decode()
    assert response.status_code == 200
    assert f'You chose: <span class="chosen">{wrong(first).text}</span>' in html
    assert "Not quite." in html
    assert json.loads(response["HX-Trigger"]) == {
        "climb:notice": "You had already answered this in another tab: the step shows that answer."
    }
    assert Answer.objects.count() == 1
    # The same post again (a resend) needs no explanation.
    assert "HX-Trigger" not in post(client, first, wrong(first))
    russian = client.post(
        "/ru" + ANSWER_URL,
        {"question": first.pk, "choice": correct(first).pk, "attempt": 1},
        headers=HTMX,
    )
    assert russian["HX-Trigger"].isascii()  # the Russian text travels as \u escapes
    assert "другой вкладке" in json.loads(russian["HX-Trigger"])["climb:notice"]


def test_without_javascript_a_stale_tab_s_answer_comes_back_with_the_note(client, version):
    first = questions(version)[0]
    post(client, first, wrong(first), htmx=False)
    response = post(client, first, correct(first), htmx=False)  # the other tab
    assert response.status_code == 302
    assert response["Location"].endswith(f"#feedback-{first.pk}")
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert f'You chose: <span class="chosen">{wrong(first).text}</span>' in page
    assert Answer.objects.count() == 1
    # Where the redirect lands, at the head of the verdict, not at the top of the page
    # (out of sight): once, and taking focus on load.
    assert page.count("You had already answered this in another tab") == 1
    feedback = page.split(f'id="feedback-{first.pk}" tabindex="-1">', 1)[1]
    box = feedback.split('<p class="verdict">', 1)[0]
    assert 'class="page-messages" role="status" tabindex="-1" data-focus-on-load' in box
    assert '<p class="notice is-info">You had already answered this in another tab' in box
    assert page.count("data-focus-on-load") == 1


def test_a_page_open_while_the_secret_key_was_rotated_still_takes_its_answer(
    client, version, settings
):
    """The digest is keyed with SECRET_KEY: after a rotation (or on an instance not yet
    restarted) every open page's answer was refused as "changed"; the retired key, kept in
    SECRET_KEY_FALLBACKS, still vouches for it."""
    first = questions(version)[0]
    html = client.get(version.get_absolute_url()).content.decode()
    asked = re.search(r'name="asked" value="(\w+)"', html).group(1)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "n" * 50
    # A digest no key made is refused still, fallbacks or not (the code review: nothing held
    # that the fallbacks vouch for their own digests only).
    forged = {"question": first.pk, "choice": correct(first).pk, "attempt": 1, "asked": "0" * 64}
    assert client.post(ANSWER_URL, forged, headers=HTMX).status_code == 409
    assert not Answer.objects.exists()
    data = {"question": first.pk, "choice": correct(first).pk, "attempt": 1, "asked": asked}
    assert client.post(ANSWER_URL, data, headers=HTMX).status_code == 200
    assert Answer.objects.get().is_correct is True
