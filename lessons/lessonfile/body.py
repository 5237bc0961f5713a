"""The body: the '## ' sections, each step with its prose and snippet, and a step's
question with its choices and their explanations (also read alone, as the admin's question
box holds it: `parse_question_text`)."""

from __future__ import annotations

from .data import (
    MAX_CHOICE,
    MAX_HEADING,
    MAX_MARKED,
    ChoiceData,
    LessonFileError,
    QuestionData,
    StepData,
    VersionData,
    _at_most,
)
from .syntax import (
    CHOICE_RE,
    FENCE_RE,
    _next_fence,
    _strip_blank,
    choice_typo,
    heading_typo,
    lines_of,
    markdown_problem,
    parse_marked_lines,
)


def _sections(body: list[str], first_line: int, path) -> list[tuple[str, int, list[str]]]:
    """Split the body on '## ' headings outside fenced code. Returns (heading, line, lines)."""
    sections: list[tuple[str, int, list[str]]] = []
    fence: str | None = None
    opened = first_line  # where the open fence is
    # The first fence closed by a line that names a language, as the next snippet's opening
    # does: when a closing fence is forgotten, that is where the count went wrong, not the
    # unpaired fence at the end.
    misclosed: tuple[int, int, str] | None = None
    for offset, line in enumerate(body):
        match = FENCE_RE.match(line)
        was = fence
        fence, _toggled = _next_fence(line, fence)
        if fence is not None and _toggled:
            opened = first_line + offset
        elif was is not None and _toggled and match.group(2) and misclosed is None:
            misclosed = (opened, first_line + offset, was)
        if fence is None and line.startswith("## "):
            sections.append((line[3:].strip(), first_line + offset, []))
            continue
        if fence is None and not _toggled:
            typo = heading_typo(line, step=bool(sections) and _in_step(sections[-1][0]))
            if typo:
                raise LessonFileError(path, first_line + offset, typo)
        if sections:
            sections[-1][2].append(line)
        elif line.strip() and not (match and fence):
            raise LessonFileError(
                path, first_line + offset, "text before the first '## ' section heading"
            )
    if fence and misclosed:
        line, runs_to, marker = misclosed
        raise LessonFileError(
            path,
            line,
            f"the code fence opened here is not closed before line {runs_to}, where another "
            f"snippet opens: close it with {marker} on a line of its own",
        )
    if fence:
        raise LessonFileError(
            path, opened, "the code fence opened here is never closed (close it with " + fence + ")"
        )
    # Markdown's limits per section, near enough to the admin's per field that a version
    # saved there exports to a file that imports again.
    for _heading, line, lines in sections:
        problem = markdown_problem("\n".join(lines))
        if problem:
            raise LessonFileError(path, line + problem[0], problem[1])
    return sections


def _in_step(heading: str) -> bool:
    return heading.lower().startswith("step:")


def _parse_sections(version: VersionData, body: list[str], first_line: int, path) -> None:
    seen: set[str] = set()
    sections = _sections(body, first_line, path)
    for heading, line, lines in sections:
        lower = heading.lower()
        if lower in ("intro", "goal", "recap"):
            if lower in seen:
                raise LessonFileError(path, line, f"the '## {heading}' section appears twice")
            if lower != "recap" and version.steps:
                raise LessonFileError(path, line, f"'## {heading}' must come before the steps")
            if lower == "intro" and "goal" in seen:  # the order the page and the export use
                raise LessonFileError(path, line, "'## Intro' must come before '## Goal'")
            if lower == "recap" and "recap" in seen:
                raise LessonFileError(path, line, "the '## Recap' section appears twice")
            seen.add(lower)
            version.lines[f"## {lower}"] = line
            text = _strip_blank(lines)
            if not text:
                raise LessonFileError(path, line, f"the '## {heading}' section is empty")
            setattr(version, lower, text)
        elif lower.startswith("step:"):
            if "recap" in seen:
                raise LessonFileError(path, line, "a step comes after '## Recap'")
            step_heading = heading[5:].strip()
            if not step_heading:
                raise LessonFileError(path, line, "a step needs a heading: '## Step: <heading>'")
            _at_most(step_heading, MAX_HEADING, "a step's heading", path, line)
            # The importer finds a step again by its heading: two alike would be one step
            # in the database and a new copy on every import.
            if any(step.heading == step_heading for step in version.steps):
                raise LessonFileError(
                    path, line, f"two steps are headed {step_heading!r}: give each its own"
                )
            step = _parse_step(step_heading, lines, line + 1, path)
            step.line = line
            version.steps.append(step)
        else:
            raise LessonFileError(
                path,
                line,
                f"unknown section '## {heading}': use Intro, Goal, Step: <heading> or Recap",
            )
    for required in ("intro", "goal", "recap"):
        if required not in seen:
            raise _missing_section(required, sections, first_line + len(body) - 1, path)
    if not version.steps:
        # Where the steps go: just before the recap (required, so there by now).
        raise LessonFileError(
            path,
            version.line("## recap"),
            "a lesson needs at least one '## Step: <heading>' before '## Recap'",
        )


def _missing_section(
    required: str, sections: list[tuple[str, int, list[str]]], last_line: int, path
) -> LessonFileError:
    """The error for a missing Intro, Goal or Recap, on the line where it belongs: the
    heading of the section that came in its place (the first section that is not an Intro,
    for the Goal: the sections before it are refused out of order), or the file's last
    line when nothing came after (a missing Recap always: it goes after the last step).
    Without a line, an author looked through the whole file for where to put it."""
    name = required.capitalize()
    before = {"intro": (), "goal": ("intro",)}.get(required)
    if before is not None:
        for heading, line, _lines in sections:
            if heading.lower() not in before:
                return LessonFileError(
                    path, line, f"missing section '## {name}': it goes before this '## {heading}'"
                )
    return LessonFileError(path, last_line, f"missing section '## {name}'")


def _parse_step(heading: str, lines: list[str], first_line: int, path) -> StepData:
    step = StepData(heading=heading)
    prose: list[str] = []
    after: list[str] = []
    question_at: int | None = None
    index = 0
    fence: str | None = None
    while index < len(lines):
        line = lines[index]
        match = FENCE_RE.match(line)
        if fence is None and line.strip() == "### Question":
            question_at = index
            break
        if fence is None and match and not step.code and not step.language:
            # The first fence of the step is its snippet.
            fence = match.group(1)
            step.language = match.group(2) or ""
            options = match.group(3).strip()
            if not step.language:
                raise LessonFileError(path, first_line + index, "a snippet needs a language")
            _check_language(step.language, path, first_line + index)
            if options:
                key, _, value = options.partition("=")
                if key.strip() != "mark":
                    raise LessonFileError(
                        path, first_line + index, f"unknown snippet option {options!r}: use mark="
                    )
                try:
                    parse_marked_lines(value)
                except ValueError as exc:
                    raise LessonFileError(path, first_line + index, str(exc)) from None
                step.marked_lines = _at_most(
                    value.strip(), MAX_MARKED, "mark=", path, first_line + index
                )
            code: list[str] = []
            index += 1
            # Closed as _sections closes it (a fence at least as long), or the two disagree.
            while index < len(lines) and _next_fence(lines[index], fence) != (None, True):
                code.append(lines[index])
                index += 1
            if index == len(lines):
                raise LessonFileError(path, first_line + index - 1, "the snippet is never closed")
            step.code = "\n".join(code)
            if not step.code.strip():
                raise LessonFileError(path, first_line + index, "the snippet is empty")
            highest = max(parse_marked_lines(step.marked_lines), default=0)
            if highest > len(code):
                raise LessonFileError(
                    path,
                    first_line + index - len(code) - 1,
                    f"marked line {highest} is past the end of the {len(code)}-line snippet",
                )
            fence = None
            index += 1
            continue
        if match and line.strip():
            fence = None if fence else match.group(1)
        (after if step.code else prose).append(line)
        index += 1
    step.prose = _strip_blank(prose)
    step.prose_after = _strip_blank(after)
    if question_at is not None:
        step.question = _parse_question(
            lines[question_at + 1 :], first_line + question_at + 1, path
        )
        step.question.line = first_line + question_at
    return step


def _check_language(name: str, path, line: int) -> None:
    from ..rendering import UnknownLanguage, check_language  # rendering imports this package

    try:
        check_language(name)
    except UnknownLanguage as exc:
        raise LessonFileError(path, line, str(exc)) from None


def _parse_question(lines: list[str], first_line: int, path) -> QuestionData:
    prompt: list[str] = []
    choices: list[tuple[int, ChoiceData, list[str]]] = []
    for offset, line in enumerate(lines):
        number = first_line + offset
        match = CHOICE_RE.match(line)
        if match:
            text = _at_most(match.group(2).strip(), MAX_CHOICE, "a choice", path, number)
            choice = ChoiceData(text, match.group(1) != " ", "", number)
            choices.append((number, choice, []))
        elif line.startswith("### ") and not choices:
            raise LessonFileError(path, number, f"unknown sub-section {line.strip()!r}")
        elif choices:
            if line.startswith("  ") and CHOICE_RE.match(line[2:]):
                # Read as part of the explanation above it, an indented choice was published
                # inside that explanation, and the question lost a choice without a word.
                raise LessonFileError(path, number, choice_typo(line))
            if line.strip() and not line.startswith("  "):
                # A tab looks like indentation in an editor: say it is the tab. Each message
                # whole, so that it reads (and could be translated) as one sentence.
                if line.startswith("\t"):
                    why = (
                        "text after the choices must be an explanation indented by two "
                        "spaces, not a tab"
                    )
                else:
                    why = "text after the choices must be an explanation indented by two spaces"
                raise LessonFileError(path, number, why)
            choices[-1][2].append(line[2:] if line.startswith("  ") else line)
        else:
            typo = choice_typo(line)
            if typo:
                raise LessonFileError(path, number, typo)
            prompt.append(line)
    question_line = first_line - 1
    text = _strip_blank(prompt)
    if not text:
        raise LessonFileError(path, question_line, "the question has no prompt")
    if not 2 <= len(choices) <= 5:
        raise LessonFileError(
            path, question_line, f"a question needs 2 to 5 choices, this one has {len(choices)}"
        )
    correct = [number for number, choice, _ in choices if choice.is_correct]
    if len(correct) != 1:
        found = "no correct choice" if not correct else f"{len(correct)} correct choices"
        raise LessonFileError(
            path, question_line, f"a question needs exactly one correct choice '- [x]': {found}"
        )
    texts = [choice.text for _, choice, _ in choices]
    for number, choice, explanation in choices:
        if texts.count(choice.text) > 1:
            raise LessonFileError(path, number, f"the choice {choice.text!r} appears twice")
        choice.explanation = _strip_blank(explanation)
        if not choice.explanation:
            raise LessonFileError(path, number, "every choice needs an explanation (indented)")
    return QuestionData(prompt=text, choices=[choice for _, choice, _ in choices])


def parse_question_text(text: str, path: str = "question") -> QuestionData:
    """A question as it appears under '### Question' (prompt, then '- [x]' choices)."""
    too_many = markdown_problem(text)
    if too_many:
        raise LessonFileError(path, *too_many)
    return _parse_question(lines_of(text), 1, path)
