"""The authors' side: the admin pages, saving through them, their validation and permissions.

Admin forms are submitted the way a browser would submit them: the change page is rendered,
its form is read back (inputs, checked boxes, selected options, textareas with CRLF line
ends) and posted with the one change the test is about.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from climb.learning.models import Learner
from lessons import rendering
from lessons.importer import import_paths
from lessons.lessonfile import LessonFileError
from lessons.models import Choice, Climb, Piece, Question, Source, Status, Step, Tier, TierVersion

from .concurrency import at_once, needs_concurrent_transactions
from .factories import (
    make_answer,
    make_climb,
    make_piece,
    make_source,
    make_step,
    make_version,
)

pytestmark = pytest.mark.django_db

CONTENT_MODELS = [Climb, Piece, TierVersion, Step, Question, Choice, Source]
LESSONS_ADMINS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "lessons"),
    key=lambda model: model._meta.model_name,
)
# Queries a changelist runs (session, user, counts, rows, filter choices...), whatever the rows.
CHANGELIST_QUERIES = {
    "choice": 6,
    "climb": 5,
    "piece": 7,
    "question": 6,
    "source": 5,
    "step": 7,
    "tierversion": 6,
}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# --- reading the admin's HTML back ----------------------------------------------------------


class _FormReader(HTMLParser):
    """What a browser would post for one form of the page (no submit buttons)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: list[str] | None = None
        self._select: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
            return
        name = attributes.get("name")
        if not self.inside:
            return
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.fields.append((name, attributes.get("value") or "on"))
                return
            self.fields.append((name, attributes.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            value = attributes.get("value") or ""
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attributes:
                self._select["selected"] = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, value = self._textarea
            value = value.removeprefix("\n")  # the HTML parser drops a textarea's first newline
            # Browsers submit a textarea's line breaks as CRLF.
            self.fields.append((name, value.replace("\r\n", "\n").replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["selected"]
            self.fields.append((self._select["name"], chosen or self._select["first"] or ""))
            self._select = None


def form_data(html: str, model) -> dict[str, str]:
    reader = _FormReader(f"{model._meta.model_name}_form")
    reader.feed(html)
    data = {name: value for name, value in reader.fields if "__prefix__" not in name}
    assert data, "the admin form was not found in the page"
    data["_save"] = "Save"
    return data


def formset_prefixes(html: str) -> list[str]:
    return re.findall(r'name="([\w-]+)-TOTAL_FORMS"', html)


def prefix_with_field(html: str, field: str) -> str:
    """The inline whose empty form has `field` (e.g. the steps inline has 'heading')."""
    found = [p for p in formset_prefixes(html) if f'name="{p}-__prefix__-{field}"' in html]
    assert len(found) == 1, found
    return found[0]


def field_errors(html: str) -> dict[str, str]:
    """Errors shown in the row of a field: {field name: error text}."""
    errors = {}
    for row in re.finditer(
        r'<div class="form-row errors field-(\w+)">\s*<ul class="errorlist"[^>]*>(.*?)</ul>',
        html,
        re.S,
    ):
        errors[row.group(1)] = errors.get(row.group(1), "") + unescape(row.group(2))
    return errors


def page_text(response) -> str:
    return unescape(response.content.decode())


# --- content ---------------------------------------------------------------------------------


@pytest.fixture
def version():
    """A published version of two steps (each with a question of three choices), one source."""
    climb = make_climb(slug="ds", title="Distributed Systems")
    version = make_version(
        make_piece(climb, slug="leases", order=1),
        tier=Tier.JUNIOR,
        title="Leases and TTLs",
        recap="A lease is a lock\nwith an expiry date.",
        steps=2,
    )
    make_source(version)
    return version


@pytest.fixture
def question(version):
    return Question.objects.filter(step__version=version).order_by("step__position").first()


@pytest.fixture
def answered(version, question):
    make_answer(Learner.objects.create(), question.choices.get(is_correct=True))
    return question


def instance_of(model, version):
    return {
        Climb: lambda: version.piece.climb,
        Piece: lambda: version.piece,
        TierVersion: lambda: version,
        Step: lambda: version.steps.first(),
        Question: lambda: Question.objects.filter(step__version=version).first(),
        Choice: lambda: Choice.objects.filter(question__step__version=version).first(),
        Source: lambda: version.sources.first(),
    }[model]()


def add_content(count: int) -> None:
    """`count` more of every content row: climbs, pieces, versions, steps, questions, sources."""
    for _ in range(count):
        make_source(make_version(steps=1))


# --- every page renders ----------------------------------------------------------------------


def test_every_content_model_has_an_admin():
    assert set(LESSONS_ADMINS) == set(CONTENT_MODELS)


def test_changelists_run_the_same_queries_for_3_rows_and_for_30(
    admin_client, monkeypatch, django_assert_max_num_queries
):
    # Rendering is not what is measured here: keep building 30 of everything quick.
    monkeypatch.setattr(rendering, "render_markdown", lambda text: "<p>text</p>")
    monkeypatch.setattr(rendering, "highlight_snippet", lambda *args: "<pre>code</pre>")
    counts: dict[str, list[int]] = {}
    for more in (3, 27):
        add_content(more)
        for model in LESSONS_ADMINS:
            name = model._meta.model_name
            with django_assert_max_num_queries(CHANGELIST_QUERIES[name]) as queries:
                response = admin_client.get(admin_url(model, "changelist"))
            assert response.status_code == 200
            shown = f"{model.objects.count()} {model._meta.verbose_name}"  # "30 pieces"
            assert shown in response.content.decode()
            counts.setdefault(name, []).append(len(queries))
    assert Choice.objects.count() == 90
    # The same for 3 rows and for 30, and within the pinned count (one fewer with sessions
    # read from Redis in the cached_db engine).
    assert {name: len(set(pair)) for name, pair in counts.items()} == {
        name: 1 for name in CHANGELIST_QUERIES
    }
    assert all(counts[name][0] <= pinned for name, pinned in CHANGELIST_QUERIES.items())


@pytest.mark.parametrize("model", LESSONS_ADMINS, ids=lambda m: m._meta.model_name)
def test_add_and_change_pages_render_for_a_superuser(admin_client, model, version):
    # choices are added on their question's page, where the choice rules are checked together
    expected_add = 403 if model is Choice else 200
    assert admin_client.get(admin_url(model, "add")).status_code == expected_add
    response = admin_client.get(admin_url(model, "change", instance_of(model, version).pk))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "model", sorted(admin.site._registry, key=str), ids=lambda m: m._meta.label_lower
)
def test_every_admin_list_and_add_page_renders_in_russian(admin_client, model, version):
    """An author who chose Russian gets the admin in Russian (its strings were translated
    and never shown): every page still renders, in Russian."""
    from django.conf import settings

    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    for view in ("changelist", "add"):
        response = admin_client.get(admin_url(model, view))
        if response.status_code == 403:  # choices are added on their question's page
            continue
        assert response.status_code == 200, (model, view)
        html = response.content.decode()
        assert '<html lang="ru"' in html
        assert "Выйти" in html  # the admin's own "Log out"
    if model in CONTENT_MODELS:
        response = admin_client.get(admin_url(model, "change", instance_of(model, version).pk))
        assert response.status_code == 200
        assert '<html lang="ru"' in response.content.decode()


@pytest.mark.parametrize("model", LESSONS_ADMINS, ids=lambda m: m._meta.model_name)
def test_a_change_page_saves_unchanged_as_a_browser_posts_it(admin_client, model, version):
    """Saving a page as it was shown changes nothing: no row, field or rendering moves (the
    admin once stripped a snippet's first-line indentation on every save)."""
    from .test_import_export import content_snapshot

    obj = instance_of(model, version)
    url = admin_url(model, "change", obj.pk)
    before = content_snapshot()
    response = admin_client.post(url, form_data(admin_client.get(url).content.decode(), model))
    assert response.status_code == 302, field_errors(response.content.decode())
    assert content_snapshot() == before


# --- saving a version with its steps and sources ---------------------------------------------

QUESTION_TEXT = """What does writer {n} see?

- [ ] The old value.
  Tempting, but the lease expired.
- [x] An error.
  The lease is gone, so the write is refused.
- [ ] Nothing at all.
  Every write gets an answer.
"""


def new_version_data(admin_client, piece, headings: list[str]) -> dict:
    """What the admin's add-version page posts for a version with these steps."""
    add_page = admin_client.get(admin_url(TierVersion, "add")).content.decode()
    steps = prefix_with_field(add_page, "heading")
    sources = prefix_with_field(add_page, "url")
    data = {
        "piece": piece.pk,
        "tier": Tier.JUNIOR,
        "status": Status.DRAFT,
        "title": "Leases and TTLs",
        "crux": "A lease is a lock with an expiry date.",
        "minutes": 8,
        "intro": "A lease *expires*.",
        "goal": "Renew in time.",
        "recap": "Expiry is the point.",
        f"{steps}-TOTAL_FORMS": len(headings),
        f"{steps}-INITIAL_FORMS": 0,
        f"{sources}-TOTAL_FORMS": 1,
        f"{sources}-INITIAL_FORMS": 0,
        f"{sources}-0-position": 0,
        f"{sources}-0-title": "How to do distributed locking",
        f"{sources}-0-url": "https://martin.kleppmann.com/2016/02/08/locking.html",
        "_save": "Save",
    }
    for n, heading in enumerate(headings):
        data.update(
            {
                f"{steps}-{n}-position": n,
                f"{steps}-{n}-heading": heading,
                f"{steps}-{n}-prose": "Read the **code**.",
                f"{steps}-{n}-language": "go",
                f"{steps}-{n}-code": "lease := grant()\nkeepAlive(lease)\nwrite()",
                f"{steps}-{n}-marked_lines": "2",
                f"{steps}-{n}-question_text": QUESTION_TEXT.format(n=n),
            }
        )
    return data


def test_a_version_is_added_with_its_steps_questions_and_sources(admin_client):
    piece = make_piece(make_climb(slug="ds"), slug="leases")
    data = new_version_data(admin_client, piece, ["Step 0", "Step 1"])
    response = admin_client.post(admin_url(TierVersion, "add"), data)

    assert response.status_code == 302, field_errors(response.content.decode())
    version = TierVersion.objects.get(piece=piece)
    assert version.status == Status.DRAFT
    assert "<em>expires</em>" in version.intro_html
    steps_saved = list(version.steps.order_by("position"))
    assert [step.heading for step in steps_saved] == ["Step 0", "Step 1"]
    assert 'class="line marked"' in steps_saved[0].code_html
    assert steps_saved[0].code_html.count('class="line marked"') == 1
    for n, step in enumerate(steps_saved):
        assert step.question.prompt == f"What does writer {n} see?"
        choices = list(step.question.choices.order_by("position"))
        assert [c.text for c in choices] == ["The old value.", "An error.", "Nothing at all."]
        assert [c.is_correct for c in choices] == [False, True, False]
        assert choices[1].explanation == "The lease is gone, so the write is refused."
        assert choices[1].explanation_html.startswith("<p>")
    assert version.sources.get().url.startswith("https://martin.kleppmann.com/")


def test_two_steps_with_one_heading_are_refused_and_nothing_is_saved(admin_client):
    piece = make_piece(make_climb(slug="ds"), slug="leases")
    data = new_version_data(admin_client, piece, ["Renew in time", "Renew in time"])
    response = admin_client.post(admin_url(TierVersion, "add"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the duplicate data for heading" in html, field_errors(html)
    assert not TierVersion.objects.filter(piece=piece).exists()


def test_editing_a_steps_question_text_updates_its_question_and_choices(admin_client, version):
    step = version.steps.order_by("position").first()
    url = admin_url(TierVersion, "change", version.pk)
    page = admin_client.get(url).content.decode()
    steps = prefix_with_field(page, "heading")
    data = form_data(page, TierVersion)
    assert "What happens *next*?" in data[f"{steps}-0-question_text"]
    data[f"{steps}-0-question_text"] = (
        "Which write wins?\r\n\r\n- [x] The fenced one.\r\n  It carries the higher token."
        "\r\n- [ ] The first one.\r\n  Order of arrival decides nothing.\r\n"
        "- [ ] The last one.\r\n  Neither does the order of sending.\r\n"
        "- [ ] Both.\r\n  Then the store is corrupt.\r\n"
    )
    response = admin_client.post(url, data)

    assert response.status_code == 302, field_errors(response.content.decode())
    question = Question.objects.get(step=step)
    assert question.prompt == "Which write wins?"
    choices = list(question.choices.order_by("position"))
    assert [c.text for c in choices] == [
        "The fenced one.",
        "The first one.",
        "The last one.",
        "Both.",
    ]
    assert [c.is_correct for c in choices] == [True, False, False, False]
    assert "higher token" in choices[0].explanation_html


def test_saving_markup_that_shows_as_typed_warns_with_the_field_and_line(admin_client, version):
    """As the importer warns of a file: the text is saved as written, and the author is told
    where an unclosed ** or backtick will show as typed."""
    url = admin_url(TierVersion, "change", version.pk)
    page = admin_client.get(url).content.decode()
    steps = prefix_with_field(page, "heading")
    data = form_data(page, TierVersion)
    data["intro"] = "Leases expire.\r\n\r\nRenew **before the TTL runs out."
    data[f"{steps}-1-prose"] = "Run `etcdctl lease keepalive and watch."
    question = data[f"{steps}-0-question_text"]
    data[f"{steps}-0-question_text"] = question.replace("What happens *next*?", "What **next?")
    response = admin_client.post(url, data, follow=True)
    text = page_text(response)
    assert response.redirect_chain, field_errors(response.content.decode())
    heading = version.steps.order_by("position")[1].heading
    assert "Intro, line 3: ** opens bold text that nothing closes: it shows as typed." in text
    assert f"{heading}: Prose, line 1: ` opens code that nothing closes" in text
    first = version.steps.order_by("position")[0].heading
    assert f"{first}: Question, line 1: ** opens bold text" in text
    version.refresh_from_db()
    assert version.intro.endswith("Renew **before the TTL runs out.")
    # Saved again unchanged: nothing is said about fields not edited.
    again = admin_client.post(url, form_data(admin_client.get(url).content.decode(), TierVersion))
    assert "nothing closes" not in page_text(admin_client.get(again["Location"]))


def test_a_page_opened_before_another_save_is_refused_and_keeps_both_edits(
    admin_client, client, version
):
    """The concurrency audit: Bob saved a version page opened before Alice's save, changing
    only the minutes; every one of Alice's edits (crux, prose, question) was written back to
    his older text, and the history said he changed the crux."""
    alice, bob = admin_client, client
    bob.force_login(User.objects.create_superuser("bob", "bob@example.com", "x"))
    url = admin_url(TierVersion, "change", version.pk)
    alice_page = alice.get(url).content.decode()
    bob_page = bob.get(url).content.decode()
    assert 'name="_seen"' in bob_page

    alices = form_data(alice_page, TierVersion)
    alices["crux"] = "Alice's crux."
    assert alice.post(url, alices).status_code == 302

    minutes = version.minutes
    bobs = form_data(bob_page, TierVersion)
    bobs["minutes"] = "12"
    response = bob.post(url, bobs)
    html = page_text(response)
    assert response.status_code == 200
    assert "Someone saved this page after you opened it" in html
    assert 'value="12"' in response.content.decode()  # his edit is still in the form
    version.refresh_from_db()
    assert (version.crux, version.minutes) == ("Alice's crux.", minutes)

    # Saving the refused form again is a knowing choice: his page replaces hers.
    again = form_data(response.content.decode(), TierVersion)
    assert bob.post(url, again).status_code == 302
    version.refresh_from_db()
    assert version.minutes == 12


def test_a_right_answer_changed_on_the_question_page_is_not_put_back_by_a_stale_page(
    admin_client, version, question
):
    """The audit's worst case: the answer key went back to the old one, silently."""
    url = admin_url(TierVersion, "change", version.pk)
    stale = form_data(admin_client.get(url).content.decode(), TierVersion)
    question_url, data, prefix = question_page(admin_client, question)
    right = [c.is_correct for c in question.choices.order_by("position")].index(True)
    del data[f"{prefix}-{right}-is_correct"]
    data[f"{prefix}-{(right + 1) % 3}-is_correct"] = "on"
    response = admin_client.post(question_url, data)
    assert response.status_code == 302, field_errors(response.content.decode())
    key = choices_of(question)

    response = admin_client.post(url, stale)
    assert response.status_code == 200
    assert "Someone saved this page after you opened it" in page_text(response)
    assert choices_of(question) == key


def test_a_stale_piece_page_does_not_write_back_a_version_s_tier(admin_client, version):
    """The code review: the piece page's version rows edit the tier, and the page's
    conflict check covered the piece row only."""
    piece = version.piece
    url = admin_url(Piece, "change", piece.pk)
    stale = form_data(admin_client.get(url).content.decode(), Piece)
    TierVersion.objects.filter(pk=version.pk).update(tier=Tier.SENIOR)  # saved elsewhere
    stale["order"] = "5"
    response = admin_client.post(url, stale)
    assert response.status_code == 200
    assert "Someone saved this page after you opened it" in page_text(response)
    assert TierVersion.objects.get(pk=version.pk).tier == Tier.SENIOR


# --- a question's own page, with its choices -------------------------------------------------


def choices_of(question) -> list[tuple]:
    return list(
        question.choices.order_by("position").values_list("text", "is_correct", "explanation")
    )


def question_page(client, question) -> tuple[str, dict, str]:
    url = admin_url(Question, "change", question.pk)
    page = client.get(url).content.decode()
    return url, form_data(page, Question), prefix_with_field(page, "explanation")


def test_the_correct_choice_can_be_moved_to_another_choice(admin_client, question):
    url, data, choices = question_page(admin_client, question)
    assert data[f"{choices}-1-is_correct"] == "on"
    del data[f"{choices}-1-is_correct"]
    data[f"{choices}-2-is_correct"] = "on"
    response = admin_client.post(url, data)

    assert response.status_code == 302, page_text(response)[:3000]
    assert [c[1] for c in choices_of(question)] == [False, False, True]


def test_a_choice_text_is_edited_and_rendered_again(admin_client, question):
    url, data, choices = question_page(admin_client, question)
    data[f"{choices}-0-text"] = "Renew with `KeepAlive`"
    assert admin_client.post(url, data).status_code == 302
    assert question.choices.get(position=0).text_html == "Renew with <code>KeepAlive</code>"


def _two_correct(data, p):
    data[f"{p}-2-is_correct"] = "on"


def _none_correct(data, p):
    del data[f"{p}-1-is_correct"]


def _one_choice(data, p):
    data[f"{p}-0-DELETE"] = "on"
    data[f"{p}-2-DELETE"] = "on"


def _six_choices(data, p):
    data[f"{p}-TOTAL_FORMS"] = "6"
    for n in range(3, 6):
        data.update(
            {
                f"{p}-{n}-id": "",
                f"{p}-{n}-question": data[f"{p}-0-question"],
                f"{p}-{n}-position": str(n),
                f"{p}-{n}-text": f"Extra choice {n}",
                f"{p}-{n}-explanation": "Why not.",
            }
        )


def _empty_explanation(data, p):
    data[f"{p}-0-explanation"] = ""


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (_two_correct, "Exactly one choice must be correct; 2 are marked correct."),
        (_none_correct, "Exactly one choice must be correct; 0 are marked correct."),
        (_one_choice, "A question needs 2 to 5 choices; this one has 1."),
        (_six_choices, "A question needs 2 to 5 choices; this one has 6."),
        (_empty_explanation, "This field is required."),
    ],
    ids=["two-correct", "none-correct", "one-choice", "six-choices", "empty-explanation"],
)
def test_a_question_with_invalid_choices_is_refused_and_nothing_changes(
    admin_client, question, change, error
):
    before = choices_of(question)
    url, data, choices = question_page(admin_client, question)
    change(data, choices)
    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert error in page_text(response)
    assert 'class="errornote"' in response.content.decode()
    assert choices_of(question) == before


def test_the_explanation_box_of_a_choice_is_three_rows_high(admin_client, question):
    page = admin_client.get(admin_url(Question, "change", question.pk)).content.decode()
    boxes = re.findall(r'<textarea name="choices-\d-explanation"[^>]*>', page)
    assert boxes and all('rows="3"' in box for box in boxes)


def test_which_choice_is_right_is_not_changed_on_the_choices_own_page(admin_client, question):
    right = question.choices.get(is_correct=True)
    url = admin_url(Choice, "change", right.pk)
    page = admin_client.get(url).content.decode()
    assert 'name="is_correct"' not in page  # shown, not editable: the question's page does that
    data = form_data(page, Choice)
    data["text"] = "A reworded right choice."
    assert admin_client.post(url, data).status_code == 302
    right.refresh_from_db()
    assert (right.text, right.is_correct) == ("A reworded right choice.", True)


def test_a_choice_s_own_page_saves_though_a_box_it_lacks_holds_a_choice_like_line(
    admin_client, question
):
    """The choice's page has no Russian explanation box; a line there that a lesson file
    would read as a choice (imported before such a line was refused) was reported against
    the missing field: a ValueError, a 500 on every save of the page."""
    choice = question.choices.get(position=0)
    Choice.objects.filter(pk=choice.pk).update(explanation_ru="Нет.\n- [ ] старый вариант")
    url = admin_url(Choice, "change", choice.pk)
    data = form_data(admin_client.get(url).content.decode(), Choice)
    data["text"] = "Reworded."
    assert admin_client.post(url, data).status_code == 302
    choice.refresh_from_db()
    assert choice.text == "Reworded."
    # Where the box is, the line is still refused beside it.
    data["explanation"] = "Why.\r\n- [x] sneaky"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert (
        "would be read back from a lesson file"
        in field_errors(response.content.decode())["explanation"]
    )


def _duplicate_text(data, p):
    data[f"{p}-2-text"] = data[f"{p}-0-text"]


def _choice_in_the_prompt(data, p):
    data["prompt"] += "\r\n\r\n- [x] sneaky"


def _heading_in_the_prompt(data, p):
    data["prompt"] += "\r\n\r\n### Hint"


def _choice_in_an_explanation(data, p):
    # Exported indented under its choice, the line would read back as a choice indented by
    # mistake, which the lesson file refuses.
    data[f"{p}-1-explanation"] += "\r\n- [ ] sneaky"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (_duplicate_text, "give each its own text"),
        (_choice_in_the_prompt, "'- [x] sneaky' looks like a choice"),
        (_heading_in_the_prompt, "would end the prompt"),
        (_choice_in_an_explanation, "would be read back from a lesson file as a choice"),
    ],
    ids=["duplicate-text", "choice-in-prompt", "heading-in-prompt", "choice-in-explanation"],
)
def test_a_question_page_refuses_what_a_lesson_file_cannot_hold(
    admin_client, question, change, error, tmp_path
):
    before = (question.prompt, choices_of(question))
    url, data, choices = question_page(admin_client, question)
    change(data, choices)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert error in page_text(response)
    question.refresh_from_db()
    assert (question.prompt, choices_of(question)) == before


def test_a_choice_is_not_deleted_alone_but_goes_with_its_version(admin_client, version):
    choice = Choice.objects.filter(question__step__version=version).first()
    response = admin_client.post(admin_url(Choice, "delete", choice.pk), {"post": "yes"})
    assert response.url == admin_url(Question, "change", choice.question_id)
    assert Choice.objects.filter(pk=choice.pk).exists()
    changelist = admin_client.get(admin_url(Choice, "changelist")).content.decode()
    assert 'value="delete_selected"' not in changelist

    # Deleting the version takes its steps, questions and choices along, for a superuser.
    url = admin_url(TierVersion, "delete", version.pk)
    page = admin_client.get(url).content.decode()
    assert "permission to delete" not in page
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Choice.objects.filter(question__step__version_id=version.pk).exists()


def test_a_step_page_edits_its_question_prompt_but_cannot_add_a_bare_question(admin_client):
    version = make_version()
    with_question = make_step(version, position=0)
    url = admin_url(Step, "change", with_question.pk)
    page = admin_client.get(url).content.decode()
    data = form_data(page, Step)
    [prefix] = formset_prefixes(page)
    data[f"{prefix}-0-prompt"] = "What happens *now*?"
    assert admin_client.post(url, data).status_code == 302
    assert "<em>now</em>" in Question.objects.get(step=with_question).prompt_html

    # A question added here would have no choices: an empty quiz on the learners' page.
    bare = make_step(version, position=1, question=False)
    url = admin_url(Step, "change", bare.pk)
    page = admin_client.get(url).content.decode()
    data = form_data(page, Step)
    assert f'name="{prefix}-__prefix__-prompt"' not in page  # no "Add another question"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-id": "",
            f"{prefix}-0-step": str(bare.pk),
            f"{prefix}-0-prompt": "What?",
        }
    )
    assert admin_client.post(url, data).status_code in (200, 302)
    assert not Question.objects.filter(step=bare).exists()


# --- the admin validates as the importer does ------------------------------------------------

LESSON = """---
climb: ds
piece: leases
order: 1
tier: junior
title: "Leases and TTLs"
crux: "A lease is a lock with an expiry date."
minutes: 8
---

## Intro

A lease.

## Goal

Renew it.

## Step: Acquire, then write

```{info}
{code}
```

### Question

{question}

## Recap

Expiry is the point.
"""
CODE = "func main() {\n    lock.Acquire()\n    store.Put(x)\n}"
NO_CORRECT_CHOICE = (
    "What happens?\n\n- [ ] One.\n  Because one.\n- [ ] Two.\n  Because two.\n"
    "- [ ] Three.\n  Because three."
)
NO_EXPLANATION = "What happens?\n\n- [ ] One.\n  Because one.\n- [x] Two.\n- [ ] Three.\n  Because."
VALID_QUESTION = "What happens?\n\n- [ ] One.\n  Because one.\n- [x] Two.\n  Because two."


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("language", "klingon", "unknown snippet language 'klingon'"),
        ("marked_lines", "2,9", "A marked line is past the end of the snippet."),
        ("question_text", NO_CORRECT_CHOICE, "exactly one correct choice '- [x]'"),
        # The line of the choice, as a file's error has it: with five choices, which one?
        ("question_text", NO_EXPLANATION, "Question, line 5: every choice needs an explanation"),
    ],
    ids=["unknown-language", "marked-line-past-the-end", "no-correct-choice", "no-explanation"],
)
def test_a_bad_step_shows_the_error_beside_its_field_and_saves_nothing(
    admin_client, version, field, value, error
):
    step = version.steps.order_by("position").first()
    before = (step.language, step.marked_lines, choices_of(step.question), version.updated_at)
    url = admin_url(TierVersion, "change", version.pk)
    page = admin_client.get(url).content.decode()
    data = form_data(page, TierVersion)
    data[f"{prefix_with_field(page, 'heading')}-0-{field}"] = value.replace("\n", "\r\n")
    data["title"] = "A title that must not be saved"
    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = field_errors(response.content.decode())
    assert error in errors.get(field, ""), errors
    step.refresh_from_db()
    version.refresh_from_db()
    after = (step.language, step.marked_lines, choices_of(step.question), version.updated_at)
    assert after == before
    assert version.title == "Leases and TTLs"


def test_the_question_box_is_labelled_like_the_fields_around_it(admin_client, version):
    page = admin_client.get(admin_url(TierVersion, "change", version.pk)).content.decode()
    assert re.search(r'<label for="id_steps-0-question_text">Question:</label>', page)
    assert re.search(r'<label for="id_steps-0-question_text_ru">Question \(Russian\):', page)


def test_every_input_in_a_table_of_sources_or_choices_has_a_name(admin_client, version, question):
    """Screen readers named the inputs under a tabular inline's headings "edit text"."""
    pages = [
        admin_client.get(admin_url(TierVersion, "change", version.pk)).content.decode(),
        admin_client.get(admin_url(Question, "change", question.pk)).content.decode(),
    ]
    for page, prefix in zip(pages, ["sources", "choices"], strict=True):
        inputs = re.findall(rf'<(?:input|textarea|select)[^>]*name="{prefix}-0-[^"]*"[^>]*>', page)
        shown = [tag for tag in inputs if 'type="hidden"' not in tag and "DELETE" not in tag]
        assert shown, prefix
        assert all("aria-label=" in tag for tag in shown), shown
    assert 'name="sources-0-url"' in pages[0] and 'aria-label="Url"' not in pages[0]
    for page, prefix in zip(pages, ["sources", "choices"], strict=True):
        # Django's checkbox under "Delete?", too: it was still a bare "checkbox".
        delete = re.search(rf'<input[^>]*name="{prefix}-0-DELETE"[^>]*>', page).group(0)
        assert 'aria-label="Delete"' in delete, delete
    explanation = re.search(r'<textarea[^>]*name="choices-0-explanation"[^>]*>', pages[1])
    assert 'aria-label="Explanation"' in explanation.group(0)


def test_a_question_error_counts_the_blank_lines_at_the_top_of_its_box(admin_client, version):
    url = admin_url(TierVersion, "change", version.pk)
    page = admin_client.get(url).content.decode()
    data = form_data(page, TierVersion)
    typed = "\n\n" + NO_EXPLANATION  # two blank lines before the prompt: the choice is line 7
    data[f"{prefix_with_field(page, 'heading')}-0-question_text"] = typed.replace("\n", "\r\n")
    response = admin_client.post(url, data)

    errors = field_errors(response.content.decode())
    assert "Question, line 7: every choice needs an explanation" in errors["question_text"]


@pytest.mark.parametrize(
    ("info", "question", "error"),
    [
        ("klingon", VALID_QUESTION, "unknown snippet language 'klingon'"),
        ("go mark=2,9", VALID_QUESTION, "marked line 9 is past the end of the 4-line snippet"),
        ("go", NO_CORRECT_CHOICE, "exactly one correct choice '- [x]': no correct choice"),
        ("go", NO_EXPLANATION, "every choice needs an explanation (indented)"),
    ],
    ids=["unknown-language", "marked-line-past-the-end", "no-correct-choice", "no-explanation"],
)
def test_the_importer_refuses_the_same_steps(tmp_path, info, question, error):
    make_climb(slug="ds")
    path = tmp_path / "10-leases.junior.md"
    path.write_text(LESSON.format(info=info, code=CODE, question=question), encoding="utf-8")
    with pytest.raises(LessonFileError) as refused:
        import_paths([path])
    assert error in refused.value.message
    assert not TierVersion.objects.exists()


def test_the_importer_and_the_admin_give_the_same_message_for_an_unknown_language(tmp_path):
    make_climb(slug="ds")
    path = tmp_path / "10-leases.junior.md"
    path.write_text(LESSON.format(info="klingon", code=CODE, question=VALID_QUESTION))
    with pytest.raises(LessonFileError) as refused:
        import_paths([path])
    with pytest.raises(rendering.UnknownLanguage) as unknown:
        rendering.check_language("klingon")
    assert str(unknown.value) in refused.value.message


# --- answered questions are protected --------------------------------------------------------


def test_removing_an_answered_question_is_refused_with_a_message(admin_client, version, answered):
    url = admin_url(TierVersion, "change", version.pk)
    page = admin_client.get(url).content.decode()
    data = form_data(page, TierVersion)
    data[f"{prefix_with_field(page, 'heading')}-0-question_text"] = ""
    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = field_errors(response.content.decode())
    assert "Learners have answered this question" in errors.get("question_text", ""), errors
    assert Question.objects.filter(pk=answered.pk).exists()
    assert answered.choices.count() == 3


def test_an_unanswered_question_can_be_removed(admin_client, version, question):
    url = admin_url(TierVersion, "change", version.pk)
    page = admin_client.get(url).content.decode()
    data = form_data(page, TierVersion)
    data[f"{prefix_with_field(page, 'heading')}-0-question_text"] = ""
    assert admin_client.post(url, data).status_code == 302
    assert not Question.objects.filter(pk=question.pk).exists()
    assert Step.objects.filter(pk=question.step_id).exists()


def test_deleting_an_answered_step_is_refused_and_nothing_is_deleted(
    admin_client, version, answered
):
    url = admin_url(TierVersion, "change", version.pk)
    page = admin_client.get(url).content.decode()
    data = form_data(page, TierVersion)
    data[f"{prefix_with_field(page, 'heading')}-0-DELETE"] = "on"
    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in page_text(response)
    assert version.steps.count() == 2
    assert Question.objects.filter(pk=answered.pk).exists()


def test_deleting_an_unanswered_step_inline_deletes_it_and_its_question(admin_client, version):
    url = admin_url(TierVersion, "change", version.pk)
    page = admin_client.get(url).content.decode()
    data = form_data(page, TierVersion)
    data[f"{prefix_with_field(page, 'heading')}-1-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    assert version.steps.count() == 1
    assert Question.objects.filter(step__version=version).count() == 1


# --- drafts ----------------------------------------------------------------------------------


@pytest.fixture
def draft():
    climb = make_climb(slug="ds", title="Distributed Systems")
    published = make_version(make_piece(climb, slug="leases", order=1), title="Published piece")
    make_version(published.piece, tier=Tier.SENIOR, title="Draft senior", status=Status.DRAFT)
    return make_version(
        make_piece(climb, slug="secret", order=2),
        title="Secret draft",
        status=Status.DRAFT,
        steps=1,
    )


@pytest.fixture
def learner_client(client):
    client.force_login(User.objects.create_user("learner", password="x"))
    return client


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_a_draft_is_404_for_learners_at_its_url_and_in_the_preview(client, draft, who):
    if who == "learner":
        client.force_login(User.objects.create_user("learner", password="x"))
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(reverse("lessons:preview", args=[draft.pk])).status_code == 404
    assert client.get(draft.piece.get_absolute_url()).status_code == 404


def author(username="editor"):
    """A staff user in the authors group, as the README says to make one."""
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="authors"))
    return user


def test_staff_preview_a_draft_with_a_notice(client, draft):
    client.force_login(author())
    response = client.get(reverse("lessons:preview", args=[draft.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="notice preview-notice"' in html and "<strong>Preview</strong>" in html
    assert "<h1>Secret draft</h1>" in html


def test_staff_proofread_every_step_of_a_version_answering_nothing(client):
    """The author's audit: the preview is a new learner's page, every step after the first
    locked, so a typo in step 3's explanations was found only by answering (as staff, into
    the figures)."""
    from climb.learning.models import Answer

    version = make_version(make_piece(make_climb(slug="ds")), steps=3, status=Status.DRAFT)
    client.force_login(author())
    url = reverse("lessons:preview", args=[version.pk])
    plain = client.get(url).content.decode()
    assert plain.count("is-locked") == 2 and f'href="{url}?proofread=1"' in plain
    html = client.get(url + "?proofread=1").content.decode()
    assert "is-locked" not in html and html.count('class="step is-answered"') == 3
    for n in (1, 2, 3):  # every choice's explanation, in every step
        assert html.count(f"Because of reason {n}.") == 3
    assert "Proofreading: every step is open" in html and f'href="{url}"' in html
    assert "Cleared." not in html  # nothing was answered, nothing counts
    assert Answer.objects.count() == 0
    client.force_login(User.objects.create_user("learner", password="x"))
    assert client.get(url + "?proofread=1").status_code == 404


def test_staff_who_may_not_read_lessons_in_the_admin_do_not_preview_drafts(client, draft):
    """The security review: any staff account (a support desk's, with only user
    permissions) read unpublished drafts at /preview/<id>/."""
    url = reverse("lessons:preview", args=[draft.pk])
    client.force_login(User.objects.create_user("desk", password="x", is_staff=True))
    assert client.get(url).status_code == 404
    assert client.get(url + "?proofread=1").status_code == 404
    client.force_login(author("writer"))
    assert client.get(url).status_code == 200
    inactive = author("gone")
    inactive.is_active = False
    inactive.save()
    client.force_login(inactive)
    assert client.get(url).status_code == 404


def test_staff_who_may_change_tier_versions_preview_them_as_the_admin_offers(client, draft):
    """The code review: change implies view in the admin, whose "View on site" then led a
    user with only the change permission to a 404."""
    editor = User.objects.create_user("changer", password="x", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_tierversion"))
    client.force_login(editor)
    assert client.get(reverse("lessons:preview", args=[draft.pk])).status_code == 200


@pytest.mark.parametrize("action", ["publish", "unpublish", "translation_checked"])
def test_staff_who_may_only_view_versions_get_no_action_that_changes_them(client, action):
    """The fuzz audit: an action without permissions=["change"] is offered to whoever may
    see the list, so a viewer could publish a draft with one hand-made POST."""
    version = make_version(make_piece(make_climb()), status=Status.DRAFT)
    if action == "unpublish":
        TierVersion.objects.filter(pk=version.pk).update(status=Status.PUBLISHED)
    if action == "translation_checked":
        TierVersion.objects.filter(pk=version.pk).update(title_ru="Ч", digest_ru_from="older")
    before = TierVersion.objects.values().get(pk=version.pk)
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_tierversion"))
    client.force_login(viewer)
    url = admin_url(TierVersion, "changelist")
    assert f'value="{action}"' not in client.get(url).content.decode()
    response = client.post(url, {"action": action, "_selected_action": [version.pk], "index": 0})
    assert response.status_code in (200, 302)
    assert TierVersion.objects.values().get(pk=version.pk) == before
    # Someone who may change them has the action.
    viewer.user_permissions.add(Permission.objects.get(codename="change_tierversion"))
    assert f'value="{action}"' in client.get(url).content.decode()


def test_drafts_are_not_listed_on_the_climb_page_or_home(learner_client, draft):
    climb_page = learner_client.get(draft.piece.climb.get_absolute_url()).content.decode()
    assert "Published piece" in climb_page
    assert "Secret draft" not in climb_page and "Draft senior" not in climb_page
    assert "tier-badge tier-senior" not in climb_page
    home = learner_client.get("/").content.decode()
    assert "Distributed Systems" in home
    assert re.search(r"<dt>Pieces</dt><dd>1</dd>", home)
    assert "tier-badge tier-senior" not in home


def test_a_climb_with_only_drafts_is_not_on_home(client):
    make_version(make_piece(make_climb(title="Unfinished climb")), status=Status.DRAFT)
    assert "Unfinished climb" not in client.get("/").content.decode()


def test_view_on_site_of_a_version_is_its_preview(admin_client, draft):
    page = admin_client.get(admin_url(TierVersion, "change", draft.pk)).content.decode()
    link = re.search(r'<a href="([^"]+)" class="viewsitelink"', page)
    preview = reverse("lessons:preview", args=[draft.pk])
    assert link and link.group(1) == preview
    assert admin_client.get(preview).status_code == 200


# --- the authors group -----------------------------------------------------------------------


@pytest.fixture
def author_client(client):
    author = User.objects.create_user("author", password="x", is_staff=True)
    author.groups.add(Group.objects.get(name="authors"))
    client.force_login(author)
    return client


def test_the_authors_group_has_exactly_the_lessons_permissions():
    group = Group.objects.get(name="authors")
    permissions = set(group.permissions.values_list("content_type__app_label", "codename"))
    expected = {
        ("lessons", f"{action}_{model._meta.model_name}")
        for action in ("add", "change", "delete", "view")
        for model in CONTENT_MODELS
    }
    assert permissions == expected


@pytest.mark.parametrize("model", LESSONS_ADMINS, ids=lambda m: m._meta.model_name)
def test_an_author_opens_and_saves_content_pages(author_client, version, model):
    assert author_client.get(admin_url(model, "changelist")).status_code == 200
    # choices are added with their question, never alone
    expected_add = 403 if model is Choice else 200
    assert author_client.get(admin_url(model, "add")).status_code == expected_add
    url = admin_url(model, "change", instance_of(model, version).pk)
    page = author_client.get(url)
    assert page.status_code == 200
    response = author_client.post(url, form_data(page.content.decode(), model))
    assert response.status_code == 302, field_errors(response.content.decode())


def test_an_author_cannot_open_users_or_any_admin_page_outside_lessons(author_client):
    assert author_client.get("/admin/auth/user/").status_code == 403
    others = [m for m in admin.site._registry if m._meta.app_label != "lessons"]
    assert User in others
    for model in others:
        assert author_client.get(admin_url(model, "changelist")).status_code == 403, model


def test_an_author_sees_only_lessons_on_the_admin_index(author_client):
    html = author_client.get("/admin/").content.decode()
    assert "/admin/lessons/tierversion/" in html
    assert "/admin/auth/" not in html
    assert "/admin/learning/" not in html


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_non_staff_are_sent_to_the_admin_login(client, who):
    if who == "learner":
        client.force_login(User.objects.create_user("learner", password="x"))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    response = client.get(admin_url(TierVersion, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_permissions_cover_every_content_model():
    # The group is built from a list in a migration; a new content model must join it.
    codenames = set(
        Permission.objects.filter(content_type__app_label="lessons").values_list(
            "codename", flat=True
        )
    )
    group = set(Group.objects.get(name="authors").permissions.values_list("codename", flat=True))
    assert codenames == group


# --- rendering only what changed -------------------------------------------------------------


@pytest.fixture
def rendered(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = rendering.render_markdown

    def recording(text: str) -> str:
        calls.append(text)
        return original(text)

    monkeypatch.setattr(rendering, "render_markdown", recording)
    return calls


def test_saving_only_the_title_does_not_render_the_recap_again(version, rendered):
    loaded = TierVersion.objects.get(pk=version.pk)
    loaded.title = "Leases, renewed"
    loaded.save()
    assert rendered == []


def test_saving_through_the_admin_does_not_render_an_unchanged_recap(
    admin_client, version, rendered
):
    url = admin_url(TierVersion, "change", version.pk)
    data = form_data(admin_client.get(url).content.decode(), TierVersion)
    data["title"] = "Leases, renewed"
    response = admin_client.post(url, data)

    assert response.status_code == 302, field_errors(response.content.decode())
    assert TierVersion.objects.get(pk=version.pk).title == "Leases, renewed"
    assert version.recap not in rendered
    assert rendered == []


def test_a_changed_recap_is_rendered_again(admin_client, version, rendered):
    url = admin_url(TierVersion, "change", version.pk)
    data = form_data(admin_client.get(url).content.decode(), TierVersion)
    data["recap"] = "A lease is a lock with an *expiry* date."
    assert admin_client.post(url, data).status_code == 302
    assert rendered == ["A lease is a lock with an *expiry* date."]
    assert "<em>expiry</em>" in TierVersion.objects.get(pk=version.pk).recap_html


def test_a_save_keeps_a_snippet_s_indentation_and_trims_only_blank_lines(admin_client, version):
    step = version.steps.order_by("position").first()
    Step.objects.filter(pk=step.pk).update(code="    grant := lease()\n    return grant")
    url = admin_url(TierVersion, "change", version.pk)
    html = admin_client.get(url).content.decode()
    data = form_data(html, TierVersion)
    data["minutes"] = "9"  # the only change
    steps = prefix_with_field(html, "heading")
    data[f"{steps}-1-prose"] = "\r\n\r\n    indented code block\r\n\r\n"
    assert admin_client.post(url, data).status_code == 302
    step.refresh_from_db()
    assert step.code == "    grant := lease()\n    return grant"
    assert version.steps.order_by("position")[1].prose == "    indented code block"


def test_minutes_out_of_range_and_an_untitled_climb_translation_are_refused(admin_client, version):
    url = admin_url(TierVersion, "change", version.pk)
    data = form_data(admin_client.get(url).content.decode(), TierVersion)
    data["minutes"] = "0"
    errors = field_errors(admin_client.post(url, data).content.decode())
    assert "greater than or equal to 1" in errors.get("minutes", "")

    climb = version.piece.climb
    url = admin_url(Climb, "change", climb.pk)
    data = form_data(admin_client.get(url).content.decode(), Climb)
    data["description"] = "[" * 20_000  # 40 s of Markdown, were it rendered
    errors = field_errors(admin_client.post(url, data).content.decode())
    assert "More than 500" in errors.get("description", "")
    data["description"] = "- " * 2000 + "x"  # a RecursionError (a 500), were it rendered
    errors = field_errors(admin_client.post(url, data).content.decode())
    assert "nested more than 32 deep" in errors.get("description", "")

    data = form_data(admin_client.get(url).content.decode(), Climb)
    data.update(title_ru="", description_ru="Описание без заголовка.")
    errors = field_errors(admin_client.post(url, data).content.decode())
    assert "A translation needs its title too." in errors.get("title_ru", "")
    climb.refresh_from_db()
    assert climb.description_ru == ""


def test_text_saved_through_the_admin_keeps_the_line_ends_of_lesson_files(admin_client, version):
    url = admin_url(TierVersion, "change", version.pk)
    data = form_data(admin_client.get(url).content.decode(), TierVersion)
    assert "\r\n" in data["recap"]  # as a browser sends it
    assert admin_client.post(url, data).status_code == 302
    assert TierVersion.objects.get(pk=version.pk).recap == "A lease is a lock\nwith an expiry date."


# --- what the admin saves, the lesson files can hold ------------------------------------------


@pytest.fixture
def translated():
    """The demo climb imported; its first Zero piece has a Russian translation."""
    from lessons.importer import DEMO_CONTENT

    import_paths([DEMO_CONTENT])
    return TierVersion.objects.get(piece__slug="what-is-a-leader", tier=Tier.ZERO)


def version_page(admin_client, version) -> tuple[str, dict]:
    html = admin_client.get(admin_url(TierVersion, "change", version.pk)).content.decode()
    return html, form_data(html, TierVersion)


def round_trip_is_stable(tmp_path) -> bool:
    """Export, import the export, export again: the same files, nothing changed."""
    from lessons.exporter import export_to

    first = tmp_path / "first"
    export_to(first)
    report = import_paths([first])
    second = tmp_path / "second"
    export_to(second)
    same = all(
        (second / path.relative_to(first)).read_bytes() == path.read_bytes()
        for path in first.rglob("*.md")
    )
    return same and not report.changed


def test_the_admin_edits_a_translation_and_the_files_follow(admin_client, translated, tmp_path):
    html, data = version_page(admin_client, translated)
    steps = prefix_with_field(html, "heading")
    assert f'name="{steps}-0-question_text_ru"' in html and 'name="title_ru"' in html
    data["title_ru"] = "Что такое лидер"
    data[f"{steps}-0-heading_ru"] = "Новый заголовок шага"
    ru_question = data[f"{steps}-0-question_text_ru"]
    data[f"{steps}-0-question_text_ru"] = ru_question.replace("\r\n", "\n").replace(
        "\n\n", "\n\nУточнение.\n\n", 1
    )
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    assert response.status_code == 302, field_errors(response.content.decode())
    step = translated.steps.order_by("position").first()
    assert step.heading_ru == "Новый заголовок шага"
    assert "Уточнение." in step.question.prompt_ru
    assert round_trip_is_stable(tmp_path)


def test_a_step_added_to_a_translated_version_needs_its_translation(
    admin_client, translated, tmp_path
):
    html, data = version_page(admin_client, translated)
    steps = prefix_with_field(html, "heading")
    n = int(data[f"{steps}-TOTAL_FORMS"])
    data[f"{steps}-TOTAL_FORMS"] = str(n + 1)
    new = {
        f"{steps}-{n}-position": str(n),
        f"{steps}-{n}-heading": "One more step",
        f"{steps}-{n}-prose": "Read on.",
        f"{steps}-{n}-question_text": QUESTION_TEXT.format(n=n),
    }
    data.update(new)
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "give the step a Russian heading" in page
    assert "give the question its Russian text" in page
    assert translated.steps.count() == n

    # A Russian question of another shape is refused too.
    data[f"{steps}-{n}-heading_ru"] = "Ещё один шаг"
    data[f"{steps}-{n}-question_text_ru"] = (
        "Что видит писатель?\n\n- [x] Ошибку.\n  Потому что.\n- [ ] Старое значение.\n  Нет."
    )
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    assert "as many and in the same order" in response.content.decode()

    data[f"{steps}-{n}-question_text_ru"] = (
        "Что видит писатель?\n\n- [ ] Старое значение.\n  Аренда истекла.\n"
        "- [x] Ошибку.\n  Аренды больше нет.\n- [ ] Ничего.\n  Ответ есть всегда."
    )
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    assert response.status_code == 302, field_errors(response.content.decode())
    added = translated.steps.get(heading="One more step")
    assert added.question.choices.get(is_correct=True).text_ru == "Ошибку."
    assert round_trip_is_stable(tmp_path)


def test_a_translated_choice_left_marked_untranslated_is_refused_not_thrown_away(
    admin_client, translated
):
    """The review: '- [ ] [untranslated] <Russian>' in the Russian box saved with a 302, and
    the Russian was thrown away (text_ru stayed ''). The mark with the English after it (as
    the export and the box write a choice with no translation yet) is still taken."""
    html, data = version_page(admin_client, translated)
    steps = prefix_with_field(html, "heading")
    n = int(data[f"{steps}-TOTAL_FORMS"])
    data[f"{steps}-TOTAL_FORMS"] = str(n + 1)
    data[f"{steps}-{n}-position"] = str(n)
    data[f"{steps}-{n}-heading"] = "One more step"
    data[f"{steps}-{n}-heading_ru"] = "Ещё один шаг"
    data[f"{steps}-{n}-question_text"] = QUESTION_TEXT.format(n=n)
    russian = (
        "Что видит писатель?\n\n- [ ] {old}\n  Аренда истекла.\n"
        "- [x] Ошибку.\n  Аренды больше нет.\n- [ ] Ничего.\n  Ответ есть всегда."
    )
    data[f"{steps}-{n}-question_text_ru"] = russian.format(old="[untranslated] Старое значение.")
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    assert response.status_code == 200
    errors = field_errors(response.content.decode())
    assert (
        "“[untranslated] Старое значение.” starts with [untranslated]" in errors["question_text_ru"]
    )
    assert not translated.steps.filter(heading="One more step").exists()

    data[f"{steps}-{n}-question_text_ru"] = russian.format(old="[untranslated] The old value.")
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    assert response.status_code == 302, field_errors(response.content.decode())
    choices = translated.steps.get(heading="One more step").question.choices
    assert choices.get(text="The old value.").text_ru == ""
    assert choices.get(is_correct=True).text_ru == "Ошибку."


def test_a_broken_english_question_is_not_blamed_on_its_translation(admin_client, translated):
    """Two right choices in the English: the error is said beside it, and not also beside
    the Russian, which matched the question as it was and was not touched."""
    html, data = version_page(admin_client, translated)
    steps = prefix_with_field(html, "heading")
    english = data[f"{steps}-0-question_text"].replace("\r\n", "\n")
    assert english.count("- [ ]") >= 1
    data[f"{steps}-0-question_text"] = english.replace("- [ ]", "- [x]", 1)
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    errors = field_errors(response.content.decode())
    assert response.status_code == 200
    assert "exactly one correct choice" in errors["question_text"]
    assert "question_text_ru" not in errors, errors


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("prose", "Look:\n\n```go\nlease.Renew()\n```", "would be read back as the snippet"),
        ("prose_after", "Then:\n\n### Question\n\nWhy?", "would start the step's question"),
        ("prose", "## A heading\n\nText.", "would start a new section"),
        ("prose_after", "```go\nunclosed()", "never closed"),
    ],
)
def test_step_text_the_lesson_file_cannot_hold_is_refused(
    admin_client, translated, field, text, message
):
    html, data = version_page(admin_client, translated)
    steps = prefix_with_field(html, "heading")
    data[f"{steps}-0-{field}"] = text
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())


def test_a_snippet_is_checked_as_code_not_as_markdown(admin_client, version):
    """Markdown's limits ('[' and '<', nesting) are for prose: an HTML snippet has them all."""
    step = version.steps.exclude(code="").order_by("position").first()
    url = admin_url(Step, "change", step.pk)
    data = form_data(admin_client.get(url).content.decode(), Step)
    data["code"] = "\n".join("<li><a href='#'>[x]</a></li>" for _ in range(600))
    response = admin_client.post(url, data)
    assert response.status_code == 302, field_errors(response.content.decode())
    step.refresh_from_db()
    assert step.code.count("<") == 2400
    data["prose"] = "[" * 600  # the same page's prose is still Markdown
    assert "More than 500" in field_errors(admin_client.post(url, data).content.decode())["prose"]


def test_a_translated_snippet_keeps_the_original_s_lines(admin_client, translated):
    step = translated.steps.exclude(code="").order_by("position").first()
    url = admin_url(Step, "change", step.pk)
    data = form_data(admin_client.get(url).content.decode(), Step)
    data["code_ru"] = "одна строка"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "keeps the original's" in unescape(response.content.decode())


def test_a_version_s_intro_cannot_start_a_section_and_a_translation_needs_a_title(
    admin_client, translated
):
    html, data = version_page(admin_client, translated)
    data["intro"] = "Intro.\n\n## Surprise section"
    data["title_ru"] = ""
    response = admin_client.post(admin_url(TierVersion, "change", translated.pk), data)
    errors = field_errors(response.content.decode())
    assert "would start a new section" in errors.get("intro", "")
    assert "A translation needs its title too." in errors.get("title_ru", "")


def test_the_admin_is_climbs_with_the_sites_icon(client, admin_client):
    login = client.get("/admin/login/").content.decode()
    index = admin_client.get("/admin/").content.decode()
    for html in (login, index):
        assert "Climb authoring" in html and "Django administration" not in html
        assert re.search(r'<link rel="icon" href="/static/favicon[^"]*\.svg"', html)
    assert "Climbs, lessons, learners and teams" in index


def test_adding_a_question_says_whom_it_un_clears(admin_client, version):
    """The audit added a step to a cleared version: Alice went from Junior to base camp and
    the author was told nothing."""
    from climb.learning.models import scores_for

    learners = [Learner.objects.create() for _ in ("alice", "bob")]
    for learner in learners:
        for question in Question.objects.filter(step__version=version):
            make_answer(learner, question.choices.get(is_correct=True))

    def cleared() -> int:
        return sum(1 for learner in learners if scores_for(learner.pk)[0].cleared)

    assert cleared() == 2
    url = admin_url(TierVersion, "change", version.pk)
    html = admin_client.get(url).content.decode()
    data = form_data(html, TierVersion)
    steps = prefix_with_field(html, "heading")
    n = int(data[f"{steps}-TOTAL_FORMS"])
    data[f"{steps}-TOTAL_FORMS"] = str(n + 1)
    data.update(
        {
            f"{steps}-{n}-position": str(n),
            f"{steps}-{n}-heading": "One more step",
            f"{steps}-{n}-prose": "Read on.",
            f"{steps}-{n}-question_text": QUESTION_TEXT.format(n=n),
        }
    )
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "2 of the 2 learners who had cleared it no longer have" in page_text(response)
    assert cleared() == 0

    # An edit that un-clears nobody says nothing of the kind.
    data = form_data(admin_client.get(url).content.decode(), TierVersion)
    data["minutes"] = "11"
    assert "no longer" not in page_text(admin_client.post(url, data, follow=True))


def test_publish_and_unpublish_actions_take_effect_for_readers_at_once(admin_client, version):
    """update() sends no signals: the actions drop the pages kept in the cache themselves."""
    from django.test import Client

    reader = Client()
    url = version.get_absolute_url()
    changelist = reverse("admin:lessons_tierversion_changelist")
    assert reader.get(url).status_code == 200  # kept in the cache from here on

    response = admin_client.post(
        changelist, {"action": "unpublish", "_selected_action": [version.pk]}, follow=True
    )
    assert "1 version is a draft again." in page_text(response)
    assert TierVersion.objects.get(pk=version.pk).status == Status.DRAFT
    assert reader.get(url).status_code == 404

    response = admin_client.post(
        changelist, {"action": "publish", "_selected_action": [version.pk]}, follow=True
    )
    assert "1 version published." in page_text(response)
    assert reader.get(url).status_code == 200


def test_the_translation_filter_lists_versions_without_a_russian_text(admin_client, version):
    translated = make_version(make_piece(version.piece.climb, slug="clocks", order=2))
    TierVersion.objects.filter(pk=translated.pk).update(title_ru="Часы")
    changelist = reverse("admin:lessons_tierversion_changelist")
    html = page_text(admin_client.get(changelist + "?russian=none"))
    assert f"/{version.pk}/change/" in html and f"/{translated.pk}/change/" not in html
    html = page_text(admin_client.get(changelist + "?russian=current"))
    assert f"/{translated.pk}/change/" in html and f"/{version.pk}/change/" not in html


# --- two authors at once, for real (PostgreSQL) ----------------------------------------------


@needs_concurrent_transactions
@pytest.mark.django_db(transaction=True)
def test_a_reorder_in_the_list_and_a_change_page_save_at_once_do_not_deadlock(monkeypatch):
    """The code review: the change page's conflict check took the content lock and then the
    rows; a list's "order" save took the row and then the content lock (the bump): two
    authors at the wrong moment deadlocked, and one got a 503. Every content write now takes
    the content lock first."""
    import threading

    from django.db import connection
    from django.test import Client

    from lessons.admin import mixins as admin_mixins

    climb = make_climb(slug="ds", title="Distributed Systems")
    alice, bob = Client(), Client()
    alice.force_login(User.objects.create_superuser("alice", "a@example.com", "x"))
    bob.force_login(User.objects.create_superuser("bob", "b@example.com", "x"))
    url = admin_url(Climb, "change", climb.pk)
    bobs = form_data(bob.get(url).content.decode(), Climb)
    bobs["title"] = "Bob's title"
    reordered, bob_locked = threading.Event(), threading.Event()
    lock = admin_mixins.lock_content

    def lock_once_alice_wrote():  # Bob's check, the moment Alice's row is written
        reordered.wait(5)
        lock()
        bob_locked.set()

    def wait_after_the_row(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "lessons_climb"'):
            reordered.set()
            bob_locked.wait(1)  # without the fix Bob holds the lock Alice needs next
        return result

    def alice_reorders():
        with connection.execute_wrapper(wait_after_the_row):
            data = {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-MIN_NUM_FORMS": "0",
                "form-MAX_NUM_FORMS": "1000",
                "form-0-id": str(climb.pk),
                "form-0-order": "7",
                "_save": "Save",
            }
            return alice.post(admin_url(Climb, "changelist"), data).status_code

    monkeypatch.setattr(admin_mixins, "lock_content", lock_once_alice_wrote)
    statuses = at_once(alice_reorders, lambda: bob.post(url, bobs).status_code)
    # Alice's reorder is saved; Bob's page, opened before it, is refused, not deadlocked.
    assert statuses == [302, 200]
    climb.refresh_from_db()
    assert (climb.order, climb.title) == (7, "Distributed Systems")


@pytest.mark.parametrize("slug", ["My_Climb", "Under_Score", "double--hyphen", "-edge"])
def test_a_slug_a_lesson_file_cannot_hold_is_refused(admin_client, slug):
    """The author's audit: Django's slug allows capitals and '_'; the export wrote them into
    files that the importer refuses."""
    response = admin_client.post(
        admin_url(Climb, "add"), {"slug": slug, "title": "A climb", "order": 1, "description": ""}
    )
    assert response.status_code == 200
    assert "a lesson file holds no other slug" in response.content.decode()
    assert not Climb.objects.exists()

    climb = make_climb()
    url = admin_url(Piece, "add")
    data = form_data(admin_client.get(url).content.decode(), Piece)
    response = admin_client.post(url, {**data, "climb": climb.pk, "slug": slug, "order": 5})
    assert "a lesson file holds no other slug" in response.content.decode()
    assert not Piece.objects.exists()


@pytest.mark.parametrize(
    ("slug", "example"), [("My_Climb", "my-climb"), ("double--hyphen", "double-hyphen")]
)
def test_the_slug_rule_is_the_models_with_the_slug_it_suggests(admin_client, slug, example):
    """The review: the rule lived only in the admin's form, so a shell, a script or any
    other form could still save a slug the export writes into a file that will not import."""
    from django.core.exceptions import ValidationError

    climb = Climb(slug=slug, title="A climb", order=1)
    with pytest.raises(ValidationError) as error:
        climb.full_clean()
    assert error.value.message_dict["slug"] == [
        f"Use lower-case letters, digits and single hyphens between them (“{example}”): a "
        "lesson file holds no other slug."
    ]
    with pytest.raises(ValidationError) as error:
        Piece(climb=make_climb(), slug=slug, order=1).full_clean()
    assert list(error.value.message_dict) == ["slug"]
    Piece(climb=Climb.objects.get(), slug=example, order=1).full_clean()

    # The admin shows the model's message, with its suggestion, beside the field.
    response = admin_client.post(
        admin_url(Climb, "add"), {"slug": slug, "title": "B", "order": 2, "description": ""}
    )
    errors = field_errors(response.content.decode())
    assert f"(“{example}”): a lesson file holds no other slug." in errors["slug"]


def test_a_lesson_file_slug_is_accepted(admin_client):
    admin_client.post(
        admin_url(Climb, "add"), {"slug": "my-climb-2", "title": "A", "order": 1, "description": ""}
    )
    assert Climb.objects.filter(slug="my-climb-2").exists()
