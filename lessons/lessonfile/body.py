"""Lesson files: parse and write the format the README describes ("The lesson-file format").

Pure functions over text: no database, no Django. The importer turns the dataclasses below
into rows; the exporter turns rows back into the same dataclasses and calls `dump_version`.
Errors carry the file and line so that an author can fix them from the message alone.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

TIERS = ("zero", "junior", "middle", "senior")
STATUSES = ("draft", "published")
TRANSLATION_LANGUAGES = ("ru",)

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


# A part of a translation with no translation yet: a step, question or choice added to the
# English (by a file imported without its .ru.md, or on a step's or question's own admin page),
# or a choice rewritten there. The exporter writes the English text after this mark, so that
# the .ru.md imports again; the importer stores nothing for a marked part, so the Russian page
# shows the English there and the translation stays behind, until a translator replaces the
# text and the mark.
UNTRANSLATED = "[untranslated]"


def mark_untranslated(english: str) -> str:
    """The English text of a part with no translation, marked: on the line of a one-line
    text (a heading, a choice), as a paragraph of its own before a longer one (which may
    start with a list or a code fence)."""
    if "\n" in english:
        return f"{UNTRANSLATED}\n\n{english}"
    return f"{UNTRANSLATED} {english}"


def translated_text(text: str) -> str:
    """The text of a translation's part, or "" for one marked as not translated yet (which
    `misused_mark` has let through: the mark alone, or the mark and the English)."""
    return "" if text.startswith(UNTRANSLATED) else text


def misused_mark(text: str, english: Iterable[str]) -> bool:
    """Whether `text` starts with the mark and yet is not a part left untranslated: the
    mark alone, or the mark and one of `english` (the English as it stands; the importer and
    the admin also take it as it stood before the edit, which an earlier export wrote).

    A translator who types the Russian over the English and leaves the mark would have
    the translation thrown away without a word; the file, or the admin, refuses it. Taking
    the text without its mark instead would guess: a mark may as well say "I have not
    finished this part" as "I forgot to remove it", and only the translator knows."""
    if not text.startswith(UNTRANSLATED):
        return False
    rest = text[len(UNTRANSLATED) :].strip()
    return bool(rest) and rest not in {each.strip() for each in english}


def misused_question_mark(question: QuestionData, originals: list[QuestionData]) -> str:
    """The first text of a translated question (the admin's Russian box) that keeps the mark
    over a translation (`misused_mark`: its English is in `originals`), or ""."""

    def parts(each: QuestionData) -> list[str]:
        return [each.prompt] + [text for c in each.choices for text in (c.text, c.explanation)]

    english = [parts(original) for original in originals]
    for index, text in enumerate(parts(question)):
        if misused_mark(text, [texts[index] for texts in english if index < len(texts)]):
            return text
    return ""


MISUSED_MARK = (
    "{where} starts with " + UNTRANSLATED + " but is not the English after it: remove the "
    "mark from a translated text (a marked part is stored as not translated, its text thrown "
    "away); a part not translated yet is the mark alone, or the mark and the English as it "
    "stands"
)


class LessonFileError(ValueError):
    """A problem in a lesson file, located precisely enough to fix."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class ChoiceData:
    text: str
    is_correct: bool
    explanation: str
    line: int | None = field(default=None, compare=False)  # of '- [ ] ...', in a file


@dataclass
class QuestionData:
    prompt: str
    choices: list[ChoiceData]
    line: int | None = field(default=None, compare=False)  # of '### Question', in a file


@dataclass
class StepData:
    heading: str
    prose: str = ""  # Markdown before the snippet
    language: str = ""
    code: str = ""
    marked_lines: str = ""
    prose_after: str = ""  # Markdown between the snippet and the question
    question: QuestionData | None = None
    line: int | None = field(default=None, compare=False)  # of '## Step: ...', in a file


@dataclass
class SourceData:
    title: str
    url: str
    note: str = ""


@dataclass
class VersionData:
    """One tier version of one piece, as one lesson file holds it."""

    climb: str
    piece: str
    order: int
    tier: str
    title: str
    crux: str
    minutes: int
    intro: str
    goal: str
    recap: str
    steps: list[StepData] = field(default_factory=list)
    sources: list[SourceData] = field(default_factory=list)
    # A translation's notes to the original's sources, one per source in its order ("" for
    # one left in the original's words); titles and addresses are the original's.
    source_notes: list[str] = field(default_factory=list)
    status: str = "published"
    language: str = "en"  # "ru": a translation of the English file with the same piece and tier
    path: str = field(default="", compare=False)
    # Where the front matter's keys are, for errors only the whole import finds (a duplicate
    # piece and tier, an unknown climb).
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    # (line, what) of Markdown that will show as typed: warnings, see markup_slips().
    slips: list[tuple[int, str]] = field(default_factory=list, compare=False)

    def line(self, key: str) -> int | None:
        return self.lines.get(key)


@dataclass
class ClimbData:
    slug: str
    title: str
    order: int
    description: str
    language: str = "en"
    path: str = field(default="", compare=False)


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
    if CHOICE_LIKE_RE.match(line) or CHOICE_RE.match(line):
        return str(
            _(
                "'%(line)s' looks like a choice: a choice is written '- [ ] text', or "
                "'- [x] text' for the right one, after the prompt and a blank line."
            )
        ) % {"line": line.strip()[:60]}
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key given twice is an error, not 'the last wins'."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool | None):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain name", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


# What the database holds (lessons.models): longer text would fail there, not here.
MAX_LENGTHS = {"title": 200, "crux": 300, "slug": 50, "climb": 50, "piece": 50}
MAX_HEADING, MAX_MARKED, MAX_CHOICE = 200, 200, 500
MAX_SOURCE = {"title": 300, "url": 500, "note": 300}


def _at_most(value: str, limit: int, what: str, path, line: int | None) -> str:
    """`value`, or the file and line of text longer than its database column holds (on
    PostgreSQL the import failed there with neither; SQLite stored it whole)."""
    if len(value) > limit:
        raise LessonFileError(
            path, line, f"{what} is {len(value)} characters long: at most {limit}"
        )
    return value


MAX_WHOLE_NUMBER = 2_147_483_647  # a PositiveIntegerField on PostgreSQL
MINUTES = (1, 240)  # a tier version's honest reading and answering time (a database check)


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


# A line that starts a block of its own: emphasis and code never run across it.
_BLOCK_START_RE = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|>|#|\|)")


def markup_slips(lines: list[str], first_line: int = 1) -> list[tuple[int, str]]:
    """(line, what) for each '**' and each run of backticks outside fenced code that nothing
    closes in its paragraph (or list item, quote, heading, table row): Markdown shows it as
    typed, which an author rarely means ("**always** use **fencing" reads with two stars).
    Warnings, not errors: the text renders, only not as meant."""
    slips: list[tuple[int, str]] = []
    block: list[tuple[int, str]] = []
    fence: str | None = None
    for offset, line in enumerate([*lines, ""]):  # a blank line at the end ends the last block
        fence, toggled = _next_fence(line, fence)
        ends = fence is not None or toggled or not line.strip() or _BLOCK_START_RE.match(line)
        if ends and block:
            slips += _block_slips(block)
            block = []
        if fence is None and not toggled and line.strip():
            block.append((first_line + offset, line))
    slips += _sanitiser_slips(lines, first_line)
    return sorted(slips, key=lambda slip: slip[0])


# What the sanitiser may take out, found without rendering: a tag or an autolink ('<' and a
# letter, '/', '!' or '?'), an image, and a link or a link's definition whose address is
# neither http(s), mailto nor a plain relative one (an address with a ':' or an entity).
# A '<' in prose ("a < b"), and the lessons' usual https links, are not worth a render.
_MAY_LOSE_RE = re.compile(
    r"<[a-z!/?]|!\["
    r"|\]\(\s*<?(?!https?://|mailto:|[^\s):&<]*[\s)])"
    r"|\]:\s*<?(?!https?://|mailto:|[^\s:&<]*(?:\s|$))",
    re.IGNORECASE,
)


# A code span, as Python-Markdown finds one in a paragraph: '`<lease ID>`' shows as typed.
_CODE_SPAN_RE = re.compile(r"(?<!\\)(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t]*\n")


def _may_lose(text: str) -> bool:
    """Whether rendering `text` could show anything the sanitiser takes out (outside code
    spans): a render costs about as much as the rest of the parse."""
    return any(
        _MAY_LOSE_RE.search(_CODE_SPAN_RE.sub("", paragraph))
        for paragraph in _PARAGRAPH_BREAK_RE.split(text)
        if "<" in paragraph or "[" in paragraph
    )


def _outside_code(lines: list[str]) -> list[str]:
    """The lines, with fenced code and its fences blanked out, and a file's section headings
    ('## Step: ...', which are no part of any text): rendered, the text is the same but for
    code (nothing to highlight), and the line count is kept."""
    kept: list[str] = []
    fence: str | None = None
    for line in lines:
        fence, toggled = _next_fence(line, fence)
        code = fence is not None or toggled
        kept.append("" if code or line.startswith("## ") else line)
    return kept


def _lines_with(lines: list[str], needles: tuple[str, ...], first_line: int) -> list[int]:
    """The line of each occurrence of any of `needles` (case-insensitive), in order."""
    found = []
    for offset, line in enumerate(lines):
        lower = line.lower()
        found += [first_line + offset] * sum(lower.count(needle) for needle in needles)
    return found


def _sanitiser_slips(lines: list[str], first_line: int) -> list[tuple[int, str]]:
    """An image, raw HTML or a link the sanitiser takes out: imported without a word, it
    was simply missing from the page (the author audit).

    The text (a file's body, an admin field) is rendered once, as a whole: a reference-style
    link or image ('[the spec][s]' with '[s]: javascript:...' elsewhere) is only a link with
    its definition in view, and one render is about half the time of one per paragraph.
    Each loss is put on the first line that holds it: the address, '<tag', '![' for an image."""
    kept = _outside_code(lines)
    text = "\n".join(kept)
    if not _may_lose(text):  # the usual case: nothing to take out, no need to render
        return []
    from ..rendering import sanitiser_losses  # it imports this module

    tags, links = sanitiser_losses(text)
    fallback = next((first_line + i for i, line in enumerate(kept) if line.strip()), first_line)
    slips = []
    for tag, count in tags.items():
        needles = ("![", "<img") if tag == "img" else (f"<{tag}",)
        at = _lines_with(kept, needles, first_line)[:count]
        at += [fallback] * (count - len(at))
        if tag == "img":
            why = _(
                "An image is taken out of the page: lessons show none. Describe it, or "
                "show it as a snippet."
            )
        else:
            why = _(
                "<%(tag)s> is taken out of the page: lesson text keeps simple formatting "
                "only (show HTML as a snippet)."
            ) % {"tag": tag}
        slips += [(line, str(why)) for line in at]
    for address in links:
        line = next(iter(_lines_with(kept, (address.lower(),), first_line)), fallback)
        why = _(
            "The link to %(address)s loses its address: links go to http(s) and mailto "
            "addresses only."
        )
        slips.append((line, why % {"address": address[:80]}))
    return slips


def slip_warnings(versions: list[VersionData]) -> list[str]:
    """Every file's markup slips, one line each, located as an error is."""
    return [f"{v.path}:{line}: {why}" for v in versions for line, why in v.slips]


def _block_slips(block: list[tuple[int, str]]) -> list[tuple[int, str]]:
    if block[0][1].startswith(("    ", "\t")):
        return []  # an indented code block: shown as typed, as it should be
    text = "\n".join(line for _number, line in block)
    starts = [0]
    for _number, line in block[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def line_at(position: int) -> int:
        return block[max(i for i, start in enumerate(starts) if start <= position)][0]

    slips: list[tuple[int, str]] = []
    strong: list[int] = []
    position = 0
    while position < len(text):
        if text[position] == "\\":  # outside code, an escaped character is itself
            position += 2
        elif text[position] == "`":
            # A run of n backticks opens code that the next run of exactly n closes; inside
            # it a backslash is a backslash. A run nothing closes shows as typed.
            run = len(text[position:]) - len(text[position:].lstrip("`"))
            closer = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(text, position + run)
            if closer is None:
                why = _("%(mark)s opens code that nothing closes: it shows as typed.")
                slips.append((line_at(position), why % {"mark": "`" * run}))
                position += run
            else:
                position = closer.end()
        elif text.startswith("**", position):
            strong.append(position)
            position += 2
        else:
            position += 1
    if len(strong) % 2:
        why = _("** opens bold text that nothing closes: it shows as typed.")
        slips.append((line_at(strong[-1]), str(why)))
    return sorted(slips)


ESCAPED_QUOTE = {'"': '\\"', "'": "''"}
_QUOTED_VALUE_RE = re.compile(r"""^\s*(?:-\s+)?[A-Za-z_][\w-]*:\s*(["'])(.*)$""")


def _unclosed_quote(lines: list[str]) -> tuple[int, str] | None:
    """(index, quote) of the first front-matter line whose value opens a quote and does not
    close it on the line, as every value in a lesson file is written."""
    for number, line in enumerate(lines):
        match = _QUOTED_VALUE_RE.match(line)
        if not match:
            continue
        quote, rest = match.groups()
        rest = rest.rstrip()
        if quote == '"':
            closed = re.fullmatch(r'(?:[^"\\]|\\.)*"(\s+#.*)?', rest)
        else:
            closed = re.fullmatch(r"(?:[^']|'')*'(\s+#.*)?", rest)
        if not closed:
            return number, quote
    return None


def _split_front_matter(path: str | Path, text: str) -> tuple[dict, list[str], int, _Places]:
    """Return (front matter, body lines, line number of the first body line, where each part
    of the front matter is)."""
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise LessonFileError(path, line, "the file contains a NUL character")
    lines = lines_of(text)
    if not lines or lines[0].strip() != "---":
        raise LessonFileError(path, 1, "the file must start with a '---' front-matter header")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            break
    else:
        raise LessonFileError(path, 1, "the front-matter header is not closed with '---'")
    loader = _UniqueKeyLoader("\n".join(lines[1:index]))
    try:
        node = loader.get_single_node()
        meta = (loader.construct_document(node) if node is not None else None) or {}
        places = _places(loader, node)
    except RecursionError:
        raise LessonFileError(
            path, 2, "front matter nests lists or mappings too deeply to read"
        ) from None
    except yaml.YAMLError as exc:
        unclosed = _unclosed_quote(lines[1:index])
        if unclosed is not None:  # YAML reads on into the next lines and reports one of them
            number, quote = unclosed
            raise LessonFileError(
                path,
                number + 2,
                f"the value opens with {quote} but does not end with one on its line: end "
                f"it with {quote}, and write a {quote} inside it as {ESCAPED_QUOTE[quote]}",
            ) from None
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise LessonFileError(path, line, f"front matter is not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    if not isinstance(meta, dict):
        raise LessonFileError(path, 2, "front matter must be a set of 'key: value' lines")
    return meta, lines[index + 1 :], index + 2, places


@dataclass
class _Places:
    """Where the parts of the front matter are, read off YAML's nodes, for errors that name
    a line and quote what was typed. Keyed "title" for a key, "sources.2" for a list's item
    and "sources.2.note" for a key in an item: an error in the second of five sources names
    that source (or its note), not the `sources:` line."""

    lines: dict[str, int] = field(default_factory=dict)  # the file line of each part
    typed: dict[str, str] = field(default_factory=dict)  # a text value as typed ('yes')
    keys: list[tuple[object, str, int]] = field(default_factory=list)  # (read, typed, line)

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)

    def typed_key(self, key: object) -> tuple[str, int]:
        """A top-level key as typed, and its line: YAML reads 'yes:' as True, '1:' as 1."""
        for read, typed, line in self.keys:
            if read == key and type(read) is type(key):
                return typed, line
        return str(key), 1


def _places(loader: yaml.SafeLoader, node: yaml.Node | None) -> _Places:
    places = _Places()
    if not isinstance(node, yaml.MappingNode):  # empty front matter
        return places

    def found(where: str, at: yaml.Node, value: yaml.Node) -> None:
        places.lines[where] = at.start_mark.line + 2  # the front matter starts on line 2
        if isinstance(value, yaml.ScalarNode):
            places.typed[where] = value.value

    for key, value in node.value:
        read = loader.construct_object(key)
        places.keys.append((read, key.value, key.start_mark.line + 2))
        if not isinstance(read, str):  # refused as unknown, by its typed name
            continue
        found(read, key, value)
        if isinstance(value, yaml.SequenceNode):
            for number, item in enumerate(value.value, start=1):
                found(f"{read}.{number}", item, item)
                if isinstance(item, yaml.MappingNode):
                    for item_key, item_value in item.value:
                        found(f"{read}.{number}.{item_key.value}", item_key, item_value)
    return places


def _require(
    meta: dict,
    key: str,
    path: str | Path,
    places: _Places,
    kind: type = str,
    within: tuple[int, int] = (0, MAX_WHOLE_NUMBER),
):
    if key not in meta or meta[key] in (None, ""):
        raise LessonFileError(path, 1, f"missing field '{key}' in the front matter")
    value = meta[key]
    if kind is int:
        low, high = within
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            quoted = isinstance(value, str) and value.strip().isdigit()
            raise LessonFileError(
                path,
                places.line(key),
                f"'{key}' must be a whole number from {low} to {high}, not {value!r}"
                + (f": write it without quotes, {key}: {value.strip()}" if quoted else ""),
            )
        return value
    if isinstance(value, (list, dict)):
        raise LessonFileError(path, places.line(key), f"'{key}' must be text, not a list")
    if not isinstance(value, str):
        typed = places.typed.get(key, "")
        raise _not_text(path, places.line(key), f"'{key}'", key, typed, value)
    value = value.strip()
    limit = MAX_LENGTHS.get(key)
    if limit is not None and len(value) > limit:
        raise LessonFileError(
            path, places.line(key), f"'{key}' is {len(value)} characters long: at most {limit}"
        )
    return value


def _not_text(path, line: int | None, what: str, key: str, typed: str, value) -> LessonFileError:
    """The error for a text YAML read as something else: an unquoted yes, no, on, off, a
    number or a date ('title: yes' was published with the title "True", 'note: no' became
    no note at all)."""
    shown = typed or str(value)
    quoted = f'{key}: "{shown}"' if key else f'- "{shown}"'
    return LessonFileError(
        path,
        line,
        f"{what} must be text, and YAML reads {shown!r} as {type(value).__name__}: "
        f"put it in quotes, {quoted}",
    )


def _refuse_unknown(
    keys, known, what: str, path, line: int | None, has: str, places: _Places | None = None
) -> None:
    """Refuse the first key (by name) that is not one of `known`, naming the known ones in
    their order and the near one. A key YAML reads as a number, a yes/no or a date is
    unknown too, named as typed (sorting it among the names crashed the parse). With
    `places`, the error is on the key's own line; else on `line` (a source's)."""
    unknown = sorted((key for key in keys if not (isinstance(key, str) and key in known)), key=str)
    if not unknown:
        return
    name, at = places.typed_key(unknown[0]) if places else (str(unknown[0]), line)
    raise LessonFileError(
        path,
        at,
        f"unknown field {name!r} in {what}: {has} " + ", ".join(known) + _did_you_mean(name, known),
    )


def _strip_blank(lines: list[str]) -> str:
    return strip_blank_lines("\n".join(lines))


def strip_blank_lines(text: str) -> str:
    """Without blank lines at either end or spaces at the very end; indentation is kept."""
    return text.strip("\n").rstrip()


TRANSLATION_WITHOUT_LANGUAGE = "a translation (.ru.md) needs 'language: ru' in its front matter"


def parse_climb(text: str, path: str | Path = "<climb>") -> ClimbData:
    meta, body, _, places = _split_front_matter(path, text)
    if str(path).endswith(".ru.md") and "language" not in meta:
        raise LessonFileError(path, 2, TRANSLATION_WITHOUT_LANGUAGE)
    # Checked first: 'titel:' was reported as a missing 'title'.
    known = ("language", "order", "slug", "title")
    _refuse_unknown(meta, known, "the front matter", path, None, "a climb.md has", places)
    slug = _require(meta, "slug", path, places)
    if not SLUG_RE.fullmatch(slug):
        raise LessonFileError(path, places.line("slug"), f"slug {slug!r} is not a-z, 0-9 and -")
    language = str(meta.get("language") or "en").lower()
    if language != "en":
        if language not in TRANSLATION_LANGUAGES:
            raise LessonFileError(path, places.line("language"), f"unknown language {language!r}")
        return ClimbData(
            slug=slug,
            title=_require(meta, "title", path, places),
            order=0,
            description=_strip_blank(body),
            language=language,
            path=str(path),
        )
    return ClimbData(
        slug=slug,
        title=_require(meta, "title", path, places),
        order=_require(meta, "order", path, places, int),
        description=_strip_blank(body),
        path=str(path),
    )


def parse_version(text: str, path: str | Path = "<lesson>") -> VersionData:
    """Parse one tier-version file. Raises LessonFileError on the first problem found."""
    meta, body, first_line, places = _split_front_matter(path, text)
    if "language" in meta:
        return _parse_translation(meta, body, first_line, places, path)
    if str(path).endswith(".ru.md"):
        # Without its `language:` line a translation read as an original, and the error was
        # about keys it should not have or lacks ('source_notes', 'minutes').
        raise LessonFileError(path, 2, TRANSLATION_WITHOUT_LANGUAGE)
    _refuse_unknown(
        meta, VERSION_FIELDS, "the front matter", path, None, "a lesson file has", places
    )
    tier = _require(meta, "tier", path, places).lower()
    if tier not in TIERS:
        raise LessonFileError(
            path, places.line("tier"), f"unknown tier {tier!r}: use one of {', '.join(TIERS)}"
        )
    piece = _require(meta, "piece", path, places)
    if not SLUG_RE.fullmatch(piece):
        raise LessonFileError(
            path, places.line("piece"), f"piece slug {piece!r} is not a-z, 0-9 and -"
        )
    status = str(meta.get("status") or "published").strip().lower()
    if status not in STATUSES:
        raise LessonFileError(
            path, places.line("status"), f"status must be draft or published, not {status!r}"
        )
    minutes = _require(meta, "minutes", path, places, int, within=MINUTES)
    version = VersionData(
        climb=_require(meta, "climb", path, places),
        piece=piece,
        order=_require(meta, "order", path, places, int),
        tier=tier,
        title=_require(meta, "title", path, places),
        crux=_require(meta, "crux", path, places),
        minutes=minutes,
        status=status,
        intro="",
        goal="",
        recap="",
        sources=_parse_sources(meta.get("sources") or [], path, places),
        path=str(path),
        lines=places.lines,
    )
    _parse_sections(version, body, first_line, path)
    version.slips = markup_slips(body, first_line)
    return version


VERSION_FIELDS = tuple(
    sorted({"climb", "piece", "order", "tier", "title", "crux", "minutes", "status", "sources"})
)
TRANSLATION_FIELDS = tuple(
    sorted({"climb", "piece", "tier", "language", "title", "crux", "source_notes"})
)


def _parse_translation(
    meta: dict, body: list[str], first_line: int, places: _Places, path
) -> VersionData:
    """A translation: same sections as the original; order, minutes and sources come from it."""
    for key in sorted(set(VERSION_FIELDS) - set(TRANSLATION_FIELDS)):
        if key in meta:
            raise LessonFileError(
                path,
                places.line(key),
                f"'{key}' comes from the original file; a translation has only "
                + ", ".join(TRANSLATION_FIELDS),
            )
    _refuse_unknown(
        meta, TRANSLATION_FIELDS, "the front matter", path, None, "a translation has", places
    )
    language = _require(meta, "language", path, places).lower()
    if language not in TRANSLATION_LANGUAGES:
        raise LessonFileError(
            path,
            places.line("language"),
            f"unknown language {language!r}: translations can be in "
            + ", ".join(TRANSLATION_LANGUAGES),
        )
    tier = _require(meta, "tier", path, places).lower()
    if tier not in TIERS:
        raise LessonFileError(
            path, places.line("tier"), f"unknown tier {tier!r}: use one of {', '.join(TIERS)}"
        )
    version = VersionData(
        climb=_require(meta, "climb", path, places),
        piece=_require(meta, "piece", path, places),
        order=0,
        tier=tier,
        title=_require(meta, "title", path, places),
        crux=_require(meta, "crux", path, places),
        minutes=0,
        intro="",
        goal="",
        recap="",
        language=language,
        path=str(path),
        lines=places.lines,
    )
    notes = meta.get("source_notes", [])
    if not isinstance(notes, list) or any(isinstance(note, list | dict) for note in notes):
        raise LessonFileError(
            path,
            places.line("source_notes"),
            "'source_notes' must be a list of texts, one per source of the original, in order",
        )
    for number, note in enumerate(notes, start=1):
        if not isinstance(note, str):  # '- no' read as False, '- 0' as 0
            line = version.line(f"source_notes.{number}")
            typed = places.typed.get(f"source_notes.{number}", "")
            raise _not_text(path, line, f"source note {number}", "", typed, note)
    version.source_notes = [
        _at_most(
            note.strip(),
            MAX_SOURCE["note"],
            f"source note {number}",
            path,
            version.line(f"source_notes.{number}"),
        )
        for number, note in enumerate(notes, start=1)
    ]
    _parse_sections(version, body, first_line, path)
    version.slips = markup_slips(body, first_line)
    return version


SOURCE_FIELDS = ("title", "url", "note")


def _did_you_mean(word: str, known) -> str:
    """'; did you mean 'crux'?' for a near miss of a known name, or ""."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _parse_sources(value, path, places: _Places) -> list[SourceData]:
    if not isinstance(value, list):
        raise LessonFileError(
            path, places.line("sources"), "'sources' must be a list of title/url/note entries"
        )
    sources = []
    for number, item in enumerate(value, start=1):
        line = places.lines[f"sources.{number}"]
        # (Not 'or not item.get(...)': 'title: no' is a title YAML read as False, said below.)
        if not isinstance(item, dict) or any(
            item.get(key) in (None, "") for key in ("title", "url")
        ):
            raise LessonFileError(path, line, f"source {number} needs a 'title' and a 'url'")
        # A misspelt key ('notes:') silently dropped what it held.
        _refuse_unknown(item, SOURCE_FIELDS, f"source {number}", path, line, "a source has only")
        texts = {}
        for key in SOURCE_FIELDS:
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                # 'note: yes' was imported as "True", 'note: no' and 'note: 0' as no note.
                where = f"sources.{number}.{key}"
                at, typed = places.lines.get(where, line), places.typed.get(where, "")
                raise _not_text(path, at, f"source {number}'s {key}", key, typed, value)
            texts[key] = (value or "").strip()
            _at_most(texts[key], MAX_SOURCE[key], f"source {number}'s {key}", path, line)
        if not re.match(r"^https?://", texts["url"]):
            raise LessonFileError(path, line, f"source {number}: url must start with http(s)://")
        sources.append(SourceData(texts["title"], texts["url"], texts["note"]))
    return sources


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
    for heading, line, lines in _sections(body, first_line, path):
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
            raise LessonFileError(path, None, f"missing section '## {required.capitalize()}'")
    if not version.steps:
        raise LessonFileError(path, None, "a lesson needs at least one '## Step: <heading>'")


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
    from ..rendering import UnknownLanguage, check_language  # rendering imports this module

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
            if line.strip() and not line.startswith("  "):
                raise LessonFileError(
                    path,
                    number,
                    "text after the choices must be an explanation indented by two spaces",
                )
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


def dump_question(question: QuestionData) -> str:
    parts = [question.prompt, ""]
    for choice in question.choices:
        mark = "x" if choice.is_correct else " "
        parts.append(f"- [{mark}] {choice.text}\n{_indent(choice.explanation)}")
    return "\n".join(parts) + "\n"


# --- writing ---------------------------------------------------------------------------------


def _indent(text: str) -> str:
    return "\n".join(("  " + line) if line else "" for line in lines_of(text))


def dump_climb(climb: ClimbData) -> str:
    if climb.language != "en":
        meta = {"slug": climb.slug, "language": climb.language, "title": climb.title}
    else:
        meta = {"slug": climb.slug, "title": climb.title, "order": climb.order}
    return _front_matter(meta) + (climb.description.strip() + "\n" if climb.description else "")


PLAIN_SCALAR = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.()/+-]*$")
YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def _scalar(value) -> str:
    """A YAML scalar written the way an author would: plain when safe, else double-quoted.

    A JSON string is a valid YAML double-quoted scalar, and never folds across lines.
    """
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if PLAIN_SCALAR.match(text) and text.lower() not in YAML_WORDS and not text.endswith(" "):
        return text
    if re.fullmatch(r"https?://[^\s#'\"]+", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _front_matter(meta: dict) -> str:
    lines = ["---"]
    for key, value in meta.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            for item in value:
                if not isinstance(item, dict):  # a list of texts (source_notes)
                    lines.append(f"  - {_scalar(item)}")
                    continue
                prefix = "  - "
                for item_key, item_value in item.items():
                    lines.append(f"{prefix}{item_key}: {_scalar(item_value)}")
                    prefix = "    "
        else:
            lines.append(f"{key}: {_scalar(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def dump_version(version: VersionData) -> str:
    """The canonical text of a tier version: parse(dump(v)) == v and dump is stable."""
    if version.language != "en":
        meta: dict = {
            "climb": version.climb,
            "piece": version.piece,
            "tier": version.tier,
            "language": version.language,
            "title": version.title,
            "crux": version.crux,
        }
    else:
        meta = {
            "climb": version.climb,
            "piece": version.piece,
            "order": version.order,
            "tier": version.tier,
            "title": version.title,
            "crux": version.crux,
            "minutes": version.minutes,
        }
    if version.status != "published":
        meta["status"] = version.status
    if version.source_notes:
        meta["source_notes"] = list(version.source_notes)
    if version.sources:
        meta["sources"] = [
            {"title": s.title, "url": s.url, **({"note": s.note} if s.note else {})}
            for s in version.sources
        ]
    parts = [_front_matter(meta)]
    parts.append(f"\n## Intro\n\n{version.intro}\n\n## Goal\n\n{version.goal}\n")
    for step in version.steps:
        parts.append(f"\n## Step: {step.heading}\n")
        if step.prose:
            parts.append(f"\n{step.prose}\n")
        if step.code:
            options = f" mark={step.marked_lines}" if step.marked_lines else ""
            # Longer than any run of backticks in the code, or a line of them closes it.
            longest = max((len(run) for run in re.findall(r"`+", step.code)), default=0)
            fence = "`" * max(3, longest + 1)
            parts.append(f"\n{fence}{step.language}{options}\n{step.code}\n{fence}\n")
        if step.prose_after:
            parts.append(f"\n{step.prose_after}\n")
        if step.question:
            parts.append(f"\n### Question\n\n{dump_question(step.question)}")
    parts.append(f"\n## Recap\n\n{version.recap}\n")
    return "".join(parts)


def lesson_files(path: str | Path) -> list[Path]:
    """The lesson files a path names: a file, or every .md below a folder but READMEs.

    In a folder, only regular files, and none hidden or in a hidden folder: an editor's lock
    file (Emacs' '.#30-leases.md', a link to nowhere), a backup ('.old.md'), a folder named
    'old.md' or a '.git' inside crashed the checker and the import, or made a duplicate."""
    path = Path(path)
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*.md")
            if p.name.lower() != "readme.md"
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and p.is_file()
        )
    if path.is_file():
        return [path]
    raise LessonFileError(path, None, "no such file or folder")


# The demo's longest file, Russian, is 29 KiB: a piece this long is a book, and a page this big
# would be slow for every reader (an 18 MB file imported in 38 s, for a 27 MB page).
MAX_FILE_BYTES = 512 * 1024


def parse_file(path: Path) -> ClimbData | VersionData:
    """One file read and parsed: a climb's (climb.md, climb.ru.md) or a tier version's."""
    with path.open("rb") as file:  # no more than that: a stray 2 GB log is not read whole
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        size = max(path.stat().st_size, len(data))
        raise LessonFileError(
            path,
            None,
            f"the file is {size // 1024} KiB, and a lesson file may be at most "
            f"{MAX_FILE_BYTES // 1024} KiB: shorten its snippets to what the question needs, "
            "or split the piece",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LessonFileError(
            path,
            line,
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} here): save it as UTF-8",
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as universal newlines read it
    if path.name.startswith("climb."):
        return parse_climb(text, path)
    return parse_version(text, path)


def translatable_parts(version: VersionData) -> Iterator[tuple[tuple, str, str, int | None]]:
    """(key, what, text, line) of each part of a version that a translation may leave
    marked as not translated yet (lessonfile.UNTRANSLATED): the key pairs a translation's
    part with its original's."""
    yield ("crux",), "the crux", version.crux, version.line("crux")
    for name in ("intro", "goal", "recap"):
        yield (name,), f"the {name}", getattr(version, name), version.line(f"## {name}")
    for number, step in enumerate(version.steps, start=1):
        yield ("heading", number), f"step {number}'s heading", step.heading, step.line
        question = step.question
        if question is None:
            continue
        yield ("prompt", number), f"step {number}'s question", question.prompt, question.line
        for index, choice in enumerate(question.choices, start=1):
            where = f"step {number}'s choice {index}"
            yield ("choice", number, index), where, choice.text, choice.line
            line = choice.line + 1 if choice.line else None
            where = f"the explanation of {where}"
            yield ("explanation", number, index), where, choice.explanation, line


def untranslated_lines(translation: VersionData) -> list[int | None]:
    """The line of each part a translation marks as not translated yet."""
    return [
        line
        for _key, _what, text, line in translatable_parts(translation)
        if text.startswith(UNTRANSLATED)
    ]


def mark_problem(
    originals: list[VersionData], translation: VersionData
) -> tuple[int | None, str] | None:
    """(line, why) of the first part of `translation` that keeps the mark over a text that
    is not its English in any of `originals` (see `misused_mark`), or None."""
    english: dict[tuple, list[str]] = {}
    for original in originals:
        for key, _what, text, _line in translatable_parts(original):
            english.setdefault(key, []).append(text)
    for key, what, text, line in translatable_parts(translation):
        if misused_mark(text, english.get(key, ())):
            return line, MISUSED_MARK.format(where=what)
    return None


def translation_problem(
    original: VersionData, translation: VersionData, earlier: VersionData | None = None
) -> tuple[int | None, str] | None:
    """(line, why) where a translation does not have its original's shape, or None.

    The same steps, questions and choices with the same one right (so that every answer
    means the same in both languages), a translated snippet with as many lines (so that
    the marked lines still point right), one note per source, and no translated text left
    marked as not translated (`misused_mark`; against `earlier` too, the original as stored
    before an import). Used by the importer against the stored original, and by the
    checker against the original's file."""
    notes = translation.source_notes
    if notes and len(notes) != len(original.sources):
        return translation.line("source_notes"), (
            f"the translation has {len(notes)} source notes, the original has "
            f'{len(original.sources)} sources: one note per source, in order ("" for none)'
        )
    if len(translation.steps) != len(original.steps):
        headings = ", ".join(repr(step.heading) for step in original.steps)
        # Where they part: the first step past the original's, or the end of the file.
        extra = translation.steps[len(original.steps) :]
        return extra[0].line if extra else None, (
            f"the translation has {len(translation.steps)} steps, the original has "
            f"{len(original.steps)}: {headings}"
        )
    pairs = zip(original.steps, translation.steps, strict=True)
    for number, (step, mine) in enumerate(pairs, start=1):
        where = f"step {number} ({mine.heading!r})"
        lines = len(lines_of(step.code))
        if mine.code and len(lines_of(mine.code)) != lines:
            return mine.line, (
                f"{where}: a translated snippet must keep the original's {lines} lines, so "
                "the marked lines still point right"
            )
        if step.question is not None and mine.question is None:
            return mine.line, (
                f"{where}: the original asks a question here and the translation has no "
                "'### Question': translate it, with its choices in the same order"
            )
        if step.question is None and mine.question is not None:
            return mine.question.line, (
                f"{where}: the translation asks a question the original does not: take it "
                "out, or add it to the original first"
            )
        if step.question is not None and [c.is_correct for c in step.question.choices] != [
            c.is_correct for c in mine.question.choices
        ]:
            return mine.question.line, (
                f"{where}: the translation needs the original's {len(step.question.choices)} "
                "choices in the same order, with the same one marked correct"
            )
    return mark_problem([original] + ([earlier] if earlier else []), translation)


def check_together(
    climbs: list[ClimbData], versions: list[VersionData], known_climbs: set[str] | None = None
) -> None:
    """Problems no single file shows: duplicates, a piece's disagreeing orders, a climb with
    no climb.md (among `known_climbs`, when given: the importer adds the stored ones)."""
    climb_paths: dict[str, str] = {}
    for climb in climbs:
        if climb.language != "en":
            continue
        if climb.slug in climb_paths:
            raise LessonFileError(
                climb.path,
                None,
                f"duplicate climb slug {climb.slug!r} (also in {climb_paths[climb.slug]})",
            )
        climb_paths[climb.slug] = climb.path
    seen: dict[tuple[str, str, str], str] = {}
    orders: dict[tuple[str, str], tuple[int, str]] = {}
    folders = {Path(climb.path).parent: climb for climb in climbs if climb.language == "en"}
    for version in versions:
        # A climb folder's files are that climb's (the README's layout): a slug copied from
        # another climb, or mistyped, passed the checker and failed the import, or put the
        # piece in another climb.
        folder = folders.get(Path(version.path).parent)
        if folder is not None and version.climb != folder.slug:
            raise LessonFileError(
                version.path,
                version.line("climb"),
                f"climb {version.climb!r} is not this folder's: its climb.md has slug "
                f"{folder.slug!r}; write 'climb: {folder.slug}'",
            )
        if version.language != "en":
            key = (version.climb, version.piece, f"{version.tier}.{version.language}")
            if key in seen:
                raise LessonFileError(
                    version.path,
                    version.line("piece"),
                    f"duplicate translation: also in {seen[key]}",
                )
            seen[key] = version.path
            continue
        if known_climbs is not None and version.climb not in known_climbs | set(climb_paths):
            raise LessonFileError(
                version.path,
                version.line("climb"),
                f"unknown climb {version.climb!r}: add its climb.md",
            )
        key = (version.climb, version.piece, version.tier)
        if key in seen:
            raise LessonFileError(
                version.path,
                version.line("piece"),
                f"duplicate slug: piece {version.piece!r} at tier {version.tier} "
                f"is also in {seen[key]}",
            )
        seen[key] = version.path
        piece_key = (version.climb, version.piece)
        if piece_key in orders and orders[piece_key][0] != version.order:
            other_order, other_path = orders[piece_key]
            raise LessonFileError(
                version.path,
                version.line("order"),
                f"piece {version.piece!r} has order {version.order} here "
                f"but {other_order} in {other_path}",
            )
        orders.setdefault(piece_key, (version.order, version.path))


def translation_problems(versions: list[VersionData]) -> list[str]:
    """Each translation among `versions` checked against its original's file, when that is
    among them too (the checker's way: the importer checks against the stored original,
    which also tells a reorder of the original's steps from a translation out of shape)."""
    originals = {(v.climb, v.piece, v.tier): v for v in versions if v.language == "en"}
    problems = []
    for version in versions:
        original = originals.get((version.climb, version.piece, version.tier))
        if version.language != "en" and original is not None:
            problem = translation_problem(original, version)
            if problem:
                problems.append(str(LessonFileError(version.path, *problem)))
    return problems


def main(argv: list[str]) -> int:
    """`python -m lessons.lessonfile PATH...`: check lesson files, or the lesson files in a
    folder, without a database, each on its own and then together (duplicates, orders, each
    translation against its original's file when it is among them). One line per problem;
    exit status 1 if there was any."""
    if not settings.configured:
        # Run as a script, outside the site: messages in English, no project settings.
        settings.configure(USE_I18N=False)
    problems: list[str] = []
    files: list[Path] = []
    for name in argv:
        try:
            files.extend(lesson_files(name))
        except LessonFileError as exc:
            problems.append(str(exc))
    parsed = []
    for path in files:
        try:
            parsed.append(parse_file(path))
        except LessonFileError as exc:
            problems.append(str(exc))
    if not problems:  # what the files say together, as the importer checks it
        versions = [p for p in parsed if isinstance(p, VersionData)]
        try:
            check_together([p for p in parsed if isinstance(p, ClimbData)], versions)
        except LessonFileError as exc:
            problems.append(str(exc))
        problems += translation_problems(versions)
    for problem in problems:
        print(problem)
    if not argv:
        print("usage: python -m lessons.lessonfile PATH...")
        return 2
    if problems:
        return 1
    warnings = slip_warnings([p for p in parsed if isinstance(p, VersionData)])
    for version in parsed:
        # Legitimate (an export writes them for what the English added), but a translator
        # checking their work wants them listed.
        translation = isinstance(version, VersionData) and version.language != "en"
        marked = untranslated_lines(version) if translation else []
        if marked:
            where = f"{version.path}:{marked[0]}" if marked[0] else version.path
            parts = "part" if len(marked) == 1 else "parts"
            warnings.append(
                f"{where}: {len(marked)} {parts} not translated yet (marked {UNTRANSLATED})"
            )
    for warning in warnings:
        print(warning)
    print(
        f"ok: {len(files)} file{'' if len(files) == 1 else 's'}"
        + (f", {len(warnings)} warning{'' if len(warnings) == 1 else 's'}" if warnings else "")
    )
    return 0
