"""Markdown is sanitised, snippets are highlighted with classes, and the log lexer marks logs."""

from __future__ import annotations

import pytest
from pygments.token import Generic, Name, Number, Operator, Text

from lessons.loglexer import LogLexer
from lessons.rendering import (
    UnknownLanguage,
    highlight_snippet,
    render_inline_markdown,
    render_markdown,
)


def test_markdown_renders_emphasis_code_and_lists():
    html = render_markdown("Some *emphasis* and `code`.\n\n- one\n- two")
    assert "<em>emphasis</em>" in html
    assert "<code>code</code>" in html
    assert "<li>one</li>" in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<svg onload="alert(1)"><circle/></svg>',
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_markdown_never_lets_script_through(payload):
    html = render_markdown(payload).lower()
    for forbidden in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "data:",
        "<iframe",
        "<svg",
        "style=",
    ):
        assert forbidden not in html


def test_links_keep_http_urls_and_get_a_safe_rel():
    html = render_markdown("[DDIA](https://dataintensive.net/)")
    assert 'href="https://dataintensive.net/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_fenced_code_in_prose_is_highlighted_with_classes_not_styles():
    html = render_markdown("```python\nprint('hi')\n```")
    assert 'class="highlight"' in html
    assert "style=" not in html


def test_inline_markdown_drops_the_paragraph():
    assert render_inline_markdown("Shorten the `TTL`") == "Shorten the <code>TTL</code>"


def test_snippet_has_one_element_per_line_and_marks_lines():
    html = highlight_snippet("a = 1\nb = 2\nc = 3", "python", "2-3")
    assert html.count('<span class="line">') == 1
    assert html.count('<span class="line marked">') == 2
    assert "style=" not in html
    assert 'data-lang="python"' in html


def test_snippet_keeps_blank_lines_inside_the_code():
    html = highlight_snippet("a = 1\n\nb = 2", "python")
    assert html.count('class="line') == 3


def test_unknown_language_is_refused():
    with pytest.raises(UnknownLanguage, match="cobolx"):
        highlight_snippet("x", "cobolx")


def test_log_lexer_marks_timestamp_actor_pairs_and_verdicts():
    line = "12:00:18.204  writer-a  put(result.csv, token=33) -> REJECTED (highest=34)\n"
    tokens = [(t, v) for t, v in LogLexer().get_tokens(line) if v.strip()]
    assert (Number.Integer, "12:00:18.204") in tokens
    assert (Name.Class, "writer-a") in tokens
    assert (Name.Attribute, "token") in tokens
    assert (Generic.Error, "REJECTED") in tokens


def test_log_lexer_handles_iso_timestamps_and_levels():
    line = "2026-03-02T10:15:00Z WARN coord lease L7 expired\n"
    tokens = [(t, v) for t, v in LogLexer().get_tokens(line) if v.strip()]
    assert tokens[0] == (Number.Integer, "2026-03-02T10:15:00Z")
    assert (Name.Class, "coord") in tokens
    assert (Generic.Error, "expired") in tokens


def test_log_lexer_keeps_hyphenated_names_whole():
    """The author's audit: "k-91" and "app-1" were split, their digits shown as numbers."""
    line = "12:00:01  coord  lease k-91 held by app-1 for 5ms (node-b-2 -> db-a)\n"
    tokens = [(t, v) for t, v in LogLexer().get_tokens(line) if v.strip()]
    for name in ("k-91", "app-1", "node-b-2", "db-a"):
        assert (Text, name) in tokens, tokens
    assert (Number, "5ms") in tokens and (Operator, "->") in tokens
    assert not any(t in Number and v in ("91", "1", "2") for t, v in tokens)


def test_log_snippet_renders_through_the_log_lexer():
    html = highlight_snippet("12:00:11  coord  node-b won (term=8)", "log")
    assert '<span class="nc">coord</span>' in html
    assert '<span class="gi">won</span>' in html


def test_a_number_keeps_its_unit_and_a_dash_its_line_but_code_is_left_alone():
    from lessons.rendering import render_markdown

    html = render_markdown(
        "Таймаут — 3 с, 20 %; wait 10 s, `sleep 5 s` — or 2 seconds.\n\n    x — 5 s"
    )
    nbsp = "\u00a0"
    assert (
        f"Таймаут{nbsp}— 3{nbsp}с, 20{nbsp}%; wait 10{nbsp}s, <code>sleep 5 s</code>{nbsp}—" in html
    )
    assert "or 2 seconds." in html  # a word, not a unit
    formula = render_markdown("At t = 4 s the clock reads T0 − 22, so t ≈ 51.")
    assert f"t{nbsp}={nbsp}4{nbsp}s" in formula and f"T0{nbsp}−{nbsp}22" in formula
    assert f"t{nbsp}≈{nbsp}51" in formula
    assert "x — 5 s" in html  # the code block as typed


@pytest.mark.django_db
def test_stored_html_is_made_again_when_the_renderer_changes(django_assert_num_queries):
    """Content is rendered once, on save; a renderer change reached only what was edited
    after it. The first migrate after one renders everything again (post_migrate)."""
    from lessons.models import ContentGeneration, TierVersion, content_generation
    from lessons.rendering import RENDERER_VERSION
    from lessons.rerender import rerender_stale

    from .factories import make_version

    version = make_version(intro="Wait 10 s — then retry.", steps=1)
    TierVersion.objects.filter(pk=version.pk).update(intro_html="<p>old</p>")
    ContentGeneration.objects.update_or_create(
        pk=1, defaults={"rendered_with": RENDERER_VERSION - 1}
    )
    before = content_generation()
    assert rerender_stale() >= 2  # the version, its step, question and choices
    version.refresh_from_db()
    assert version.intro_html == "<p>Wait 10\u00a0s\u00a0— then retry.</p>"
    assert version.steps.get().code_html  # snippets too
    assert ContentGeneration.objects.get().rendered_with == RENDERER_VERSION
    assert content_generation() > before  # no cached page keeps the old HTML
    with django_assert_num_queries(1):
        assert rerender_stale() == 0  # current: one query, nothing else


def test_the_highlighting_stylesheet_is_the_one_the_renderer_makes():
    """static/css/pygments.css is generated: a Pygments upgrade that renames a class, or an
    edit by hand, shows here rather than as unstyled snippets."""
    from pathlib import Path

    from lessons.rendering import pygments_css

    stylesheet = Path(__file__).resolve().parent.parent / "static" / "css" / "pygments.css"
    assert stylesheet.read_text() == pygments_css()
