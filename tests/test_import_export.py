"""Lesson files in and out: idempotent imports, byte-stable round trips, clear errors, and
learners' answers that survive every content change."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from climb.learning.models import Answer, Learner
from lessons.exporter import export_to
from lessons.importer import DEMO_CONTENT, import_paths
from lessons.lessonfile import LessonFileError
from lessons.models import Choice, Climb, Piece, Question, Source, Status, Step, Tier, TierVersion

from .factories import make_answer

pytestmark = pytest.mark.django_db

LESSON = DEMO_CONTENT / "distributed-systems" / "30-leases-and-ttls.junior.md"


def content_snapshot() -> list:
    rows = []
    for model in (Climb, Piece, TierVersion, Source, Step, Question, Choice):
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "updated_at"]
        rows.append(sorted(model.objects.values_list(*fields)))
    return rows


@pytest.fixture
def lessons(tmp_path) -> Path:
    """A private copy of the demo climb's files to edit."""
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    climb = folder / "distributed-systems"
    # The tests restructure LESSON on purpose; its translation must follow the original's
    # structure (tests/test_translations.py holds that), so it is left out of the copy.
    (climb / LESSON.name.replace(".md", ".ru.md")).unlink()
    return climb


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


# Each English file is a tier version or the climb; each .ru.md fills one of them in.
ORIGINALS = len([p for p in DEMO_CONTENT.rglob("*.md") if not p.name.endswith(".ru.md")])


def test_importing_twice_changes_nothing():
    files = len(list(DEMO_CONTENT.rglob("*.md")))
    first = import_paths([DEMO_CONTENT])
    assert len(first.created) == ORIGINALS == TierVersion.objects.count() + Climb.objects.count()
    # Each translation file fills its original's rows: "translated", not "updated".
    translations = {Path(p).name for p in DEMO_CONTENT.rglob("*.ru.md")}
    assert {Path(p).name for p in first.translated} == translations and not first.updated
    assert first.summary() == (
        f"{ORIGINALS} created, 0 updated, {len(translations)} translated, 0 unchanged"
    )
    before = content_snapshot()
    second = import_paths([DEMO_CONTENT])
    assert not second.changed and len(second.unchanged) == files
    assert content_snapshot() == before


def test_export_import_export_is_a_byte_identical_round_trip(tmp_path):
    import_paths([DEMO_CONTENT])
    before = content_snapshot()
    export_to(tmp_path / "one")
    report = import_paths([tmp_path / "one"])
    assert not report.changed
    assert content_snapshot() == before
    export_to(tmp_path / "two")
    for path in sorted((tmp_path / "one").rglob("*.md")):
        twin = tmp_path / "two" / path.relative_to(tmp_path / "one")
        assert twin.read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("run", [3, 4, 7])
def test_a_snippet_holding_a_line_of_backticks_survives_export_and_import(tmp_path, run):
    """The fuzz audit: a snippet with a line of four backticks was fenced with four, which
    that line closed: the rest of the code came back as prose, with no error."""
    from lessons.models import Step

    import_paths([DEMO_CONTENT])
    step = Step.objects.filter(version__tier=Tier.SENIOR).exclude(code="").first()
    fence = "`" * run
    code = f'doc = """\n{fence}md\n# nested\n{fence}\n"""\nprint(doc)'
    Step.objects.filter(pk=step.pk).update(code=code, marked_lines="")
    before = content_snapshot()
    export_to(tmp_path)
    report = import_paths([tmp_path])
    assert not report.changed
    assert Step.objects.get(pk=step.pk).code == code
    assert content_snapshot() == before


def test_the_demo_files_are_in_the_canonical_exported_form(tmp_path):
    import_paths([DEMO_CONTENT])
    export_to(tmp_path)
    for path in sorted(DEMO_CONTENT.rglob("*.md")):
        exported = tmp_path / path.relative_to(DEMO_CONTENT)
        assert exported.read_text() == path.read_text(), path.name


def test_commands_import_and_export(tmp_path, capsys):
    call_command("import_lessons", str(DEMO_CONTENT))
    assert f"{ORIGINALS} created" in capsys.readouterr().out
    call_command("export_lessons", str(tmp_path), "--climb", "distributed-systems")
    assert (tmp_path / "distributed-systems" / "climb.md").exists()
    assert len(list(tmp_path.rglob("*.md"))) == len(list(DEMO_CONTENT.rglob("*.md")))


def test_an_export_the_import_would_refuse_says_so(tmp_path, capsys):
    """The code review: an explanation stored before lesson files refused a line that reads
    as a choice exports to a file the import refuses; the export reads its files back."""
    from lessons.models import Choice

    call_command("import_lessons", str(DEMO_CONTENT))
    choice = Choice.objects.filter(question__step__version__tier=Tier.ZERO).first()
    Choice.objects.filter(pk=choice.pk).update(explanation="Not this.\n- [ ] Nor this.")
    with pytest.raises(CommandError) as excinfo:
        call_command("export_lessons", str(tmp_path))
    assert "1 of the files written would not import again" in str(excinfo.value)
    problem = capsys.readouterr().err
    assert "'- [ ] Nor this.' is indented" in problem
    assert f"{choice.question.step.version.piece.slug}.zero.md:" in problem
    call_command("import_lessons", str(DEMO_CONTENT))  # put back: the export passes again
    call_command("export_lessons", str(tmp_path))


def test_exporting_an_unknown_climb_is_an_error(tmp_path):
    """`--climb nope` said "0 files written" and exited 0: a cron job's typo went unseen."""
    call_command("import_lessons", str(DEMO_CONTENT))
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "export_lessons", str(tmp_path), "--climb", "distributed-systems", "--climb", "nope"
        )
    assert str(excinfo.value) == (
        "no climb 'nope', nothing written; the climbs are: distributed-systems"
    )
    assert not list(tmp_path.iterdir())


def test_an_edited_file_updates_only_what_changed(lessons):
    import_paths([lessons.parent])
    edit(lessons / LESSON.name, "title: Leases and TTLs", "title: Leases, and their TTLs")
    report = import_paths([lessons.parent])
    assert [Path(p).name for p in report.updated] == [LESSON.name]
    assert TierVersion.objects.filter(title="Leases, and their TTLs").exists()


def test_markup_that_shows_as_typed_imports_with_a_warning_at_its_line(lessons, capsys):
    """The author audit: "**TTL" with its closing stars lost rendered as typed, silently."""
    edit(lessons / LESSON.name, "gets it for a **TTL** (time", "gets it for a **TTL (time")
    lines = (lessons / LESSON.name).read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "a **TTL (time" in text)
    call_command("import_lessons", str(lessons.parent))
    err = capsys.readouterr().err
    assert f"{LESSON.name}:{line}: ** opens bold text that nothing closes" in err
    intro = TierVersion.objects.get(piece__slug="leases-and-ttls", tier=Tier.JUNIOR).intro_html
    assert "a **TTL (time to live)" in intro  # as typed, stars and all


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("tier: junior\n", "", "missing field 'tier'"),
        ("tier: junior", "tier: principal", "unknown tier 'principal'"),
        ("- [x] ", "- [ ] ", "no correct choice"),
        ("- [ ] ", "- [x] ", "2 correct choices"),
        ("```log", "```klingon", "unknown snippet language 'klingon'"),
    ],
)
def test_a_bad_file_is_named_with_its_line_and_changes_nothing(lessons, old, new, message):
    import_paths([lessons.parent])
    before = content_snapshot()
    edit(lessons / "20-dead-or-slow.zero.md", "minutes: 8", "minutes: 9")  # a good file too
    edit(lessons / LESSON.name, old, new)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_lessons", str(lessons.parent))
    error = str(excinfo.value)
    assert LESSON.name in error and message in error
    assert re.search(rf"{LESSON.name}:\d+: ", error), error  # the line, too
    assert content_snapshot() == before


@pytest.mark.parametrize(
    ("cut_from", "cut_to", "message"),
    [
        ("## Intro", "## Goal", "missing section '## Intro': it goes before this '## Goal'"),
        ("## Goal", "## Step: ", "missing section '## Goal': it goes before this '## Step: "),
        (
            "## Step: ",
            "## Recap",
            "a lesson needs at least one '## Step: <heading>' before '## Recap'",
        ),
    ],
    ids=["no intro", "no goal", "no step"],
)
def test_a_missing_section_is_named_with_the_line_where_it_goes(lessons, cut_from, cut_to, message):
    """They named the file only: the line is the heading that came in its place."""
    cut(lessons / LESSON.name, cut_from, cut_to)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_lessons", str(lessons.parent))
    lines = (lessons / LESSON.name).read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith(cut_to))
    assert f"{LESSON.name}:{line}: {message}" in str(excinfo.value)


def test_a_duplicate_piece_and_tier_is_refused(lessons):
    shutil.copy(lessons / LESSON.name, lessons / "99-copy.junior.md")
    with pytest.raises(
        CommandError, match=r"\.md:3: duplicate slug: piece 'leases-and-ttls' at tier junior"
    ):
        call_command("import_lessons", str(lessons.parent))
    assert not Climb.objects.exists()


def test_an_unknown_climb_is_refused(lessons):
    (lessons / "climb.md").unlink()
    with pytest.raises(CommandError, match=r"\.md:2: unknown climb 'distributed-systems'"):
        call_command("import_lessons", str(lessons.parent))


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        call_command("import_lessons", str(tmp_path / "nope"))


def first_question(slug="leases-and-ttls", tier=Tier.JUNIOR) -> Question:
    """The first question of LESSON (by default): the piece has a Zero version too, whose
    first step ties on position, and PostgreSQL was free to return either."""
    versions = {"step__version__piece__slug": slug, "step__version__tier": tier}
    return Question.objects.filter(**versions).order_by("step__position").first()


def test_answers_keep_the_question_they_saw_when_it_is_rewritten(lessons):
    import_paths([lessons.parent])
    question = first_question()
    old_prompt = question.prompt
    old_texts = [c.text for c in question.choices.all()]
    learner = Learner.objects.create()
    answer = make_answer(learner, question.choices.get(is_correct=True))
    # rewrite the prompt and the first choice
    edit(lessons / LESSON.name, old_prompt.splitlines()[0], "A completely new prompt.")
    edit(
        lessons / LESSON.name,
        f"- [{'x' if question.choices.first().is_correct else ' '}] {old_texts[0]}",
        f"- [{'x' if question.choices.first().is_correct else ' '}] A new first choice",
    )
    import_paths([lessons.parent])
    answer.refresh_from_db()
    assert answer.revision.prompt == old_prompt
    assert [c["text"] for c in answer.revision.choices] == old_texts
    assert answer.revision.choices[answer.choice_index]["is_correct"] is True
    question.refresh_from_db()
    assert question.prompt.startswith("A completely new prompt.")


def test_removing_an_answered_step_is_refused_and_keeps_everything(lessons):
    import_paths([lessons.parent])
    question = first_question()
    make_answer(Learner.objects.create(), question.choices.first())
    text = (lessons / LESSON.name).read_text()
    start = text.index("## Step:")
    end = text.index("## Step:", start + 1)
    (lessons / LESSON.name).write_text(text[:start] + text[end:])
    before = content_snapshot()
    with pytest.raises(CommandError, match=r"learners answered its question \(1 answer\)"):
        call_command("import_lessons", str(lessons.parent))
    assert content_snapshot() == before
    assert Answer.objects.count() == 1


def test_removing_an_unanswered_step_deletes_it(lessons):
    import_paths([lessons.parent])
    steps = Step.objects.filter(
        version__piece__slug="leases-and-ttls", version__tier=Tier.JUNIOR
    ).count()
    text = (lessons / LESSON.name).read_text()
    start = text.index("## Step:")
    end = text.index("## Step:", start + 1)
    (lessons / LESSON.name).write_text(text[:start] + text[end:])
    import_paths([lessons.parent])
    assert (
        Step.objects.filter(
            version__piece__slug="leases-and-ttls", version__tier=Tier.JUNIOR
        ).count()
        == steps - 1
    )


def test_renaming_a_step_heading_keeps_its_question_and_answers(lessons):
    import_paths([lessons.parent])
    question = first_question()
    answer = make_answer(Learner.objects.create(), question.choices.first())
    heading = question.step.heading
    edit(lessons / LESSON.name, f"## Step: {heading}", "## Step: A better heading")
    import_paths([lessons.parent])
    answer.refresh_from_db()
    assert answer.question.step.heading == "A better heading"


def test_draft_files_import_as_drafts_that_learners_cannot_read(client, lessons):
    edit(lessons / LESSON.name, "minutes: ", "status: draft\nminutes: ")
    import_paths([lessons.parent])
    version = TierVersion.objects.get(piece__slug="leases-and-ttls", tier=Tier.JUNIOR)
    assert version.status == Status.DRAFT
    assert client.get(version.get_absolute_url()).status_code == 404


def test_choices_keep_their_rows_whatever_the_admin_left_in_position(lessons, tmp_path):
    """The admin's default position is 0 and authors may number from 1: a re-import must
    update each choice in place, not duplicate them or shift them under learners' answers."""
    import_paths([lessons.parent])
    question = first_question()
    choices = list(question.choices.all())
    wrong = next(c for c in choices if not c.is_correct)
    answer = make_answer(Learner.objects.create(), wrong)
    for positions in ([0] * len(choices), list(range(1, len(choices) + 1))):
        for choice, position in zip(choices, positions, strict=True):
            Choice.objects.filter(pk=choice.pk).update(position=position)
        out = tmp_path / f"export-{positions[0]}"
        export_to(out)
        lesson = out / "distributed-systems" / LESSON.name
        wrong.refresh_from_db()
        edit(lesson, wrong.explanation.splitlines()[0], f"A clearer explanation {positions[0]}.")
        import_paths([out])
        after = list(question.choices.order_by("position", "id"))
        assert [c.pk for c in after] == [c.pk for c in choices]
        assert [c.position for c in after] == list(range(len(choices)))
        answer.refresh_from_db()
        assert answer.choice.text == wrong.text
        assert answer.choice.explanation.startswith(f"A clearer explanation {positions[0]}.")


def test_reordered_choices_keep_their_rows_and_answers(lessons):
    import_paths([lessons.parent])
    question = first_question()
    texts = [c.text for c in question.choices.all()]
    picked = question.choices.get(text=texts[-1])
    answer = make_answer(Learner.objects.create(), picked)
    text = (lessons / LESSON.name).read_text()
    lines = text.splitlines(keepends=True)
    # Move the last choice (its line and its explanation) to the front of the list.
    start = next(i for i, line in enumerate(lines) if line.startswith("- [") and texts[0] in line)
    last = next(i for i, line in enumerate(lines) if line.startswith("- [") and texts[-1] in line)
    end = last + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    moved = lines[last:end]
    (lessons / LESSON.name).write_text(
        "".join(lines[:start] + moved + lines[start:last] + lines[end:])
    )
    import_paths([lessons.parent])
    assert [c.text for c in question.choices.all()] == [texts[-1], *texts[:-1]]
    answer.refresh_from_db()
    assert answer.choice_id == picked.pk and answer.choice.text == texts[-1]


def test_two_steps_with_one_heading_are_refused_with_the_line(lessons):
    import_paths([lessons.parent])
    before = content_snapshot()
    text = (lessons / LESSON.name).read_text()
    headings = [line for line in text.splitlines() if line.startswith("## Step:")]
    edit(lessons / LESSON.name, headings[2], headings[1])
    with pytest.raises(CommandError, match="two steps are headed") as excinfo:
        call_command("import_lessons", str(lessons.parent))
    assert f"{LESSON.name}:" in str(excinfo.value)
    assert content_snapshot() == before


def test_the_database_refuses_two_steps_with_one_heading(lessons):
    from django.db import IntegrityError, transaction

    import_paths([lessons.parent])
    step = Step.objects.filter(
        version__piece__slug="leases-and-ttls", version__tier=Tier.JUNIOR
    ).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(version=step.version, heading=step.heading, position=99)


def choice_block(lines: list[str], text: str) -> tuple[int, int]:
    """The line range of a choice and its explanation."""
    start = next(i for i, line in enumerate(lines) if line.startswith("- [") and text in line)
    end = start + 1
    while end < len(lines) and (lines[end].startswith("  ") or not lines[end].strip()):
        if not lines[end].strip() and not (end + 1 < len(lines) and lines[end + 1][:2] == "  "):
            break
        end += 1
    return start, end


def test_two_choices_reworded_and_swapped_keep_their_answers_right_and_wrong(lessons):
    """The audit's case: the fallback paired choices by display order, so a right answer
    pointed at a wrong choice ("Right. You chose: <a wrong choice>")."""
    import_paths([lessons.parent])
    question = first_question()
    choices = list(question.choices.all())
    right = next(c for c in choices if c.is_correct)
    wrong = next(c for c in choices if not c.is_correct)
    right_answer = make_answer(Learner.objects.create(), right)
    wrong_answer = make_answer(Learner.objects.create(), wrong)
    lines = (lessons / LESSON.name).read_text().splitlines(keepends=True)
    a, b = sorted([choice_block(lines, right.text), choice_block(lines, wrong.text)])
    first, second = lines[a[0] : a[1]], lines[b[0] : b[1]]
    swapped = lines[: a[0]] + second + lines[a[1] : b[0]] + first + lines[b[1] :]
    text = "".join(swapped)
    text = text.replace(f"] {right.text}\n", f"] {right.text} (reworded)\n")
    text = text.replace(f"] {wrong.text}\n", f"] Quite clearly: {wrong.text}\n")
    (lessons / LESSON.name).write_text(text)
    import_paths([lessons.parent])

    right_answer.refresh_from_db()
    wrong_answer.refresh_from_db()
    assert right_answer.choice_id == right.pk
    assert right_answer.choice.is_correct and right_answer.choice.text.endswith("(reworded)")
    assert wrong_answer.choice_id == wrong.pk
    assert not wrong_answer.choice.is_correct
    assert wrong_answer.choice.text.startswith("Quite clearly: ")


def test_an_answered_choice_is_not_taken_for_an_unlike_one(lessons):
    """A wrong choice replaced by a different distractor is a new row; the old one's answers
    keep the revision they were given on."""
    import_paths([lessons.parent])
    question = first_question()
    wrongs = [c for c in question.choices.all() if not c.is_correct]
    assert len(wrongs) >= 2
    answer = make_answer(Learner.objects.create(), wrongs[0])
    edit(lessons / LESSON.name, f"] {wrongs[0].text}\n", "] Zzz qqq 42.\n")
    edit(lessons / LESSON.name, f"] {wrongs[1].text}\n", "] Vvv www 17.\n")
    import_paths([lessons.parent])
    answer.refresh_from_db()
    assert answer.choice is None
    assert answer.revision.choices[answer.choice_index]["text"] == wrongs[0].text
    assert not answer.is_correct


def cut_step(text: str, index: int) -> tuple[str, str]:
    """The text without its `index`-th step, and that step's text."""
    starts = [i for i in range(len(text)) if text.startswith("## Step:", i)]
    end = starts[index + 1] if index + 1 < len(starts) else text.index("## Recap")
    return text[: starts[index]] + text[end:], text[starts[index] : end]


def test_a_removed_step_is_not_taken_for_a_step_added_elsewhere(lessons):
    """The audit's case: an answered step removed and a new one added at the end moved
    everyone's answers onto the new, unrelated question."""
    import_paths([lessons.parent])
    question = first_question()
    make_answer(Learner.objects.create(), question.choices.first())
    text, removed = cut_step((lessons / LESSON.name).read_text(), 0)
    new_step = removed.replace(question.step.heading, "A brand new step", 1)
    recap = text.index("## Recap")
    (lessons / LESSON.name).write_text(text[:recap] + new_step + text[recap:])
    before = content_snapshot()
    with pytest.raises(CommandError, match="learners answered its question"):
        call_command("import_lessons", str(lessons.parent))
    assert content_snapshot() == before


def test_a_heading_renamed_in_place_is_kept_while_a_step_is_added(lessons):
    import_paths([lessons.parent])
    steps = list(
        Step.objects.filter(
            version__piece__slug="leases-and-ttls", version__tier=Tier.JUNIOR
        ).order_by("position")
    )
    assert len(steps) >= 3
    middle = steps[1]
    answer = make_answer(Learner.objects.create(), middle.question.choices.first())
    path = lessons / LESSON.name
    edit(path, f"## Step: {middle.heading}\n", "## Step: The middle step, renamed\n")
    text = path.read_text()
    _, last = cut_step(text, len(steps) - 1)
    recap = text.index("## Recap")
    path.write_text(
        text[:recap] + last.replace(steps[-1].heading, "One more step", 1) + text[recap:]
    )
    import_paths([lessons.parent])
    answer.refresh_from_db()
    assert answer.question.step_id == middle.pk
    assert answer.question.step.heading == "The middle step, renamed"
    headings = list(
        Step.objects.filter(version__piece__slug="leases-and-ttls", version__tier=Tier.JUNIOR)
        .order_by("position")
        .values_list("heading", flat=True)
    )
    assert headings[-1] == "One more step" and len(headings) == len(steps) + 1


def test_export_names_files_the_database_no_longer_has_and_prune_removes_them(lessons, capsys):
    """The audit's case: a slug renamed in the admin, exported into the git folder, left the
    old file there, and the next import (make run's load_demo) brought the old piece back as
    a published duplicate, dropping learners' altitude."""
    import_paths([lessons.parent])
    Piece.objects.filter(slug="leases-and-ttls").update(slug="leases-and-their-ttls")
    old = lessons / LESSON.name
    call_command("export_lessons", str(lessons.parent))
    warning = capsys.readouterr().err
    assert "not in the database" in warning and str(old) in warning
    assert old.exists()  # listed, not removed: it may be an author's unimported work

    call_command("export_lessons", str(lessons.parent), "--prune")
    assert "removed" in capsys.readouterr().out
    assert not old.exists()
    assert (lessons / LESSON.name.replace("leases-and-ttls", "leases-and-their-ttls")).exists()
    report = import_paths([lessons.parent])
    assert not report.created
    assert not Piece.objects.filter(slug="leases-and-ttls").exists()


def test_an_import_that_adds_a_question_says_whom_it_un_clears(lessons, capsys):
    import_paths([lessons.parent])
    learner = Learner.objects.create()
    for question in Question.objects.filter(step__version__piece__slug="leases-and-ttls"):
        make_answer(learner, question.choices.get(is_correct=True))
    text = (lessons / LESSON.name).read_text()
    _, last = cut_step(text, 0)
    recap = text.index("## Recap")
    (lessons / LESSON.name).write_text(
        text[:recap] + last.replace("## Step: ", "## Step: Again, ", 1) + text[recap:]
    )
    call_command("import_lessons", str(lessons.parent))
    warning = capsys.readouterr().err
    assert (
        LESSON.name in warning and "1 of the 1 learners who had cleared it no longer has" in warning
    )


@pytest.mark.parametrize(
    ("stored", "file", "paired"),
    [
        ("ABC", "AXC", {"X": "B"}),  # renamed in place
        ("ABCD", "AXYD", {"X": "B", "Y": "C"}),
        ("ABC", "ACX", {}),  # removed here, added there: never one for the other
        ("CFE", "BEC", {}),  # the review's cases: a reorder in the same edit
        ("ABD", "BXA", {}),
        ("AB", "BA", {}),  # only reordered: matched by heading, nothing to pair
        ("A", "X", {"X": "A"}),  # the only step, renamed
        ("", "X", {}),
    ],
)
def test_steps_are_taken_as_renamed_only_in_place(stored, file, paired):
    from types import SimpleNamespace

    from lessons.matching import match_steps

    steps = [SimpleNamespace(pk=n, heading=h) for n, h in enumerate(stored, start=1)]
    matched = match_steps(steps, list(file))
    renamed = {
        heading: step.heading
        for heading, step in zip(file, matched, strict=True)
        if step is not None and step.heading != heading
    }
    assert renamed == paired
    for heading, step in zip(file, matched, strict=True):
        if heading in stored:
            assert step.heading == heading  # by heading, wherever it moved


def test_one_distractor_replaced_by_another_is_a_new_choice(lessons):
    """The review's case: the only unmatched pair was taken as one choice however unlike, so
    learners who had picked the old distractor read "You chose: <the new one>"."""
    import_paths([lessons.parent])
    question = first_question()
    wrong = question.choices.filter(is_correct=False).first()
    answer = make_answer(Learner.objects.create(), wrong)
    edit(lessons / LESSON.name, f"] {wrong.text}\n", "] Zzz qqq 42.\n")
    import_paths([lessons.parent])
    answer.refresh_from_db()
    assert answer.choice is None
    assert question.choices.filter(text="Zzz qqq 42.").exists()
    assert answer.revision.choices[answer.choice_index]["text"] == wrong.text


def test_a_translation_carries_its_source_notes_and_exports_them(tmp_path):
    """A translation file's source_notes fill the Russian notes, one per source in order;
    the wrong number is refused with its line, and export writes them back."""
    import_paths([DEMO_CONTENT])
    version = TierVersion.objects.get(piece__slug="leases-and-ttls", tier=Tier.JUNIOR)
    sources = list(version.sources.order_by("position"))
    notes = [source.note_ru for source in sources]
    assert notes[1] == "Мартин Клеппман, 2016" and notes[0] == ""  # the demo's own
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    russian = folder / "distributed-systems" / LESSON.name.replace(".md", ".ru.md")
    text = russian.read_text()
    start = text.index("source_notes:")
    end = text.index("---", start)
    russian.write_text(text[:start] + 'source_notes:\n  - "Одна заметка"\n' + text[end:])
    with pytest.raises(LessonFileError, match=r"\.ru\.md:\d+: the translation has 1 source note,"):
        import_paths([folder])
    assert [s.note_ru for s in version.sources.order_by("position")] == notes  # unchanged

    export_to(tmp_path / "out")
    exported = (tmp_path / "out" / "distributed-systems" / russian.name).read_text()
    assert 'source_notes:\n  - ""\n  - "Мартин Клеппман, 2016"\n' in exported


# --- problems only several files show, and translations that do not fit their original -------

RU = "20-dead-or-slow.zero.ru.md"


def cut(path: Path, start: str, end: str) -> None:
    """Remove the text from `start` up to (not including) the next `end` after it."""
    text = path.read_text()
    begin = text.index(start)
    path.write_text(text[:begin] + text[text.index(end, begin + len(start)) :])


def copy_to(path: Path, folder: Path, name: str | None = None, replace=("", "")) -> None:
    folder.mkdir(exist_ok=True)
    (folder / (name or path.name)).write_text(path.read_text().replace(*replace, 1))


CROSS_FILE = {
    "climb slug twice": (
        lambda d: copy_to(d / "climb.md", d.parent / "copy"),
        "duplicate climb slug 'distributed-systems'",
    ),
    "translation twice": (
        lambda d: copy_to(d / RU, d.parent / "copy"),
        "duplicate translation: also in",
    ),
    "one piece, two orders": (
        lambda d: edit(d / "10-what-is-a-leader.junior.md", "order: 10", "order: 11"),
        "has order 1",
    ),
    "translated climb unknown": (
        lambda d: copy_to(
            d / "climb.ru.md", d.parent / "ghost", replace=("slug: distributed-systems", "slug: x")
        ),
        "a translation of unknown climb 'x'",
    ),
    "translation without an original": (
        lambda d: copy_to(
            d / RU, d, "20-dead-or-slow.senior.ru.md", replace=("tier: zero", "tier: senior")
        ),
        "which does not exist: import the original file too",
    ),
    "translation a step short": (
        lambda d: cut(d / RU, "## Step: Выбираем таймаут", "## Recap"),
        "the translation has 2 steps, the original has 3",
    ),
    "translated snippet a line longer": (
        lambda d: edit(d / RU, "```yaml mark=3,6-7\n", "```yaml mark=3,6-7\n# лишняя строка\n"),
        "a translated snippet must keep the original's",
    ),
    "translation without a question": (
        lambda d: cut(d / RU, "### Question", "## Step: Узел"),
        "the original asks a question here and the translation has no '### Question'",
    ),
}


@pytest.mark.parametrize("case", CROSS_FILE, ids=list(CROSS_FILE))
def test_a_problem_across_files_is_refused_and_changes_nothing(lessons, case):
    import_paths([lessons.parent])
    before = content_snapshot()
    change, message = CROSS_FILE[case]
    change(lessons)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_lessons", str(lessons.parent))
    assert message in str(excinfo.value)
    assert content_snapshot() == before


@pytest.mark.parametrize(
    ("case", "line"),
    [
        ("climb slug twice", 2),  # slug:
        ("translated climb unknown", 2),  # slug:
        ("translation without an original", 3),  # piece:
    ],
)
def test_a_problem_across_files_is_named_with_its_line(lessons, case, line):
    """They named the file only: the line is the front matter's key the problem is about."""
    import_paths([lessons.parent])
    change, message = CROSS_FILE[case]
    change(lessons)
    with pytest.raises(LessonFileError, match=re.escape(message)) as excinfo:
        import_paths([lessons.parent])
    key = {2: "slug: ", 3: "piece: "}[line]
    assert Path(excinfo.value.path).read_text().splitlines()[line - 1].startswith(key)
    assert excinfo.value.line == line


def test_removing_an_answered_question_is_refused_and_keeps_it(lessons):
    """The step stays, its question goes: refused like removing the whole step."""
    import_paths([lessons.parent])
    question = first_question()  # the one cut below (the piece has a Zero version too)
    make_answer(Learner.objects.create(), question.choices.first())
    before = content_snapshot()
    cut(lessons / LESSON.name, "### Question", "## Step: Riding out")
    with pytest.raises(
        CommandError, match="is gone from the file, but learners answered it"
    ) as excinfo:
        call_command("import_lessons", str(lessons.parent))
    # On the heading of the step that lost it (it named the file only), where it goes back.
    heading = f"## Step: {question.step.heading}"
    line = (lessons / LESSON.name).read_text().splitlines().index(heading) + 1
    assert f"{LESSON.name}:{line}: the question of step " in str(excinfo.value)
    assert content_snapshot() == before
    assert question.answers.count() == 1


def test_a_climb_retitled_and_a_piece_moved_are_updated(lessons):
    import_paths([lessons.parent])
    edit(lessons / "climb.md", "title: Distributed Systems", "title: Distributed Systems 101")
    piece_files = {p.name for p in lessons.glob("30-leases-and-ttls.*.md") if ".ru." not in p.name}
    for name in piece_files:
        edit(lessons / name, "order: 30", "order: 35")
    report = import_paths([lessons.parent])
    assert {"climb.md"} < {Path(p).name for p in report.updated} <= {"climb.md"} | piece_files
    assert Climb.objects.get().title == "Distributed Systems 101"
    assert Piece.objects.get(slug="leases-and-ttls").order == 35


def test_a_file_that_moves_its_stored_piece_says_so_on_its_line(lessons, capsys):
    """A file copied for a new piece, its `piece:` left as it was: the import moved the old
    piece to the copy's order and said only "created" or "updated"."""
    import_paths([lessons.parent])
    copy = lessons / "35-a-new-piece.middle.md"
    copy.write_text(
        (lessons / LESSON.name)
        .read_text()
        .replace("order: 30", "order: 35", 1)
        .replace("tier: junior", "tier: middle", 1)
    )
    call_command("import_lessons", str(copy))
    out = capsys.readouterr().out.splitlines()
    assert f"created: {copy} (piece leases-and-ttls moved from 30 to 35)" in out
    assert Piece.objects.get(slug="leases-and-ttls").order == 35

    # Put back by its own file: "updated", with the move; an update that moves nothing
    # is the plain line it always was.
    edit(lessons / LESSON.name, "minutes: ", "minutes: 1")
    call_command("import_lessons", str(lessons / LESSON.name))
    out = capsys.readouterr().out.splitlines()
    assert f"updated: {lessons / LESSON.name} (piece leases-and-ttls moved from 35 to 30)" in out
    edit(lessons / LESSON.name, "minutes: 1", "minutes: ")
    call_command("import_lessons", str(lessons / LESSON.name))
    assert f"updated: {lessons / LESSON.name}" in capsys.readouterr().out.splitlines()


def test_a_draft_is_exported_as_a_draft_and_stays_one(tmp_path):
    import_paths([DEMO_CONTENT])
    TierVersion.objects.filter(piece__slug="leases-and-ttls", tier=Tier.JUNIOR).update(
        status=Status.DRAFT
    )
    export_to(tmp_path)
    path = tmp_path / "distributed-systems" / LESSON.name
    assert "\nstatus: draft\n" in path.read_text()
    TierVersion.objects.filter(piece__slug="leases-and-ttls", tier=Tier.JUNIOR).update(
        status=Status.PUBLISHED
    )
    import_paths([tmp_path])
    assert (
        TierVersion.objects.get(piece__slug="leases-and-ttls", tier=Tier.JUNIOR).status
        == Status.DRAFT
    )


def test_steps_or_choices_reordered_in_english_only_are_refused_not_mistranslated(tmp_path):
    """The author's audit swapped two steps in the English file and re-imported: the Russian
    file, paired by position, put each step's translation on the other, with nothing marked
    behind (the digests go by row). The same for two wrong choices of a question."""
    from lessons.lessonfile import dump_version, parse_version

    import_paths([DEMO_CONTENT])
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    english = folder / "distributed-systems" / "20-dead-or-slow.zero.md"
    original = english.read_text()
    before = content_snapshot()

    russian = english.with_name(RU)
    russian_lines = russian.read_text().splitlines()
    data = parse_version(original)
    data.steps[0], data.steps[1] = data.steps[1], data.steps[0]
    english.write_text(dump_version(data))
    with pytest.raises(
        LessonFileError, match=r"step 1 \(.*\) translates what is now step 2"
    ) as excinfo:
        import_paths([folder])
    assert content_snapshot() == before
    # On the translation's step heading that is out of order (it named the file only).
    first_step = next(n for n, line in enumerate(russian_lines, 1) if line.startswith("## Step:"))
    assert (excinfo.value.path, excinfo.value.line) == (str(russian), first_step)

    data = parse_version(original)
    question = next(step.question for step in data.steps if step.question)
    wrong = [n for n, choice in enumerate(question.choices) if not choice.is_correct]
    first, second = wrong[:2]
    question.choices[first], question.choices[second] = (
        question.choices[second],
        question.choices[first],
    )
    english.write_text(dump_version(data))
    with pytest.raises(
        LessonFileError, match=rf"choice {first + 1} translates what is now"
    ) as excinfo:
        import_paths([folder])
    assert content_snapshot() == before
    # On the translation's choice line, in the step that has the question.
    step_number = next(n for n, step in enumerate(data.steps) if step.question)
    headings = [n for n, line in enumerate(russian_lines) if line.startswith("## Step:")]
    choices = [
        n + 1
        for n, line in enumerate(russian_lines)
        if n > headings[step_number] and line.startswith(("- [ ] ", "- [x] "))
    ]
    assert (excinfo.value.path, excinfo.value.line) == (str(russian), choices[first])

    # Both files reordered alike: imported, each step keeping its own translation.
    translation = parse_version(russian.read_text())
    data = parse_version(original)
    for steps in (data.steps, translation.steps):
        steps[0], steps[1] = steps[1], steps[0]
    english.write_text(dump_version(data))
    russian.write_text(dump_version(translation))
    import_paths([folder])
    version = TierVersion.objects.get(piece__slug="dead-or-slow", tier=Tier.ZERO)
    pairs = list(version.steps.order_by("position").values_list("heading", "heading_ru"))
    assert pairs[0] == (data.steps[0].heading, translation.steps[0].heading)
    assert pairs[1] == (data.steps[1].heading, translation.steps[1].heading)


def test_a_piece_renamed_in_its_files_is_named_as_left_out(tmp_path, capsys):
    """The author's audit renamed a piece's slug in its files: the import made a second
    piece beside the first, said "2 created", and the climb listed both."""
    import_paths([DEMO_CONTENT])
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    for path in (folder / "distributed-systems").glob("20-dead-or-slow.*"):
        path.write_text(path.read_text().replace("piece: dead-or-slow", "piece: dead-or-late"))
    call_command("import_lessons", str(folder))
    err = capsys.readouterr().err
    assert "distributed-systems/dead-or-slow at Zero: stored, but in none of these files" in err
    assert "distributed-systems/dead-or-slow at Junior" in err
    assert err.count("stored, but in none of these files") == 2
    # Unpublished (gone for good, as the warning advises): not named again.
    TierVersion.objects.filter(piece__slug="dead-or-slow").update(status=Status.DRAFT)
    call_command("import_lessons", str(folder))
    assert "in none of these files" not in capsys.readouterr().err
    # A single file is not the whole climb: nothing to say about the others.
    call_command(
        "import_lessons", str(folder / "distributed-systems" / "10-what-is-a-leader.zero.md")
    )
    assert "in none of these files" not in capsys.readouterr().err


NEW_STEP = """
## Step: One more English step

Prose.

### Question

A question added in English only?

- [x] Right.
  Why it is right.
- [ ] Wrong.
  Why it is wrong.
"""


def test_parts_added_in_english_only_export_as_marked_english_and_import_again(tmp_path):
    """The author's audit imported an English file alone, with a new step (and question) and
    a choice rewritten: the export's .ru.md had '## Step: ' and '- [x] ' with no text, and
    did not import again. Now the missing parts are the English, marked untranslated; the
    export imports without a change, and the translation has not caught up."""
    import_paths([DEMO_CONTENT])
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    english = folder / "distributed-systems" / "20-dead-or-slow.zero.md"
    edit(english, "\n## Recap", NEW_STEP + "\n## Recap")
    old = "] `node-b` is overloaded, because a node that crashed would have sent a last goodbye"
    edit(english, old + " message.", "] Zzz qqq 42.")
    import_paths([english])
    version = TierVersion.objects.get(piece__slug="dead-or-slow", tier=Tier.ZERO)
    assert version.steps.filter(heading="One more English step", heading_ru="").exists()

    export_to(tmp_path / "out")
    russian = (tmp_path / "out" / "distributed-systems" / RU).read_text()
    assert "\n## Step: [untranslated] One more English step\n" in russian
    assert "\n### Question\n\n[untranslated] A question added in English only?\n" in russian
    assert "\n- [x] [untranslated] Right.\n  [untranslated] Why it is right.\n" in russian
    assert "\n- [ ] [untranslated] Zzz qqq 42.\n" in russian
    before = content_snapshot()
    report = import_paths([tmp_path / "out"])
    assert content_snapshot() == before
    assert report.translated == []


def test_prune_leaves_an_editor_s_lock_and_backup_files_alone(lessons, capsys):
    """The import skips hidden files and links to nowhere (lessonfile.lesson_files): an
    export with --prune must not take them for files the database no longer has."""
    import_paths([lessons.parent])
    (lessons / ".#30-leases.junior.md").symlink_to(lessons / "nowhere")
    (lessons / ".30-leases.junior.md").write_text("a backup")
    call_command("export_lessons", str(lessons.parent), "--prune")
    assert "removed" not in capsys.readouterr().out
    assert (lessons / ".#30-leases.junior.md").is_symlink()
    assert (lessons / ".30-leases.junior.md").exists()


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        (
            "## Step: [untranslated] One more English step",
            "## Step: [untranslated] Ещё шаг",
            "step 4's heading",
        ),
        ("- [ ] [untranslated] Zzz qqq 42.", "- [ ] [untranslated] Жжж 42.", "step 1's choice 4"),
        (
            "  [untranslated] Why it is right.",
            "  [untranslated] Потому что.",
            "the explanation of step 4's choice 1",
        ),
    ],
)
def test_a_translation_typed_over_the_english_with_the_mark_left_is_refused(
    tmp_path, old, new, what
):
    """The review: a translator who typed the Russian after the mark and left it
    ('## Step: [untranslated] Ещё один шаг') had it thrown away without a word. The mark
    alone, or with the English (as it is now, or as it was when exported), is still taken."""
    import_paths([DEMO_CONTENT])
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    english = folder / "distributed-systems" / "20-dead-or-slow.zero.md"
    edit(english, "\n## Recap", NEW_STEP + "\n## Recap")
    old_choice = (
        "] `node-b` is overloaded, because a node that crashed would have sent a last goodbye"
    )
    edit(english, old_choice + " message.", "] Zzz qqq 42.")
    import_paths([english])
    export_to(tmp_path / "out")
    russian = tmp_path / "out" / "distributed-systems" / RU
    text = russian.read_text()
    edit(russian, old, new)
    line = text[: text.index(old)].count("\n") + 1
    with pytest.raises(LessonFileError) as error:
        import_paths([russian])
    assert str(error.value).startswith(
        f"{russian}:{line}: {what} starts with [untranslated] but is not the English after it: "
        "remove the mark from a translated text"
    )
    # The mark alone is a part not translated yet.
    russian.write_text(text.replace(old, old.split("[untranslated]")[0] + "[untranslated]"))
    import_paths([russian])
    # The English rewritten in the same import: the mark and the English the export wrote
    # still say "not translated", not a translation.
    russian.write_text(text)
    exported_english = tmp_path / "out" / "distributed-systems" / english.name
    edit(exported_english, "Why it is right.", "Why it is right, indeed.")
    edit(exported_english, "## Step: One more English step", "## Step: One more step")
    edit(exported_english, "] Zzz qqq 42.", "] Zzz qqq 43.")
    import_paths([exported_english, russian])
    step = Step.objects.get(heading="One more step")
    assert step.heading_ru == "" and step.question.choices.get(is_correct=True).text_ru == ""


def test_the_checker_lists_parts_not_translated_yet_and_refuses_a_mark_left_on_a_translation(
    tmp_path, capsys
):
    from lessons.lessonfile import main

    import_paths([DEMO_CONTENT])
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    english = folder / "distributed-systems" / "20-dead-or-slow.zero.md"
    edit(english, "\n## Recap", NEW_STEP + "\n## Recap")
    import_paths([english])
    export_to(tmp_path / "out")
    russian = tmp_path / "out" / "distributed-systems" / RU
    assert main([str(tmp_path / "out")]) == 0
    text = russian.read_text()
    line = text[: text.index("## Step: [untranslated]")].count("\n") + 1
    out = capsys.readouterr().out
    assert f"{russian}:{line}: 6 parts not translated yet (marked [untranslated])" in out
    edit(russian, "## Step: [untranslated] One more English step", "## Step: [untranslated] Ещё")
    assert main([str(tmp_path / "out")]) == 1
    assert (
        f"{russian}:{line}: step 4's heading starts with [untranslated]" in capsys.readouterr().out
    )


def test_a_translation_whose_tier_is_not_its_original_s_is_refused_at_its_tier_line(lessons):
    """Refused with no line before: its tier named another version, or none."""
    import_paths([lessons.parent])
    before = content_snapshot()
    edit(lessons / RU, "tier: zero", "tier: middle")
    with pytest.raises(LessonFileError) as excinfo:
        import_paths([lessons.parent])
    assert (excinfo.value.path, excinfo.value.line) == (str(lessons / RU), 4)
    assert "tier 'middle' is not its original's" in excinfo.value.message
    assert content_snapshot() == before


@pytest.mark.parametrize(
    ("removed", "after"),
    [
        ("Keys that die with their lease", "## Step: Riding out a network blip"),
        ("Stop early, wait long", "## Recap"),
    ],
    ids=["first step", "last step"],
)
def test_a_removed_answered_step_is_blamed_where_it_stood(lessons, removed, after):
    """It named the file only: the line is the heading of the step that followed it, where
    an author would put it back, or '## Recap' for the last one."""
    import_paths([lessons.parent])
    version = TierVersion.objects.get(piece__slug="leases-and-ttls", tier=Tier.JUNIOR)
    question = Question.objects.get(step__version=version, step__heading=removed)
    make_answer(Learner.objects.create(), question.choices.first())
    cut(lessons / LESSON.name, f"## Step: {removed}\n", after)
    with pytest.raises(LessonFileError, match="which stood before this line") as excinfo:
        import_paths([lessons.parent])
    lines = (lessons / LESSON.name).read_text().splitlines()
    assert excinfo.value.line == lines.index(after) + 1
