"""Markup slips: Markdown that will not show as the author meant it (bold or code that
nothing closes, what the sanitiser takes out). Warnings, not errors: the file still imports."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .data import VersionData
from .syntax import CHOICE_RE, _next_fence

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
            if CHOICE_RE.match(line):
                # A choice's text is rendered apart from its explanation (the indented lines
                # under it): a '**' in one never closes one in the other, though Markdown
                # would read the two as one list item.
                slips += _block_slips(block)
                block = []
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
