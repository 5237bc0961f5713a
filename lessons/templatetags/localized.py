"""Template helpers for author content shown in another language than it was written in."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from lessons.search_text import plain_text

register = template.Library()

FALLBACK = mark_safe(' lang="en"')


@register.filter
def fallback_lang(obj) -> SafeString:
    """` lang="en"` on an element whose text is the English original shown in place of a
    translation the object does not have (`TranslatedMixin.translated`), so that a screen
    reader reads it with an English voice; "" where the text is in the page's language.

    On the element holding the text only: the interface strings around it are translated."""
    return FALLBACK if not obj.translated else mark_safe("")


@register.filter
def local_title(obj) -> SafeString:
    """The title in the reader's language, for a sentence that holds it ("in {{ climb }}"):
    an English original standing in is wrapped in <span lang="en">, as fallback_lang marks
    an element of its own."""
    if obj.translated:
        return conditional_escape(obj.local.title)
    return format_html('<span lang="en">{}</span>', obj.local.title)


@register.filter
def plain(markdown: str) -> str:
    """Author Markdown as plain text, for a one-line excerpt: links keep their text, the
    markup goes, and the template escapes the rest once (stripping the tags of the rendered
    HTML left its entities, escaped a second time: `a &lt; b` read "a &amp;lt; b")."""
    return plain_text(markdown)
