"""Author content is untrusted for the browser: no payload survives into stored HTML or a page.

Every Markdown field of a piece gets the same payload; then the stored `*_html` columns are
checked against the sanitiser's allow-list, and every page that shows them (home, the climb,
the piece before and after answering, the answer fragment) is checked for anything dangerous
that the same page built from harmless content does not have (the templates themselves bring
a script, a form, inputs, meta and link tags).
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import markdown
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from lessons.lessonfile import LessonFileError, parse_version
from lessons.models import Choice, Question, Source
from lessons.rendering import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_CLASSES,
    ALLOWED_TAGS,
    MARKDOWN_EXTENSIONS,
    URL_SCHEMES,
    UnknownLanguage,
)

from .factories import make_climb, make_piece, make_source, make_step, make_version

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
B64_SCRIPT = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "script-src-uppercase": "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "script-unclosed": "<script>alert(1)",
    "script-in-attribute-breakout": '"><script>alert(1)</script>',
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-quoted": '<img src="x" onerror="alert(1)">',
    "img-unclosed": "<img src=x onerror=alert(1)//",
    "img-data-svg": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-use-href": f'<svg><use href="data:image/svg+xml;base64,{B64_SCRIPT}#x"></use></svg>',
    "svg-a-xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="javascript:alert(1)">',
    "math-href": '<math href="javascript:alert(1)">click</math>',
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "md-link-javascript": "[x](javascript:alert(1))",
    "md-link-mixed-case": "[x](JaVaScRiPt:alert(1))",
    "md-link-tab-entity": "[x](java&#x09;script:alert(1))",
    "md-link-data": f"[x](data:text/html;base64,{B64_SCRIPT})",
    "md-link-vbscript": "[x](vbscript:msgbox(1))",
    "md-link-title-breakout": '[x](https://example.com" onclick="alert(1))',
    "md-autolink-javascript": "<javascript:alert(1)>",
    "md-autolink-vbscript": "<vbscript:msgbox(1)>",
    "md-reference-javascript": "See [x][evil].\n\n[evil]: javascript:alert(1)",
    "md-reference-data": "See [x][evil].\n\n[evil]: data:text/html,<script>alert(1)</script>",
    "md-image-javascript": "![x](javascript:alert(1))",
    "md-image-onerror": '![x](https://example.com/x.png" onerror="alert(1))',
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-javascript-entities": (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>'
    ),
    "a-javascript-colon-entity": '<a href="javascript&colon;alert(1)">x</a>',
    "a-javascript-whitespace": '<a href=" &#14; jav&#x0A;ascript:alert(1)">x</a>',
    "a-data": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "a-mailto-onclick": '<a href="mailto:x@example.com" onclick="alert(1)">m</a>',
    "span-onclick": '<span onclick="alert(1)">x</span>',
    "code-onmouseover": '<code onmouseover="alert(1)">x</code>',
    "div-class-onmouseover": '<div class="x" onmouseover="alert(1)">x</div>',
    "b-onclick-beside-markdown": "`code` and <b onclick=alert(1)>bold</b>",
    "unknown-tag-event": "<xss onafterscriptexecute=alert(1)><script>1</script>",
    "style-attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "style-attribute-span": '<span style="position:fixed;top:0;left:0">x</span>',
    "style-element": "<style>body{display:none}</style>",
    "td-background": '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    "form-action": '<form action="https://evil.example"><input name=p></form>',
    "input-autofocus-onfocus": "<input autofocus onfocus=alert(1)>",
    "button-formaction": '<button formaction="javascript:alert(1)">x</button>',
    "isindex": "<isindex type=image src=1 onerror=alert(1)>",
    "details-ontoggle": "<details open ontoggle=alert(1)>",
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base-href": '<base href="https://evil.example/">',
    "link-stylesheet": '<link rel=stylesheet href="https://evil.example/x.css">',
    "conditional-comment": "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "comment-breakout": "<!-- --><script>alert(1)</script> -->",
    "entity-encoded-script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "fenced-code-with-html": "```html\n<script>alert(1)</script>\n```",
}

# What must never come from author content. The raw-text check catches a tag even where a
# parser would read it differently; the attribute checks read values as a browser does
# (entities decoded, control characters and spaces ignored before the scheme).
FORBIDDEN_TAG_RE = re.compile(
    r"<\s*(script|iframe|object|embed|svg|math|style|form|input|button|meta|base|link|img)\b",
    re.I,
)
BAD_SCHEME_RE = re.compile(r"^(javascript|vbscript|data):")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))


def tags_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def dangers(html: str) -> Counter:
    """Everything dangerous in `html`, counted: forbidden tags, events, styles, bad schemes."""
    found: Counter = Counter()
    for match in FORBIDDEN_TAG_RE.finditer(html):
        found[f"<{match.group(1).lower()}"] += 1
    found["<!--"] += html.count("<!--")
    for tag, attrs in tags_of(html):
        for name, value in attrs:
            if re.fullmatch(r"on\w+", name) or name in ("style", "srcdoc", "formaction"):
                found[f"<{tag} {name}=>"] += 1
            scheme = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if BAD_SCHEME_RE.match(scheme):
                found[f"<{tag} {name}={scheme.split(':')[0]}:>"] += 1
            elif name in URL_ATTRIBUTES and tag not in ("a", "link", "script", "form"):
                found[f"<{tag} {name}=url>"] += 1
    return +found  # drop the zero counts


def assert_sanitised(html: str, where: str) -> None:
    assert not dangers(html), (where, dangers(html), html)
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, (where, tag, html)
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        if tag in ALLOWED_CLASSES:
            allowed = allowed | {"class"}
        for name, value in attrs:
            assert name in allowed, (where, tag, name, html)
            if name == "class":  # only the code blocks' own classes, never the site's
                assert set((value or "").split()) <= ALLOWED_CLASSES[tag], (where, value)
            scheme = re.match(r"^([a-zA-Z][\w+.-]*):", value or "")
            assert scheme is None or scheme.group(1).lower() in URL_SCHEMES, (where, value)


# --- one piece, every field carrying the payload ---------------------------------------------


def build_piece(payload: str):
    """A published piece whose every author-written field is `payload`. Returns the version."""
    climb = make_climb(title=payload[:200], description=payload)
    version = make_version(
        make_piece(climb),
        title=payload[:200],
        crux=payload[:300],
        intro=payload,
        goal=payload,
        recap=payload,
    )
    step = make_step(
        version, question=False, heading=payload[:200], prose=payload, prose_after=payload
    )
    question = Question.objects.create(step=step, prompt=payload)
    for position in range(3):
        Choice.objects.create(
            question=question,
            position=position,
            text=payload[:500],
            is_correct=position == 1,
            explanation=payload,
        )
    make_source(version, title=payload[:300], note=payload[:300])
    return version


def stored_html(version) -> dict[str, str]:
    step = version.steps.get()
    question = step.question
    fields = {
        "climb.description_html": version.piece.climb.description_html,
        "version.intro_html": version.intro_html,
        "version.goal_html": version.goal_html,
        "version.recap_html": version.recap_html,
        "step.prose_html": step.prose_html,
        "step.prose_after_html": step.prose_after_html,
        "question.prompt_html": question.prompt_html,
    }
    for choice in question.choices.all():
        fields[f"choice{choice.position}.text_html"] = choice.text_html
        fields[f"choice{choice.position}.explanation_html"] = choice.explanation_html
    return fields


def read_pages(version) -> dict[str, str]:
    """Every page showing the piece's content, as a new visitor who answers right sees them."""
    client = Client()
    question = Question.objects.get(step__version=version)
    pages = {
        "home": client.get("/"),
        "climb": client.get(version.piece.climb.get_absolute_url()),
        "piece": client.get(version.get_absolute_url()),
        "answer fragment": client.post(
            "/answer/",
            {
                "question": question.pk,
                "choice": question.choices.get(is_correct=True).pk,
                "attempt": 1,
            },
            headers=HTMX,
        ),
        "piece answered": client.get(version.get_absolute_url()),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    return {name: response.content.decode() for name, response in pages.items()}


_baseline: dict[str, Counter] = {}


def baseline_dangers() -> dict[str, Counter]:
    """What the templates themselves bring to each page (scripts, forms, meta, link tags)."""
    if not _baseline:
        pages = read_pages(build_piece("Plain *text*, a [link](https://example.com) and `code`."))
        _baseline.update({name: dangers(html) for name, html in pages.items()})
    return _baseline


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_no_payload_survives_in_stored_html_or_on_any_page(payload):
    expected = baseline_dangers()
    version = build_piece(payload)
    stored = stored_html(version)
    for field, html in stored.items():
        assert_sanitised(html, field)

    pages = read_pages(version)
    assert "<html" not in pages["answer fragment"]
    # The fragment and the answered page do show the explanations and the recap.
    assert stored["choice1.explanation_html"] in pages["answer fragment"]
    assert stored["version.recap_html"] in pages["piece answered"]
    for name, html in pages.items():
        extra = dangers(html) - expected[name]
        assert not extra, (name, extra)


# Payloads that are harmless once Markdown has escaped them, or that only a sanitiser bug (not
# Markdown) would turn into a tag: the checks cannot tell them from text before sanitising.
HARMLESS_BEFORE_SANITISING = {
    "entity-encoded-script",
    "fenced-code-with-html",
    "md-autolink-javascript",
    "md-autolink-vbscript",
    "md-link-title-breakout",
    "img-unclosed",  # Markdown escapes it: "&lt;img src=x onerror=..." is text
}


def test_the_checks_catch_every_payload_when_nothing_is_sanitised():
    # Guards the guard: without nh3, the same checks must fail on (nearly) the whole corpus.
    caught = {
        name
        for name, payload in PAYLOADS.items()
        if dangers(markdown.markdown(payload, extensions=MARKDOWN_EXTENSIONS))
    }
    assert len(PAYLOADS) >= 30
    assert set(PAYLOADS) - caught == HARMLESS_BEFORE_SANITISING


def test_the_baseline_pages_do_carry_the_template_tags_we_subtract():
    # If the templates lost these, the subtraction above would hide nothing; keep it honest.
    expected = baseline_dangers()
    assert expected["piece"]["<script"] >= 1 and expected["piece"]["<form"] >= 1
    assert not any(key.endswith("=>") for page in expected.values() for key in page)


# --- snippets and sources --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["text", "html", "go", "log"])
def test_html_in_a_snippet_is_shown_as_text(language):
    version = make_version()
    code = '<script>alert(1)</script>\n<img src=x onerror="alert(1)">\n<a href="javascript:x">'
    step = make_step(version, question=False, language=language, code=code, marked_lines="1")
    assert "<script" not in step.code_html.lower()
    assert "<img" not in step.code_html.lower()
    assert "<a " not in step.code_html
    assert not dangers(step.code_html)
    if language == "text":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in step.code_html
    response = Client().get(version.get_absolute_url())
    assert step.code_html in response.content.decode()


def test_a_language_name_with_html_is_refused():
    step = make_step(make_version(), question=False, language="text", code="x")
    step.language = '"><script>alert(1)</script>'
    with pytest.raises(ValidationError) as refused:
        step.full_clean()
    assert "language" in refused.value.message_dict
    with pytest.raises(UnknownLanguage):
        step.save()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "vbscript:msgbox(1)",
        f"data:text/html;base64,{B64_SCRIPT}",
        "//evil.example/x",
    ],
)
def test_the_database_refuses_a_source_that_is_not_a_web_address(url):
    version = make_version()
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(version=version, title="Evil", url=url)
    assert not Source.objects.exists()


LESSON = """---
climb: ds
piece: leases
order: 1
tier: junior
title: "Leases and TTLs"
crux: "A lease is a lock with an expiry date."
minutes: 8
sources:
  - title: "Evil"
    url: {url}
---

## Intro

A lease.

## Goal

Renew it.

## Step: Read

Read this.

## Recap

Expiry is the point.
"""


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "'JAVASCRIPT:alert(1)'",
        "vbscript:msgbox(1)",
        "'data:text/html,<script>alert(1)</script>'",
    ],
)
def test_the_importer_refuses_a_source_that_is_not_a_web_address(url):
    with pytest.raises(LessonFileError, match=r"url must start with http\(s\)://"):
        parse_version(LESSON.format(url=url), "10-leases.junior.md")


def test_the_importer_keeps_a_web_address():
    version = parse_version(LESSON.format(url="https://example.com/x"), "10-leases.junior.md")
    assert version.sources[0].url == "https://example.com/x"


def test_author_html_cannot_wear_the_site_s_classes():
    """Any class was kept on div and span: author text could hide itself as visually-hidden
    or pass for a verdict or a toast."""
    from lessons.rendering import render_markdown

    html = render_markdown(
        '<div class="visually-hidden toast highlight">x</div> <span class="verdict k">y</span>'
    )
    assert "visually-hidden" not in html and "toast" not in html and "verdict" not in html
    assert 'class="highlight"' in html and 'class="k"' in html
    table = render_markdown("| a | b |\n|:-|-:|\n| 1 | 2 |")
    assert '<td align="right">2</td>' in table  # kept, where style= would be dropped
