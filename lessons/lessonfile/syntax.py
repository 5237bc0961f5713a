"""The Markdown side of the format, line by line: what opens a fence, a section or a
choice, and how lines are counted; and the checks on a text that the admin makes too (what
would not come back the same from a file, marked lines, Markdown too slow or too deep to
render)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

FENCE_RE = re.compile(r"^(```+|~~~+)\s*([^\s`]*)\s*(.*)$")
CHOICE_RE = re.compile(r"^- \[( |x|X)\] (.+)$")
# Near misses an author types, which would otherwise be read as prose and published as it
# stands, answer key and all: a choice with another bullet or an empty box, a section heading
# with one '#' too many, '### Questions'.
CHOICE_LIKE_RE = re.compile(r"^\s*[-*+]\s*\[[ xX]?\]")
SECTION_LIKE_RE = re.compile(r"^(#|#{3,6}) *(step *:.*|intro|goal|recap) *$", re.IGNORECASE)
QUESTION_LIKE_RE = re.compile(r"^#{1,6} *questions? *:? *$", re.IGNORECASE)
MARK_RE = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
# A climb's or piece's slug: lower-case words joined by single hyphens. Django's slug
# validator also allows capitals and '_', which a file (and so an export) cannot hold.
SLUG_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def slug_example(slug: str) -> str:
    """A slug that fits SLUG_RE, made of what `slug` has that fits ('My_Climb': 'my-climb')."""
    return "-".join(re.findall(r"[a-z0-9]+", slug.lower())) or "leases-and-ttls"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def lines_of(text: str) -> list[str]:
    """The lines of `text` as editors and Markdown count them, broken at \\n, \\r\\n and \\r
    only: str.splitlines() also breaks at \\v, \\f, U+0085, U+2028 and U+2029, which put an
    error a line past where an editor shows it, or made a step of a line no one sees."""
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def _next_fence(line: str, fence: str | None) -> tuple[str | None, bool]:
    """The open fence after `line` (None outside code), and whether `line` opened or closed
    one: a closing fence is at least as long as the one it closes."""
    match = FENCE_RE.match(line)
    if match and (fence is None or match.group(1).startswith(fence)):
        return (None if fence else match.group(1)), True
    return fence, False


def heading_typo(line: str, *, step: bool = False) -> str:
    """What a line outside code was probably meant to be, if it looks like a section or
    question heading without being one (the file would silently read it as prose), or ""."""
    if SECTION_LIKE_RE.match(line):
        return str(
            _("'%(line)s' looks like a section heading: those take two '#', as in '## %(name)s'.")
        ) % {
            "line": line.strip(),
            "name": line.lstrip("#").strip(),
        }
    if step and QUESTION_LIKE_RE.match(line) and line.strip() != "### Question":
        return str(_("'%(line)s' looks like a question heading: write it '### Question'.")) % {
            "line": line.strip()
        }
    return ""


def choice_typo(line: str) -> str:
    """Why a line of a question's prompt looks like a mistyped choice, or ""."""
    if line[:1].isspace() and CHOICE_RE.match(line.lstrip()):
        # Quoted stripped, the line read exactly as the form asked for: say what is wrong.
        return str(
            _(
                "'%(line)s' is indented: a choice starts at the beginning of its line, "
                "with no space or tab before the '-'."
            )
        ) % {"line": line.strip()[:60]}
    if CHOICE_LIKE_RE.match(line) or CHOICE_RE.match(line):
        return str(
            _(
                "'%(line)s' looks like a choice: a choice is written '- [ ] text', or "
                "'- [x] text' for the right one, after the prompt and a blank line."
            )
        ) % {"line": line.strip()[:60]}
    return ""


def explanation_problem(text: str) -> str:
    """Why a choice's explanation typed in the admin would not come back the same from a lesson
    file, or "". There its lines are indented under the choice by two spaces, and a line
    that is a choice once indented ('  - [ ] text') is refused as a choice indented by mistake."""
    for line in lines_of(text):
        if CHOICE_RE.match(line):
            return str(
                _(
                    "A line starting with '- [ ]' or '- [x]' would be read back from a lesson "
                    "file as a choice: begin it another way."
                )
            )
    return ""


def prompt_problem(text: str) -> str:
    """Why a question's prompt typed in the admin would not come back the same from a lesson
    file (a line read as a choice, or as a heading), or ""."""
    for line in lines_of(text):
        typo = choice_typo(line)
        if typo:
            return typo
        if line.startswith("#"):
            stripped = line.lstrip("#")
            if stripped.startswith(" ") and len(line) - len(stripped) in (2, 3):
                return str(_("A line starting with '## ' or '### ' would end the prompt."))
    return ""


def structure_problem(text: str, *, step: bool = False, before_snippet: bool = False) -> str:
    """Why Markdown typed in the admin would not come back the same from a lesson file, or "".

    In a file, a '## ' line outside fenced code starts a section, '### Question' starts a
    step's question, and a step's first fence is its snippet. Text written into a field can
    use none of them, or the export would read back as a different lesson (or not at all).
    """
    fence: str | None = None
    for line in lines_of(text):
        opened = fence is None
        fence, toggled = _next_fence(line, fence)
        if toggled:
            if opened and before_snippet:
                return str(
                    _(
                        "Code in the text before the snippet would be read back as the "
                        "snippet: put it in the snippet, or in the text after it."
                    )
                )
            continue
        if fence is not None:
            continue
        if line.startswith("## "):
            return str(
                _("A line starting with '## ' would start a new section: use '#### ' or bold.")
            )
        if step and line.strip() == "### Question":
            return str(_("A '### Question' line would start the step's question."))
        typo = heading_typo(line, step=step)
        if typo:
            return typo
    if fence is not None:
        return str(_("A code fence (```) is opened and never closed."))
    return ""


# No snippet we teach from is this long; the bound keeps '1-999999999' from expanding into
# a billion-item list (in the importer, and in the admin's form) before any other check.
MAX_MARKED_LINE = 10_000


def parse_marked_lines(value: str) -> list[int]:
    """'3,5-7' -> [3, 5, 6, 7]. Raises ValueError on anything else."""
    value = value.strip()
    if not value:
        return []
    if not MARK_RE.match(value):
        raise ValueError(f"marked lines must look like 3,5-7, not {value!r}")
    lines: list[int] = []
    for part in value.split(","):
        start, _, end = part.partition("-")
        first, last = int(start), int(end or start)
        if first < 1 or last < first:
            raise ValueError(f"bad marked line range {part!r}")
        if last > MAX_MARKED_LINE:
            raise ValueError(f"marked lines go up to {MAX_MARKED_LINE}, not {last}")
        lines.extend(range(first, last + 1))
    return sorted(set(lines))


# Python-Markdown takes time quadratic in the '[' of a text (each may open a link): 20,000
# took 40 s, past the app server's timeout; in the '<' too (each may open an autolink:
# 8,000 '<http://' took 12 s). Lessons link a handful of times; code is exempt.
MAX_MARKUP = {"[": 500, "<": 500}
# Lists and quotes nest by recursion: 2,000 '- ' on a line crashed the save (RecursionError).
MAX_NESTING = 32
_NESTING_RE = re.compile(r"[-*+][ \t]+|\d{1,9}[.)][ \t]+|>[ \t]*")


def _nesting(line: str) -> int:
    """How deep the line nests lists and quotes: its markers, and its indentation by fours."""
    stripped = line.expandtabs(4).lstrip(" ")
    depth = (len(line.expandtabs(4)) - len(stripped)) // 4
    position = 0
    while match := _NESTING_RE.match(stripped, position):
        depth += 1
        position = match.end()
    return depth


def markdown_problem(text: str) -> tuple[int, str] | None:
    """(line, why) when `text` outside fenced code is more than Markdown renders in reasonable
    time (too many '[' or '<'), or nests deeper than it can; else None."""
    if all(text.count(char) <= limit for char, limit in MAX_MARKUP.items()) and (
        len(text) <= MAX_NESTING  # a level takes at least one character ('>')
    ):
        return None  # the usual case, without walking the lines
    fence: str | None = None
    counts = dict.fromkeys(MAX_MARKUP, 0)
    for number, line in enumerate(lines_of(text), start=1):
        fence, toggled = _next_fence(line, fence)
        if fence is not None or toggled:
            continue
        for char, limit in MAX_MARKUP.items():
            counts[char] += line.count(char)
            if counts[char] > limit:
                why = _(
                    "More than %(limit)d '%(char)s' outside code: write fewer, or put them in code."
                )
                return number, str(why) % {"limit": limit, "char": char}
        if _nesting(line) > MAX_NESTING:
            why = _("Lists and quotes nested more than %(limit)d deep: nest fewer.")
            return number, str(why) % {"limit": MAX_NESTING}
    return None


def _strip_blank(lines: list[str]) -> str:
    return strip_blank_lines("\n".join(lines))


def strip_blank_lines(text: str) -> str:
    """Without blank lines at either end or spaces at the very end; indentation is kept."""
    return text.strip("\n").rstrip()
