"""The lesson-file parser: what it reads, how it writes it back, and how it reports mistakes."""

from __future__ import annotations

import pytest

from lessons.lessonfile import (
    LessonFileError,
    dump_version,
    parse_climb,
    parse_file,
    parse_marked_lines,
    parse_version,
)

GOOD = """---
climb: distributed-systems
piece: leases-and-ttls
order: 30
tier: junior
title: "Leases and TTLs"
crux: "A lease is a lock with an expiry date."
minutes: 8
sources:
  - title: "How to do distributed locking"
    url: https://martin.kleppmann.com/2016/02/08/how-to-do-distributed-locking.html
    note: "Kleppmann, 2016"
---

## Intro

Set the *scene*.

## Goal

Learn it.

## Step: Renew it

Some prose.

```go mark=2,3-4
func renew() {
    ka, _ := cli.KeepAlive(ctx, id)
    for range ka {
    }
}
```

### Question

What happens when `ka` closes?

- [ ] The lease is renewed forever.
  Tempting, but the channel closing means renewals stopped.
- [x] The loop ends and leadership may be gone.
  Right: a closed channel is a lost lease.
  A second line.

  A second paragraph.
- [ ] Nothing.
  Something does happen.

## Step: Just prose

Only words here.

## Recap

The rule.
"""


def test_parses_every_part_of_a_version():
    version = parse_version(GOOD, "good.md")
    assert (version.climb, version.piece, version.order, version.tier) == (
        "distributed-systems",
        "leases-and-ttls",
        30,
        "junior",
    )
    assert version.minutes == 8
    assert version.intro == "Set the *scene*."
    assert version.sources[0].note == "Kleppmann, 2016"
    first, second = version.steps
    assert first.heading == "Renew it"
    assert first.prose == "Some prose."
    assert first.language == "go" and first.marked_lines == "2,3-4"
    assert first.code.splitlines()[1] == "    ka, _ := cli.KeepAlive(ctx, id)"
    question = first.question
    assert question.prompt == "What happens when `ka` closes?"
    assert [c.is_correct for c in question.choices] == [False, True, False]
    assert question.choices[1].explanation == (
        "Right: a closed channel is a lost lease.\nA second line.\n\nA second paragraph."
    )
    assert second.question is None and second.code == "" and second.prose == "Only words here."


def test_dump_then_parse_gives_the_same_version_and_dump_is_stable():
    version = parse_version(GOOD, "good.md")
    text = dump_version(version)
    again = parse_version(text, "good.md")
    assert again == version
    assert dump_version(again) == text


def test_marked_lines_expand_ranges():
    assert parse_marked_lines("3,5-7") == [3, 5, 6, 7]
    assert parse_marked_lines("") == []
    with pytest.raises(ValueError):
        parse_marked_lines("3-1")
    with pytest.raises(ValueError):
        parse_marked_lines("two")


def test_a_huge_marked_range_is_refused_before_it_is_expanded():
    # Expanded first, this would be a billion-item list: the process runs out of memory.
    with pytest.raises(ValueError, match="marked lines go up to 10000"):
        parse_marked_lines("1-999999999")
    assert len(parse_marked_lines("1-10000")) == 10_000


def test_climb_file():
    climb = parse_climb("---\nslug: ds\ntitle: DS\norder: 2\n---\nAbout it.\n", "climb.md")
    assert (climb.slug, climb.title, climb.order, climb.description) == ("ds", "DS", 2, "About it.")


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (broken("tier: junior\n", ""), 1, "missing field 'tier'"),
        (broken('title: "Leases and TTLs"\n', ""), 1, "missing field 'title'"),
        (broken("tier: junior", "tier: expert"), 5, "unknown tier 'expert'"),
        (broken("minutes: 8", "minutes: eight"), 8, "'minutes' must be a whole number"),
        (broken("order: 30", "order: 30\ncolour: red"), 5, "unknown field 'colour'"),
        (broken("- [x] The loop ends", "- [ ] The loop ends"), 35, "no correct choice"),
        (broken("- [ ] Nothing.", "- [x] Nothing."), 35, "2 correct choices"),
        (
            broken("- [ ] Nothing.\n  Something does happen.\n", "").replace(
                "- [ ] The lease is renewed forever.\n", ""
            ),
            35,
            "needs 2 to 5 choices, this one has 1",
        ),
        (broken("  Something does happen.\n", ""), 46, "every choice needs an explanation"),
        (broken("```go mark=2,3-4", "```go mark=9"), 27, "past the end"),
        (broken("```go mark=2,3-4", "```go mark=two"), 27, "marked lines must look like"),
        (broken("## Goal", "## Goals"), 19, "unknown section '## Goals'"),
        (broken("## Recap\n\nThe rule.\n", ""), 52, "missing section '## Recap'"),
        # A missing Intro or Goal named the file only: the line is the heading that came in
        # its place, where it is to be written.
        (
            broken("## Intro\n\nSet the *scene*.\n\n", ""),
            15,
            "missing section '## Intro': it goes before this '## Goal'",
        ),
        (
            broken("## Goal\n\nLearn it.\n\n", ""),
            19,
            "missing section '## Goal': it goes before this '## Step: Renew it'",
        ),
        (
            broken("## Intro\n\nSet the *scene*.\n\n## Goal\n\nLearn it.\n\n", ""),
            15,
            "missing section '## Intro': it goes before this '## Step: Renew it'",
        ),
        (GOOD.replace("---\n", "", 1), 1, "must start with a '---'"),
        (broken('crux: "A lease', 'crux: ["A lease'), None, "not valid YAML"),
        # An unclosed quote: YAML read on and blamed a later line, in its own words.
        (broken('title: "Leases and TTLs"', 'title: "Leases and TTLs'), 6, 'opens with "'),
        (broken('title: "Leases and TTLs"', 'title: "Leases" and TTLs'), 6, 'write a " inside'),
        (broken("url: https://martin", "url: javascript://martin"), 10, "must start with http"),
        (broken("order: 30", "order: 99999999999999999999"), 4, "from 0 to 2147483647"),
        (broken("order: 30", "order: 30\norder: 40"), 5, "the key 'order' appears twice"),
        # The fuzz audit: a TypeError and a RecursionError, named with neither file nor line.
        (broken("order: 30", "order: 30\n? [a, b]\n: 1"), 5, "a key must be a plain name"),
        (broken("order: 30", "order: 30\nx: " + "[" * 5000 + "]" * 5000), 2, "too deeply"),
        (broken('title: "Leases and TTLs"', "title: [a, b]"), 6, "'title' must be text"),
        (broken('title: "Leases and TTLs"', "title: " + "x" * 201), 6, "at most 200"),
        # Each field as long as its column: PostgreSQL refused longer with no file or line.
        (broken("## Step: Renew it", "## Step: " + "h" * 201), 23, "heading is 201 char"),
        (broken("```go mark=2,3-4", "```go mark=" + "2," * 100 + "3"), 27, "mark= is 201 char"),
        (broken("- [ ] Nothing.", "- [ ] " + "n" * 501), 46, "a choice is 501 char"),
        (broken('  - title: "How', '  - title: "' + "t" * 300 + "How"), 10, "title is 329 char"),
        (broken('note: "Kleppmann', 'note: "' + "k" * 300), 10, "note is 306 char"),
        (broken("https://martin.", "https://" + "m" * 500), 10, "url is 5"),
        (broken("The rule.", "The\x00rule."), None, "NUL character"),
        (broken("minutes: 8", "minutes: ten"), 8, "'minutes' must be a whole number from 1 to 240"),
        (broken("minutes: 8", "minutes: 241"), 8, "from 1 to 240, not 241"),
        # Near misses that would otherwise be published as prose, answer key and all.
        (broken("## Step: Renew it", "### Step: Renew it"), 23, "looks like a section heading"),
        (broken("## Goal", "# Goal"), 19, "'## Goal'"),
        (broken("### Question", "### Questions"), 35, "write it '### Question'"),
        (broken("### Question", "## question"), 35, "unknown section"),
        (
            broken("- [ ] The lease is renewed", "- [] The lease is renewed"),
            39,
            "looks like a choice",
        ),
        (
            broken("- [ ] The lease is renewed", "* [ ] The lease is renewed"),
            39,
            "looks like a choice",
        ),
        (
            broken("  Something does happen.", "\tSomething does happen."),
            47,
            "an explanation indented by two spaces, not a tab",
        ),
        # The author audit: a tab-indented choice list was told "'- [ ] The lease is renewed'
        # looks like a choice: a choice is written '- [ ] text'", the very text it had.
        (
            broken("- [ ] The lease is renewed", "\t- [ ] The lease is renewed"),
            39,
            "'- [ ] The lease is renewed forever.' is indented: a choice starts at the beginning",
        ),
        # The author audit: a choice indented by two spaces was read as a line of the
        # explanation above it, and published there; the question lost a choice unsaid.
        (broken("- [ ] Nothing.", "  - [ ] Nothing."), 46, "'- [ ] Nothing.' is indented"),
        # The front matter.
        (broken("piece: leases-and-ttls", "piece: Leases_TTL"), 3, "is not a-z, 0-9 and -"),
        (broken("minutes: 8", "minutes: 8\nstatus: live"), 9, "draft or published, not 'live'"),
        (
            GOOD[: GOOD.index("sources:")]
            + "sources: Kleppmann 2016\n"
            + GOOD[GOOD.index("---\n\n") :],
            9,
            "'sources' must be a list",
        ),
        (broken("    url: https://martin", "    link: https://martin"), 10, "source 1 needs"),
        ("---\n- climb\n- piece\n---\n", 2, "must be a set of 'key: value' lines"),
        ("---\nclimb: x\npiece: y\n", 1, "not closed with '---'"),
        # The sections.
        (broken("## Intro", "Stray text.\n\n## Intro"), 15, "text before the first '## '"),
        (broken("The rule.", "```\nThe rule."), 55, "the code fence opened here is never closed"),
        (
            broken("## Goal", "## Intro\n\nAgain.\n\n## Goal"),
            19,
            "'## Intro' section appears twice",
        ),
        (
            broken("## Goal\n\nLearn it.\n\n", "").replace("## Recap", "## Goal\n\nx\n\n## Recap"),
            49,
            "'## Goal' must come before the steps",
        ),
        (GOOD + "\n## Step: Late\n\nProse.\n", 57, "a step comes after '## Recap'"),
        (
            broken("## Intro\n\nSet the *scene*.\n\n", "").replace(
                "## Step: Renew it", "## Intro\n\nSet the *scene*.\n\n## Step: Renew it"
            ),
            19,
            "'## Intro' must come before '## Goal'",
        ),
        (broken("## Step: Just prose", "## Step:"), 49, "a step needs a heading"),
        (broken("Learn it.", ""), 19, "the '## Goal' section is empty"),
        (
            # It named the file only: the steps go before the recap.
            GOOD[: GOOD.index("## Step: Renew it")] + "## Recap\n\nThe rule.\n",
            23,
            "at least one '## Step: <heading>' before '## Recap'",
        ),
        # The snippet and the question.
        (broken("```go mark=2,3-4", "```"), 27, "a snippet needs a language"),
        (broken("```go mark=2,3-4", "```go lines=2"), 27, "unknown snippet option 'lines=2'"),
        (
            GOOD[: GOOD.index("func renew")] + GOOD[GOOD.index("```\n\n### Question") :],
            28,
            "the snippet is empty",
        ),
        (broken("- [ ] Nothing.", "- [ ] The lease is renewed forever."), 39, "appears twice"),
        (broken("What happens when `ka` closes?", ""), 35, "the question has no prompt"),
    ],
)
def test_errors_name_the_file_the_line_and_the_problem(text, line, message):
    with pytest.raises(LessonFileError) as excinfo:
        parse_version(text, "lessons/x.junior.md")
    error = excinfo.value
    assert message in str(error)
    assert error.path == "lessons/x.junior.md"
    if line is not None:
        assert error.line == line, str(error)


def test_the_readme_example_is_a_valid_lesson_file():
    """Authors learn the format from the README: its example must parse."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = re.search(r"````markdown\n(.*?)\n````", readme, re.S).group(1) + "\n"
    version = parse_version(example, "README.md")
    assert version.steps[0].question.choices[1].is_correct
    assert version.steps[0].marked_lines == "4,7-8"


def test_a_byte_order_mark_at_the_start_is_not_an_error():
    assert parse_version("\ufeff" + GOOD, "x.md") == parse_version(GOOD, "x.md")


def test_headings_inside_code_are_code():
    text = broken("    for range ka {", "### Question\n## Step: not one\n    for range ka {")
    text = text.replace("```go mark=2,3-4", "```go mark=2")
    version = parse_version(text, "x.md")
    assert "### Question\n## Step: not one" in version.steps[0].code


def test_too_many_brackets_outside_code_are_refused_before_markdown_sees_them():
    # Python-Markdown is quadratic in them: 20,000 took 40 s, past the server's timeout.
    with pytest.raises(LessonFileError, match="More than 500 '\\['") as excinfo:
        parse_version(broken("Set the *scene*.", "Set the *scene* " + "[" * 501), "x.md")
    assert excinfo.value.line == 17
    in_code = broken("func renew() {", "func renew() { // " + "[" * 600)
    assert parse_version(in_code, "x.md").steps[0].code.count("[") == 600


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        # 8,000 '<http://' took 12 s to render: quadratic, as the '[' are.
        ("<http://" * 501, "More than 500 '<'"),
        # Lists and quotes nest by recursion: 2,000 crashed the render (RecursionError).
        ("- " * 2000 + "x", "nested more than 32 deep"),
        ("> " * 33 + "x", "nested more than 32 deep"),
        ("\t" * 30 + "- - - x", "nested more than 32 deep"),
    ],
)
def test_markdown_too_slow_or_too_deep_to_render_is_refused_at_its_line(markup, message):
    with pytest.raises(LessonFileError, match=message) as excinfo:
        parse_version(broken("Set the *scene*.", "Set the *scene*.\n" + markup), "x.md")
    assert excinfo.value.line == 18
    # In code it is code.
    in_code = broken("func renew() {", "func renew() { // " + markup.replace("\t", "    "))
    assert markup.strip("\t") in parse_version(in_code, "x.md").steps[0].code


def test_ordinary_markdown_nests_freely():
    from lessons.lessonfile import markdown_problem

    ordinary = "- a\n  - b\n    - c\n\n> quote\n> > nested\n\n1. one\n2. two\n\n---\n" * 40
    assert markdown_problem(ordinary) is None
    assert markdown_problem("> " * 32 + "x") is None  # the limit itself renders
    assert markdown_problem(">" * 40 + " x") is not None  # short, and still too deep


def test_markdown_limits_hold_per_section_as_the_admin_holds_them_per_field():
    """The whole file was counted: two sections of 300 '<' each, as the admin saves them
    (each field under the limit), exported to a file the import refused."""
    many = "a < b " * 300
    text = broken("Set the *scene*.", many).replace("Learn it.", many)
    assert parse_version(text, "x.md").intro.count("<") == 300


def test_the_checker_takes_folders_and_reports_unreadable_files(tmp_path, capsys):
    """It crashed with a traceback (and exit status 0) on a file that is not UTF-8, and on a
    missing file or a folder."""
    from lessons.lessonfile import main

    (tmp_path / "good.junior.md").write_text(GOOD)
    (tmp_path / "latin1.junior.md").write_bytes(GOOD.replace("Some", "Söme").encode("latin-1"))
    (tmp_path / "README.md").write_text("not a lesson")
    assert main([str(tmp_path), str(tmp_path / "missing.md")]) == 1
    out = capsys.readouterr().out
    # Where: the line with the byte that is not UTF-8.
    line = GOOD[: GOOD.index("Some")].count("\n") + 1
    assert f"latin1.junior.md:{line}: the file is not UTF-8 text (byte 0xf6 here)" in out
    assert "missing.md: no such file or folder" in out
    (tmp_path / "latin1.junior.md").unlink()
    assert main([str(tmp_path)]) == 0
    assert "ok: 1 file\n" in capsys.readouterr().out


@pytest.mark.parametrize("settings_module", [None, "climb.settings"])
def test_the_checker_runs_as_a_script_outside_the_site(tmp_path, settings_module):
    """As the README runs it, in a process of its own: any problem with a translated
    message (a heading typo), and any warning, ended in ImproperlyConfigured, or with
    DJANGO_SETTINGS_MODULE set in AppRegistryNotReady, instead of the file and line."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "typo.junior.md").write_text(broken("## Goal", "# Goal"))
    slip = broken("piece: leases-and-ttls", "piece: slip").replace("*scene*", "**scene")
    (tmp_path / "slip.junior.md").write_text(slip)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module

    def check(*paths):
        return subprocess.run(
            [sys.executable, "-m", "lessons.lessonfile", *map(str, paths)],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    typo = check(tmp_path / "typo.junior.md")
    assert (typo.returncode, typo.stderr) == (1, "")
    assert "typo.junior.md:19: '# Goal' looks like a section heading" in typo.stdout
    slipped = check(tmp_path / "slip.junior.md")
    assert (slipped.returncode, slipped.stderr) == (0, "")
    assert "slip.junior.md:" in slipped.stdout and "nothing closes" in slipped.stdout
    assert "ok: 1 file, 1 warning" in slipped.stdout


@pytest.mark.parametrize("odd", ["\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_lines_are_counted_as_an_editor_counts_them(odd):
    """The fuzz audit: str.splitlines() broke lines at \\v, \\f, U+0085, U+2028 and U+2029,
    so an error came a line past where an editor shows it, and 'Prose.\\v## Step: X' was a
    step of its own that no author could see as a line."""
    text = broken("Set the *scene*.", f"Set the{odd}scene.").replace("## Goal", "# Goal")
    with pytest.raises(LessonFileError) as excinfo:
        parse_version(text, "x.md")
    assert excinfo.value.line == 19  # as in GOOD, where an editor puts it
    hidden = broken("Some prose.", f"Some prose.{odd}## Step: Hidden")
    steps = [step.heading for step in parse_version(hidden, "x.md").steps]
    assert steps == ["Renew it", "Just prose"]


def test_a_file_too_big_to_be_a_lesson_is_refused_before_it_is_read(tmp_path):
    from lessons.lessonfile import MAX_FILE_BYTES

    path = tmp_path / "huge.junior.md"
    snippet = "log line\n" * (MAX_FILE_BYTES // 9)
    path.write_text(GOOD.replace("```go mark=2,3-4\n", "```go mark=2,3-4\n" + snippet, 1))
    with pytest.raises(LessonFileError, match=r"KiB, and a lesson file may be at most 512 KiB"):
        parse_file(path)
    # Read no further than the limit: a stray 64 GiB file (sparse: no disk) was read whole.
    huge = tmp_path / "huge.zero.md"
    with huge.open("wb") as file:
        file.truncate(64 << 30)
    with pytest.raises(LessonFileError, match=r"is 67108864 KiB, and a lesson file may be at"):
        parse_file(huge)
    path.write_text(GOOD.replace("\n", "\r\n"))  # CRLF, as before: read as lines
    crlf = parse_file(path)
    assert (crlf.title, crlf.steps) == (parse_version(GOOD).title, parse_version(GOOD).steps)


TRANSLATION = """---
climb: distributed-systems
piece: leases-and-ttls
tier: junior
language: ru
title: "Аренды и TTL"
crux: "Аренда — это блокировка со сроком."
---

## Intro

Сцена.
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("language: ru", "language: fr", 5, "unknown language 'fr'"),
        ("language: ru", "language: ru\nminutes: 8", 6, "'minutes' comes from the original"),
        ("language: ru", "language: ru\nsource_notes: one", 6, "'source_notes' must be a list"),
    ],
)
def test_translation_errors_name_the_line(old, new, line, message):
    with pytest.raises(LessonFileError) as excinfo:
        parse_version(TRANSLATION.replace(old, new, 1), "x.junior.ru.md")
    assert message in str(excinfo.value) and excinfo.value.line == line


def test_a_source_error_names_that_source_line():
    """The third of three sources is wrong: the error is on its line, not on `sources:`."""
    extra = (
        '  - title: "Designing Data-Intensive Applications"\n'
        "    url: https://dataintensive.net/\n"
        '  - title: "etcd"\n'
        "    url: ftp://etcd.io/\n"
    )
    text = GOOD.replace('    note: "Kleppmann, 2016"\n', '    note: "Kleppmann, 2016"\n' + extra)
    with pytest.raises(LessonFileError, match="source 3: url must start") as excinfo:
        parse_version(text, "x.junior.md")
    assert excinfo.value.line == 15


def test_a_forgotten_closing_fence_is_blamed_where_it_was_forgotten():
    """The author audit: without the first snippet's closing fence, the next snippet's
    opening closed it, and the error blamed that snippet's (right) closing fence."""
    two_snippets = GOOD.replace(
        "## Step: Just prose\n\nOnly words here.\n",
        "## Step: The config\n\n```yaml\nttl: 10\n```\n\nWords.\n",
    )
    parse_version(two_snippets, "x.junior.md")
    text = two_snippets.replace("    }\n}\n```\n", "    }\n}\n", 1)
    with pytest.raises(LessonFileError) as excinfo:
        parse_version(text, "x.junior.md")
    lines = text.splitlines()
    assert excinfo.value.line == lines.index("```go mark=2,3-4") + 1
    assert f"not closed before line {lines.index('```yaml') + 1}" in str(excinfo.value)


def test_a_quoted_number_and_a_translation_without_its_language_say_what_to_do():
    """The author audit: `order: "10"` said only "not '10'"; a .ru.md without `language: ru`
    complained of 'source_notes' or a missing 'minutes', and a climb.ru.md with `lang: ru`
    of a missing 'order'."""
    with pytest.raises(LessonFileError, match="write it without quotes, order: 10"):
        parse_version(GOOD.replace("order: 30", 'order: "10"'), "x.junior.md")
    for text in (
        TRANSLATION.replace("language: ru\n", ""),
        TRANSLATION.replace("language", "lang"),
    ):
        with pytest.raises(LessonFileError, match=r"needs 'language: ru'") as excinfo:
            parse_version(text, "leases.junior.ru.md")
        assert excinfo.value.line == 2
    with pytest.raises(LessonFileError, match=r"needs 'language: ru'"):
        parse_climb("---\nslug: ds\nlang: ru\ntitle: Системы\n---\n", "climb.ru.md")


def test_a_translated_source_note_too_long_names_its_own_line():
    notes = 'source_notes:\n  - ""\n  - "' + "я" * 301 + '"\n'
    with pytest.raises(LessonFileError, match="source note 2") as excinfo:
        parse_version(TRANSLATION.replace("language: ru\n", "language: ru\n" + notes), "x.ru.md")
    assert excinfo.value.line == 8


def test_a_climb_slug_is_checked():
    with pytest.raises(LessonFileError, match="slug 'Distributed Systems' is not a-z"):
        parse_climb("---\nslug: Distributed Systems\ntitle: DS\norder: 1\n---\n", "climb.md")


def test_a_snippet_closes_on_a_longer_fence_and_a_later_fence_holds_no_question():
    """A fence closes on one at least as long, as Markdown has it (the step's parser once
    wanted the same length and called the snippet never closed); a '### Question' inside a
    later fenced block is its text, not the question."""
    text = GOOD.replace(
        "    }\n}\n```\n",
        "    }\n}\n````\n\nThe log:\n\n```text\n### Question\n- [x] no\n```\n",
        1,
    )
    version = parse_version(text, "x.md")
    step = version.steps[0]
    assert step.code.endswith("    }\n}") and "### Question" in step.prose_after
    assert step.question.prompt == "What happens when `ka` closes?"
    assert [choice.text for choice in step.question.choices][0] == "The lease is renewed forever."


def test_the_checker_checks_files_together_as_the_importer_does(tmp_path, capsys):
    """The author's audit: the checker said "ok" for a piece and tier in two files, one
    piece with two orders, and a Russian file with an extra step, which the import refused."""
    from lessons.lessonfile import main

    body = GOOD[GOOD.index("## Intro") :]
    front = TRANSLATION[: TRANSLATION.index("## Intro")]
    (tmp_path / "leases.junior.md").write_text(GOOD)
    (tmp_path / "leases.junior.ru.md").write_text(front + body)
    assert main([str(tmp_path)]) == 0
    assert "ok: 2 files" in capsys.readouterr().out

    extra = body.replace("## Recap", "## Step: One more\n\nЕщё.\n\n## Recap")
    (tmp_path / "leases.junior.ru.md").write_text(front + extra)
    assert main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    # On the line of the step the original does not have.
    line = (front + extra).splitlines().index("## Step: One more") + 1
    assert f"leases.junior.ru.md:{line}: the translation has 3 steps, the original has 2:" in out
    assert "'Renew it', 'Just prose'" in out

    swapped = body.replace("- [ ] The lease", "- [x] The lease").replace(
        "- [x] The loop", "- [ ] The loop"
    )
    (tmp_path / "leases.junior.ru.md").write_text(front + swapped)
    assert main([str(tmp_path)]) == 1
    line = (front + swapped).splitlines().index("### Question") + 1
    assert (
        f"leases.junior.ru.md:{line}: step 1 ('Renew it'): the translation needs the "
        "original's 3 choices" in capsys.readouterr().out
    )

    (tmp_path / "leases.junior.ru.md").write_text(front + body)
    (tmp_path / "copy.junior.md").write_text(GOOD)
    assert main([str(tmp_path)]) == 1
    assert "duplicate slug: piece 'leases-and-ttls' at tier junior" in capsys.readouterr().out
    (tmp_path / "copy.junior.md").write_text(
        GOOD.replace("tier: junior", "tier: senior").replace("order: 30", "order: 31")
    )
    assert main([str(tmp_path)]) == 1
    assert "has order 30 here but 31 in" in capsys.readouterr().out


# --- markup that shows as typed ------------------------------------------------------------


@pytest.mark.parametrize(
    "lines, slips",
    [
        (["**always** fence **writes"], [(1, "**")]),
        (["a **bold", "line** across two lines"], []),  # one paragraph: closed
        (["a **bold", "", "line** in the next"], [(1, "**"), (3, "**")]),
        # A choice and its explanation are rendered apart: each shows its ** as typed.
        (["- [x] one **right", "  choice** and its explanation"], [(1, "**"), (2, "**")]),
        (["- [x] one **right** choice", "  and its **explanation**"], []),
        (["- [x] one **right", "- [ ] another** choice"], [(1, "**"), (2, "**")]),
        (["`2**10` is code, so is ``a ` b``"], []),
        (["an escaped \\*\\* star pair and \\`tick"], []),
        (["run `go vet and see"], [(1, "`")]),
        (["x ``a` and more"], [(1, "`"), (1, "``")]),  # both shown as typed
        (["```python", "print(2**10)  # `", "```", "after"], []),  # fenced code is code
        (["| a **b | c |", "|---|---|"], [(1, "**")]),
        (["The line continuation character is `` `\\` `` and `\\`."], []),  # code: literal
        (["intro", "", "    indented **code, shown as typed"], []),
    ],
)
def test_markup_that_nothing_closes_is_found_with_its_line(lines, slips):
    """The author audit: an unclosed ** rendered literally ("**fencing") and nothing said so."""
    from lessons.lessonfile import markup_slips

    found = markup_slips(lines, first_line=1)
    assert [(line, why.split(" ", 1)[0]) for line, why in found] == slips
    for _line, why in found:
        assert why.endswith("nothing closes: it shows as typed.")


def test_what_the_sanitiser_takes_out_is_a_warning_on_its_line():
    """The author audit: an image, raw HTML or a javascript: link imported without a word
    and was simply missing from the page."""
    from lessons.lessonfile import markup_slips

    lines = [
        "A diagram: ![the log](https://example.com/log.png)",
        "",
        "<iframe src='https://example.com'></iframe>",
        "",
        "[Run it](javascript:run()), [docs](https://etcd.io/), [mail](mailto:a@example.com),",
        "[a page here](/climbs/), `<script>` as code and a < b.",
        "",
        "<kbd>Ctrl</kbd> and <abbr title='time to live'>TTL</abbr> are kept.",
    ]
    found = markup_slips(lines, first_line=10)
    assert [(line, why.split(" ", 3)[:3]) for line, why in found] == [
        (10, ["An", "image", "is"]),
        (12, ["<iframe>", "is", "taken"]),
        (14, ["The", "link", "to"]),
    ]
    assert "javascript:run()" in found[2][1]


def test_a_reference_style_link_or_image_the_sanitiser_takes_out_is_a_warning_too():
    """The review: each paragraph was rendered alone, so '[the spec][s]' and '![diagram][d]'
    with their definitions elsewhere were no link and no image, and nothing was said, yet
    both vanished from the page. The text is rendered whole now, code blanked out."""
    from lessons.lessonfile import markup_slips

    lines = [
        "See [the spec][s] and ![diagram][d].",
        "",
        "```html",
        "<iframe src='https://example.com'></iframe> ![in code](x.png) [x](javascript:x)",
        "```",
        "",
        "[s]: javascript:alert(1)",
        "[d]: https://example.com/d.png",
        "",
        "Two more: ![a](https://example.com/a.png)",
        "and ![b][d].",
    ]
    found = markup_slips(lines, first_line=10)
    assert [(line, why.split(" ", 3)[:3]) for line, why in found] == [
        (10, ["An", "image", "is"]),
        (16, ["The", "link", "to"]),
        (19, ["An", "image", "is"]),
        (20, ["An", "image", "is"]),
    ]
    assert "javascript:alert(1)" in found[1][1]


def test_the_demo_climb_has_no_markup_slips():
    from lessons.importer import DEMO_CONTENT
    from lessons.lessonfile import lesson_files, parse_file, slip_warnings

    versions = [parse_file(path) for path in lesson_files(DEMO_CONTENT)]
    assert slip_warnings([v for v in versions if hasattr(v, "slips")]) == []


def test_slips_are_warnings_with_file_and_line_and_the_file_still_checks(tmp_path, capsys):
    from lessons.lessonfile import main

    text = broken("Set the *scene*.", "Set the **scene.")
    (tmp_path / "leases.junior.md").write_text(text)
    line = text[: text.index("Set the **scene.")].count("\n") + 1
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"leases.junior.md:{line}: ** opens bold text that nothing closes" in out
    assert out.endswith("ok: 1 file, 1 warning\n")


def test_the_files_length_limits_are_the_database_columns():
    """The limits are written out in lessonfile (it runs without Django's models, as the
    checker): each must stay its column's, or a file the checker passes fails the import."""
    from lessons import lessonfile
    from lessons.models import Choice, Climb, Piece, Source, Step, TierVersion

    def column(model, name):
        return model._meta.get_field(name).max_length

    assert {
        "title": column(TierVersion, "title"),
        "crux": column(TierVersion, "crux"),
        "slug": column(Climb, "slug"),
        "climb": column(Climb, "slug"),
        "piece": column(Piece, "slug"),
    } == lessonfile.MAX_LENGTHS
    assert column(Climb, "title") == lessonfile.MAX_LENGTHS["title"]
    assert column(Step, "heading") == lessonfile.MAX_HEADING
    assert column(Step, "marked_lines") == lessonfile.MAX_MARKED
    assert column(Choice, "text") == lessonfile.MAX_CHOICE
    assert {
        name: column(Source, name) for name in ("title", "url", "note")
    } == lessonfile.MAX_SOURCE


def test_a_folder_s_hidden_files_links_to_nowhere_and_folders_named_md_are_skipped(
    tmp_path, capsys
):
    """The author's audit: an Emacs lock file (a link to nowhere, '.#x.md') and a folder
    named 'old.md' crashed the checker and the import with a traceback; a hidden backup of
    a file gave a duplicate slug."""
    from lessons.lessonfile import lesson_files, main

    (tmp_path / "good.junior.md").write_text(GOOD)
    (tmp_path / ".#good.junior.md").symlink_to(tmp_path / "nowhere")
    (tmp_path / ".backup.junior.md").write_text(GOOD)
    (tmp_path / "old.md").mkdir()
    (tmp_path / ".git" / "x").mkdir(parents=True)
    (tmp_path / ".git" / "x" / "copy.junior.md").write_text(GOOD)
    assert lesson_files(tmp_path) == [tmp_path / "good.junior.md"]
    assert main([str(tmp_path)]) == 0
    assert "ok: 1 file\n" in capsys.readouterr().out


def test_an_unknown_field_in_a_source_is_refused_at_that_source(tmp_path):
    """The author's audit wrote 'notes:' for 'note:': the note was dropped silently."""
    text = broken('    note: "Kleppmann, 2016"', '    notes: "Kleppmann, 2016"')
    with pytest.raises(LessonFileError) as error:
        parse_version(text, "x.md")
    line = text[: text.index("  - title:")].count("\n") + 1
    assert str(error.value) == (
        f"x.md:{line}: unknown field 'notes' in source 1: a source has only title, url, note"
        " (did you mean 'note'?)"
    )


def test_the_checker_refuses_a_climb_other_than_its_folder_s(tmp_path, capsys):
    """The author's audit: a file naming another climb than its folder's climb.md passed the
    checker, and the import then failed ("unknown climb")."""
    from lessons.lessonfile import main

    (tmp_path / "climb.md").write_text("---\nslug: distributed-systems\ntitle: DS\norder: 1\n---\n")
    (tmp_path / "leases.junior.md").write_text(GOOD)
    assert main([str(tmp_path)]) == 0
    capsys.readouterr()
    (tmp_path / "leases.junior.md").write_text(
        GOOD.replace("climb: distributed-systems", "climb: distributed-system")
    )
    assert main([str(tmp_path)]) == 1
    assert (
        "leases.junior.md:2: climb 'distributed-system' is not this folder's: its climb.md has "
        "slug 'distributed-systems'; write 'climb: distributed-systems'"
    ) in capsys.readouterr().out


@pytest.mark.parametrize("value", ["yes", "42", "2024-05-01"])
def test_a_text_field_yaml_reads_as_something_else_is_refused(value):
    """The author's audit: 'title: yes' was published with the title "True"."""
    text = broken('title: "Leases and TTLs"', f"title: {value}")
    with pytest.raises(LessonFileError) as error:
        parse_version(text, "x.md")
    assert str(error.value).startswith("x.md:6: 'title' must be text, and YAML reads")
    assert str(error.value).endswith(f'put it in quotes, title: "{value}"')


def test_an_unknown_field_is_named_with_the_known_ones_and_the_near_one():
    """The author's audit: 'titel:' in climb.md said "missing field 'title'", and 'curx:'
    said "unknown field 'curx'" and no more."""
    with pytest.raises(LessonFileError) as error:
        parse_climb("---\nslug: ds\ntitel: DS\norder: 1\n---\n", "climb.md")
    assert str(error.value) == (
        "climb.md:3: unknown field 'titel' in the front matter: a climb.md has language, "
        "order, slug, title (did you mean 'title'?)"
    )
    with pytest.raises(LessonFileError) as error:
        parse_version(broken("crux:", "curx:"), "x.md")
    assert str(error.value).startswith("x.md:7: unknown field 'curx' in the front matter: a")
    assert str(error.value).endswith("(did you mean 'crux'?)")


@pytest.mark.parametrize(
    ("parse", "text", "name", "line"),
    [
        (parse_version, broken("order: 30", "order: 30\n1: x\ntitel: y"), "1", 5),
        (parse_version, broken("order: 30", "order: 30\nyes: x"), "yes", 5),
        (parse_version, TRANSLATION.replace("tier: junior", "tier: junior\n1: x\nz: y"), "1", 5),
        (parse_version, TRANSLATION.replace("tier: junior", "tier: junior\nno: x"), "no", 5),
        (parse_climb, "---\nslug: ds\ntitle: DS\norder: 1\nyes: x\n---\n", "yes", 5),
        (parse_version, broken("    note:", "    1: x\n    note:"), "1", 10),
    ],
)
def test_a_key_yaml_reads_as_a_number_or_a_yes_is_an_unknown_field_named_as_typed(
    parse, text, name, line
):
    """The review: '1: x' beside 'titel: y' crashed the parse with a TypeError (sorting an
    int among the names), and 'yes: x' was named 'True'. All four front-matter checks
    (climb, lesson, translation, source) now go through one helper."""
    with pytest.raises(LessonFileError) as error:
        parse(text, "x.ru.md" if "language: ru" in text else "x.md")
    assert f"unknown field '{name}' in " in str(error.value)
    assert error.value.line == line


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("tier: junior", '"tier": expert', 5, "unknown tier 'expert'"),
        ("order: 30", "'order': 30\n'0': x", 5, "unknown field '0'"),
        ("minutes: 8", '"minutes": eight', 8, "'minutes' must be a whole number"),
        ('title: "Leases and TTLs"', '"title": yes  # a title', 6, "YAML reads 'yes' as bool"),
    ],
)
def test_a_quoted_key_is_found_on_its_line(old, new, line, message):
    """A key's line was found by scanning the text for 'key:' at the start of a line, so
    a quoted key ("tier": ...) sent its error to line 1. YAML's nodes hold every line."""
    with pytest.raises(LessonFileError) as error:
        parse_version(broken(old, new), "x.md")
    assert message in str(error.value) and error.value.line == line


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ('note: "Kleppmann, 2016"', "note: yes", 12, "source 1's note must be text, "),
        ('note: "Kleppmann, 2016"', "note: no", 12, 'put it in quotes, note: "no"'),
        ('note: "Kleppmann, 2016"', "note: 0 # none", 12, "YAML reads '0' as int"),
        ('title: "How to do distributed locking"', "title: 2016", 10, "1's title must be text"),
        ("    url: https:", "    url: 1\n    x: https:", 11, "source 1's url must be text"),
    ],
)
def test_a_source_text_yaml_reads_as_something_else_is_refused(old, new, line, message):
    """The review: 'note: yes' imported as "True", 'note: no' and 'note: 0' as no note."""
    text = broken(old, new).replace("    x: https:", "    # https:")
    with pytest.raises(LessonFileError) as error:
        parse_version(text, "x.md")
    assert message in str(error.value) and error.value.line == line


def test_a_source_note_of_a_translation_yaml_reads_as_something_else_is_refused():
    notes = 'source_notes:\n  - "Клеппман"\n  - no  # none\n'
    with pytest.raises(LessonFileError) as error:
        parse_version(TRANSLATION.replace("---\n\n", notes + "---\n\n", 1), "x.ru.md")
    assert str(error.value) == (
        "x.ru.md:10: source note 2 must be text, and YAML reads 'no' as bool: put it in "
        'quotes, - "no"'
    )


def test_text_the_sanitiser_cannot_take_anything_from_is_not_rendered(monkeypatch):
    """A render costs about as much as the rest of a file's parse: prose with 'a < b', code
    spans and https links, as most lessons are, is not rendered to look for losses."""
    from lessons import rendering
    from lessons.lessonfile import markup_slips

    calls = []
    monkeypatch.setattr(rendering, "sanitiser_losses", lambda text: calls.append(text))
    lines = [
        "If a < b, see [etcd](https://etcd.io/) and [here](/climbs/ 'a title').",
        "The key is `/election/<lease ID>`; `` `<b>` `` too.",
        "",
        "```html",
        "<iframe></iframe>",
        "```",
        "",
        "[docs]: https://etcd.io/docs",
    ]
    assert markup_slips(lines) == [] and calls == []


def test_the_checker_refuses_a_translation_whose_tier_is_not_its_original_s(tmp_path, capsys):
    """The author's audit: a .ru.md saying another tier than its sibling original passed
    the checker ("ok"), and the import refused it with no line."""
    from lessons.lessonfile import main

    body = GOOD[GOOD.index("## Intro") :]
    front = TRANSLATION[: TRANSLATION.index("## Intro")]
    (tmp_path / "leases.junior.md").write_text(GOOD)
    (tmp_path / "leases.junior.ru.md").write_text(
        front.replace("tier: junior", "tier: middle") + body
    )
    assert main([str(tmp_path)]) == 1
    assert (
        "leases.junior.ru.md:4: tier 'middle' is not its original's: "
        f"{tmp_path / 'leases.junior.md'} has tier junior; write 'tier: junior'"
    ) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "## Step: Just prose\n\nOnly words here.\n\n",
            "",
            "the translation has 1 step, the original has 2: 'Renew it', 'Just prose'",
        ),
        (
            "language: ru",
            'language: ru\nsource_notes:\n  - ""\n  - ""',
            "the translation has 2 source notes, the original has 1 source: one note",
        ),
        (
            "```go mark=2,3-4\nfunc renew() {",
            "```go mark=2,3-4\n// продлить\nfunc renew() {",
            "a translated snippet must keep the original's 5 lines",
        ),
    ],
    ids=["steps", "source notes", "snippet lines"],
)
def test_a_translation_out_of_shape_counts_in_the_singular_and_the_plural(old, new, message):
    """The author audit read "the translation has 1 steps"."""
    from lessons.lessonfile import translation_problem

    front = TRANSLATION[: TRANSLATION.index("## Intro")]
    translation = parse_version((front + GOOD[GOOD.index("## Intro") :]).replace(old, new, 1))
    _line, why = translation_problem(parse_version(GOOD), translation)
    assert message in why


def test_a_translated_snippet_of_one_line_says_line_not_lines():
    from lessons.lessonfile import translation_problem

    one_line = GOOD.replace(
        "func renew() {\n    ka, _ := cli.KeepAlive(ctx, id)\n    for range ka {\n    }\n}\n",
        "renew()\n",
    ).replace("mark=2,3-4", "mark=1")
    front = TRANSLATION[: TRANSLATION.index("## Intro")]
    translation = parse_version(
        front + one_line[one_line.index("## Intro") :].replace("renew()\n", "// а\nrenew()\n")
    )
    _line, why = translation_problem(parse_version(one_line), translation)
    assert "must keep the original's 1 line, so the marked lines" in why


def test_a_missing_recap_is_blamed_on_the_last_line_where_it_belongs():
    """It named the file only; it goes after the last step, at the end of the file."""
    text = broken("## Recap\n\nThe rule.\n", "")
    with pytest.raises(LessonFileError, match="missing section '## Recap'") as excinfo:
        parse_version(text, "x.junior.md")
    assert excinfo.value.line == len(text.splitlines()) == 52


@pytest.mark.parametrize(
    ("indent", "message"),
    [
        ("", "text after the choices must be an explanation indented by two spaces"),
        (" ", "text after the choices must be an explanation indented by two spaces"),
        ("\t", "text after the choices must be an explanation indented by two spaces, not a tab"),
    ],
)
def test_an_explanation_not_indented_by_two_spaces_says_so_a_tab_by_name(indent, message):
    text = broken("  Something does happen.", f"{indent}Something does happen.")
    with pytest.raises(LessonFileError) as excinfo:
        parse_version(text, "x.junior.md")
    assert (excinfo.value.line, excinfo.value.message) == (47, message)


@pytest.mark.parametrize("cut_at", ["## Intro", "## Goal"])
def test_a_missing_section_with_nothing_after_it_is_blamed_on_the_last_line(cut_at):
    """Nothing came in its place: it goes at the end of the file, as a missing recap does."""
    text = GOOD[: GOOD.index(cut_at)]
    name = cut_at.removeprefix("## ")
    with pytest.raises(LessonFileError, match=f"missing section '## {name}'$") as excinfo:
        parse_version(text, "x.junior.md")
    assert excinfo.value.line == len(text.splitlines()) == {"Intro": 14, "Goal": 18}[name]


@pytest.mark.parametrize(
    ("cut_from", "cut_to", "blamed"),
    [
        ("## Intro", "## Goal", "## Goal"),
        ("## Goal", "## Step: Renew it", "## Step: Renew it"),
        ("## Step: Renew it", "## Recap", "## Recap"),
    ],
    ids=["no intro", "no goal", "no step"],
)
def test_the_checker_names_the_line_of_a_missing_section(
    tmp_path, capsys, cut_from, cut_to, blamed
):
    from lessons.lessonfile import main

    text = GOOD[: GOOD.index(cut_from)] + GOOD[GOOD.index(cut_to) :]
    (tmp_path / "x.junior.md").write_text(text)
    assert main([str(tmp_path)]) == 1
    line = text.splitlines().index(blamed) + 1
    assert f"x.junior.md:{line}: " in capsys.readouterr().out


def test_a_translation_a_step_short_is_blamed_on_its_recap_where_its_steps_end():
    """It named the file only. Which step is missing the headings cannot say (they are
    in two languages): the message lists the original's, the line is where the steps end."""
    from lessons.lessonfile import translation_problem

    front = TRANSLATION[: TRANSLATION.index("## Intro")]
    short = front + GOOD[GOOD.index("## Intro") :].replace("## Step: Renew it", "## Step: X", 1)
    short = short[: short.index("## Step: X")] + short[short.index("## Step: Just prose") :]
    line, why = translation_problem(parse_version(GOOD), parse_version(short))
    assert why.startswith("the translation has 1 step, the original has 2")
    assert line == short.splitlines().index("## Recap") + 1
