"""Turn authored text into the HTML we store: Markdown (sanitised) and highlighted snippets.

Called when content is saved or imported, never while a page is served. Author content is
untrusted for the browser: whatever Markdown produces passes through nh3 with a short list
of tags and attributes, and only http(s) and mailto links survive.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import lru_cache
from html import escape
from html.parser import HTMLParser

import markdown
import nh3
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from .lessonfile import parse_marked_lines
from .loglexer import LogLexer

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
# Only the classes Markdown's code blocks are drawn with: a highlighted block and Pygments'
# token classes. Any class at all let author text wear the site's own (visually-hidden text,
# a toast, a verdict), which nothing else in the page could tell apart.
ALLOWED_CLASSES = {
    "div": {"highlight"},
    "span": {"hll", *(name for name in STANDARD_TYPES.values() if name)},
}
URL_SCHEMES = {"http", "https", "mailto"}

MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "codehilite", "smarty"]
MARKDOWN_CONFIG = {
    # CSS classes, never inline styles: the Pygments stylesheet is a static file.
    "codehilite": {"css_class": "highlight", "guess_lang": False, "noclasses": False},
    "smarty": {"smart_quotes": False},
    # align="right", which the sanitiser keeps, not style="text-align: right", which it drops.
    "tables": {"use_align_attribute": True},
}


# What the stored HTML was made by. Raise it whenever a change here changes the HTML of
# content already stored: the next `migrate` re-renders everything (lessons.rerender).
# 2: non-breaking spaces between a number and its unit, and before a spaced dash.
# 3: and around the signs of a short formula ("t = 4 s", "T0 − 22", "t ≈ 51").
# 4: the log lexer keeps a hyphenated name ("k-91") whole.
RENDERER_VERSION = 4

# Units a number is never parted from at a line break ("10 | s" read as two things).
_UNITS = (
    "s|ms|µs|us|ns|min|h|d|B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|ppm|%|"
    "с|мс|мкс|нс|мин|ч|сут|дн|Б|КБ|МБ|ГБ|ТБ"
)
_NUMBER_UNIT_RE = re.compile(rf"(\d) (?=(?:{_UNITS})(?!\w))")
# "A — B": the dash stays at the end of its line, never opens the next one.
_SPACED_DASH_RE = re.compile(r" (?=[—–] )")
# "t = 4 s" kept on one line: a sign between spaces holds on to both sides.
_FORMULA_SIGN_RE = re.compile(r" ([=≈≠≤≥−×]) ")
_TAG_RE = re.compile(r"(<[^>]*>)")
_VERBATIM_TAGS = {"code", "pre", "kbd"}
NBSP = "\u00a0"


class UnknownLanguage(ValueError):
    pass


def typeset(html: str) -> str:
    """Non-breaking spaces where a line break would mislead: between a number and its unit,
    around the sign of a short formula, and before a spaced dash. Text only: tags, and code
    (which shows what was typed), are left as they are."""
    pieces = _TAG_RE.split(html)
    verbatim = 0
    for index, piece in enumerate(pieces):
        if piece.startswith("<"):
            name = piece.strip("</>").split(None, 1)[0].lower() if piece.strip("</>") else ""
            if name in _VERBATIM_TAGS:
                verbatim += -1 if piece.startswith("</") else 1
        elif piece and not verbatim:
            piece = _NUMBER_UNIT_RE.sub(rf"\1{NBSP}", piece)
            piece = _FORMULA_SIGN_RE.sub(rf"{NBSP}\1{NBSP}", piece)
            pieces[index] = _SPACED_DASH_RE.sub(NBSP, piece)
    return "".join(pieces)


_converters = threading.local()  # a Markdown instance is not safe to share across threads


def _converter() -> markdown.Markdown:
    """This thread's Markdown converter, reset: building one (its extensions) costs about
    as much as converting a paragraph. The one Markdown step of rendering and of the
    lesson-file checks (sanitiser_losses), so both read a text alike."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = markdown.Markdown(
            extensions=MARKDOWN_EXTENSIONS,
            extension_configs=MARKDOWN_CONFIG,
            output_format="html",
        )
        _converters.markdown = converter
    return converter.reset()


def render_markdown(text: str) -> str:
    """Markdown to safe HTML. Headings start at h3 because the page owns h1 and h2."""
    if not text.strip():
        return ""
    return typeset(sanitise(_converter().convert(text)))


def render_inline_markdown(text: str) -> str:
    """A one-line Markdown text (a choice) without the wrapping paragraph."""
    html = render_markdown(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


class _StartTags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def sanitiser_losses(text: str) -> tuple[Counter[str], list[str]]:
    """(tags with how many of each, link addresses) that sanitising takes out of this
    Markdown's HTML: an image, raw HTML, a javascript: link. The page is safe either way;
    this is for telling the author that what they wrote will not show (lessonfile's markup
    warnings)."""
    html = _converter().convert(text)
    before, after = _StartTags(html).tags, _StartTags(sanitise(html)).tags
    lost = Counter(tag for tag, _ in before) - Counter(tag for tag, _ in after)
    kept = {attrs.get("href") for tag, attrs in after if tag == "a"}
    links = [
        href
        for tag, attrs in before
        if tag == "a" and (href := attrs.get("href")) and href not in kept
    ]
    return Counter(dict(sorted(lost.items()))), links


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


@lru_cache(maxsize=256)
def _lexer_class(language: str) -> type[Lexer]:
    if language == "log":
        return LogLexer
    try:
        return type(get_lexer_by_name(language))
    except ClassNotFound:
        raise UnknownLanguage(
            f"unknown snippet language {language!r}: use a Pygments lexer name such as "
            "go, python, sql, yaml, bash, json, text, or log"
        ) from None


def check_language(language: str) -> None:
    """Raise UnknownLanguage unless `language` names a lexer we can highlight with."""
    _lexer_class(language.strip().lower())


def highlight_snippet(code: str, language: str, marked_lines: str = "") -> str:
    """Highlighted, line-numbered HTML for one snippet, with the marked lines emphasised.

    Each line is its own element (`<span class="line">`): the stylesheet numbers lines with a
    CSS counter, so copying the code never copies the numbers.
    """
    lexer = _lexer_class(language.strip().lower())(stripnl=False, ensurenl=False)
    marked = set(parse_marked_lines(marked_lines))
    formatter = HtmlFormatter(nowrap=True)
    highlighted = highlight(code, lexer, formatter)
    lines = highlighted.split("\n")
    if lines and lines[-1] == "" and not code.endswith("\n\n"):
        lines.pop()
    out = []
    for number, line in enumerate(lines, start=1):
        css = "line marked" if number in marked else "line"
        out.append(f'<span class="{css}">{line}</span>')
    label = f' data-lang="{escape(language)}"' if language else ""
    return f'<pre class="highlight snippet"{label}><code>' + "\n".join(out) + "</code></pre>"


def pygments_css() -> str:
    """The stylesheet for our highlighting, light and dark (written to static/css/).

    Dark on screen only: printed, Monokai's pale tokens would be on white paper.
    """
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")
    dark = "\n".join("  " + line for line in dark.splitlines())
    return (
        "/* Generated by lessons.rendering.pygments_css(); do not edit by hand. */\n"
        f"{light}\n@media screen and (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
    )
