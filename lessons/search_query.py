"""Searching the full-text index (lessons.search_index): the published tier versions that
match a query, best first, each a `Hit` with its words marked and the page it links to.

  - SQLite: FTS5's MATCH, ranked with bm25() weighting title 10, crux 4, body 1, camelCase
    parts 0.5, after title points.
  - PostgreSQL: SearchQuery on the `document` tsvector, ranked with SearchRank, after the
    same title points.
  - Title points (search_text.title_tests): a piece whose title holds the query's words ranks
    first on both: bm25 floors the weight of a word in over half the rows at next to nothing.

A search first applies what is still pending in its own transaction (search_index's
flush_pending: read your writes).

A hit links to the step its snippet comes from (#step-N, as the piece page numbers its
steps; the one with the most of the query's words, where the snippet spans two), or to the
top of the page where the title and crux hold every word or the snippet is from the intro,
goal or recap. Each row keeps where each step's text starts in its `text`
(`steps`, not indexed), and the step is told in Python from the snippet's position: the row
is in hand already, so no query is added, and both databases answer alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import BooleanField, Case, F, FloatField, Value, When
from django.db.models.expressions import ExpressionWrapper, RawSQL
from django.utils import translation
from django.utils.safestring import SafeString

from . import search_body
from .models import CONTENT_LANGUAGES, Localized, Status, TierVersion
from .search_index import LANGUAGE_SLOTS, LANGUAGES, TABLE, SearchDocument, flush_pending
from .search_text import (
    Highlighter,
    Phrase,
    fts5_match,
    fts5_phrase,
    held_by,
    parse_query,
    title_points,
    title_tests,
    tsquery,
)

# FTS5 bm25() takes one weight per column, in table order (unindexed ones count for nothing).
BM25_WEIGHTS = {
    "version_id": 0,
    "language": 0,
    "title": 10,
    "crux": 4,
    "body": 1,
    "terms": 0.5,
    "text": 0,
    "steps": 0,
    "document": 0,
}
# PostgreSQL ts_rank() weights, in its order: D (parts), C (body), B (crux), A (title).
RANK_WEIGHTS = [0.05, 0.1, 0.4, 1.0]
# A result's score: its title points (search_text.title_tests) times this, plus its bm25 or
# ts_rank, which stay far below it: a title match always ranks above any number of others.
TITLE_POINTS = 10_000


@dataclass(frozen=True)
class Hit:
    """One search result: the version (piece and climb loaded) and its marked text."""

    version: TierVersion
    rank: float  # higher is better; only comparable within one search
    title_html: SafeString
    crux_html: SafeString
    snippet_html: SafeString  # where the words meet in the body; empty if only title/crux did
    # The lang attribute of the snippet, and of the title and crux, where their text is not
    # in the page's language ("en" for English standing in on the Russian site); else "".
    snippet_lang: str = ""
    title_lang: str = ""
    # The page the hit links to: in the language it was found in; at the step the snippet
    # is from (#step-N), unless the title and crux hold every word.
    url: str = ""
    step: int | None = None  # that step's number, from 1; None for the top of the page
    # The language whose text matched, where it is not the page's (search_both); else "".
    found_in: str = ""


def other_language(language: str) -> str:
    """The language whose rows search_both() also searches: English for a translation's
    site, the translation for the English one (Russian is the one translation for now)."""
    return LANGUAGES[1] if language == LANGUAGES[0] else LANGUAGES[0]


def search_both(query: str, language: str, limit: int = 50) -> list[Hit]:
    """search() in the site's language, then, where that found nothing (or, on a translated
    site, fewer than `limit`), in the other language's text: its hits after the site's, each
    version once (the site's hit first). At most two queries.

    The English site then finds a Russian word ("кворум"); the Russian site, the English terms
    of a translated piece ("clock skew"), whose English text its own rows no longer hold.
    """
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    hits = search(query, language, limit)
    if len(hits) >= limit or (hits and language == LANGUAGES[0]):
        return hits
    seen = {hit.version.pk for hit in hits}
    others = search(query, other_language(language), limit, site=language)
    return hits + [hit for hit in others if hit.version.pk not in seen][: limit - len(hits)]


def search(query: str, language: str, limit: int = 50, *, site: str | None = None) -> list[Hit]:
    """Published tier versions matching every word of `query`, best first, in one query.

    `language`'s text is searched, as its site shows it (English where a field is
    untranslated); `site` is the page's language, where that is another (search_both).
    """
    phrases = parse_query(query)
    if not phrases:
        return []
    flush_pending()
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    site = site or language
    documents = (
        _matching(phrases, language, limit)
        .select_related("version__piece__climb")
        .only(
            "title",
            "crux",
            "text",
            "steps",
            *(f"version__{name}" for name in ("tier", "status", "minutes", "title", "crux")),
            *(
                f"version__{name}_{lang}"
                for lang in CONTENT_LANGUAGES
                for name in ("title", "crux")
            ),
            "version__piece__slug",
            "version__piece__order",
            "version__piece__climb__slug",
            "version__piece__climb__order",
            "version__piece__climb__title",
            *(f"version__piece__climb__title_{lang}" for lang in CONTENT_LANGUAGES),
        )
        .order_by(
            "-score",
            "version__piece__climb__order",
            "version__piece__climb__title",
            "version__piece__order",
            "version__piece__slug",
            "version__tier",
        )[:limit]
    )
    # The title points chose these rows in the database (_matching); counted again here
    # from the indexed title, the same words the index matched, rather than asked of the
    # index a second time. A stable sort: equal scores keep the database's order.
    scored = [
        (title_points(phrases, document.title) * TITLE_POINTS + document.score, document)
        for document in documents
    ]
    scored.sort(key=lambda pair: -pair[0])
    highlighter = Highlighter(phrases)
    hits = []
    for score, document in scored:
        version = document.version
        local = Localized(version, language)
        matches = highlighter.snippet_matches(document.text)
        snippet = highlighter.snippet(document.text, matches=matches)
        # The title and crux holding every word found the piece itself: its top. Otherwise
        # the step the snippet shows, where the reader would scroll to find the words.
        step = (
            None
            if held_by(phrases, document.title, document.crux)
            else search_body.step_at(document.steps, matches)
        )
        # The language each text is in: a translation's, or the English standing in for it
        # (a translated version has its title; a snippet, that language's letters).
        title_in = language if getattr(version, f"title_{language}", "") else "en"
        snippet_in = language if language != "en" and _has_cyrillic(snippet) else "en"
        with translation.override(language):
            url = version.get_absolute_url() + (f"#step-{step}" if step else "")
        hits.append(
            Hit(
                version=version,
                rank=score,
                title_html=highlighter.mark(local.title),
                crux_html=highlighter.mark(local.crux),
                snippet_html=snippet,
                snippet_lang=snippet_in if snippet and snippet_in != site else "",
                title_lang=title_in if title_in != site else "",
                url=url,
                step=step,
                found_in=language if language != site else "",
            )
        )
    return hits


def _has_cyrillic(text: str) -> bool:
    """Whether `text` holds a Cyrillic letter: Russian is the one other language for now, and
    a snippet with none of its letters is the English text shown where there is no Russian."""
    return _CYRILLIC_RE.search(text) is not None


_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")


def _matching(phrases: list[Phrase], language: str, limit: int) -> models.QuerySet[SearchDocument]:
    """The best `limit` published documents matching every phrase, with `score` (higher is
    better; bm25 or ts_rank alone: search() adds the title points), still to be ordered.

    Chosen on title points first (search_text.title_tests), then on bm25 or ts_rank.

    Both databases first choose the best rows from the index alone, and only then read those
    rows and join their versions: carrying every match's columns (the body is long) and joins
    to the sort was most of the time. Measured at 1,000 pieces, for a word in most of them:
    SQLite 45 ms → 5 ms, PostgreSQL 17 ms → 10 ms (then 9 with the language partitions).
    """
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        matches, query = _postgresql_matches(phrases, (language,))
        rank = SearchRank(F("vector"), query, weights=RANK_WEIGHTS)
        # Read from the vector already in hand: no more index lookups.
        title = [
            Case(
                When(
                    vector=SearchQuery(
                        tsquery([phrase], weight="A"), config="simple", search_type="raw"
                    ),
                    then=Value(points * TITLE_POINTS),
                ),
                default=Value(0),
            )
            for points, phrase in title_tests(phrases)
        ]
        points = sum(title, start=Value(0))
        # alias(), not annotate(): the vector is matched and ranked, never sent back.
        best = matches.alias(score=points + rank).order_by("-score", "pk").values("pk")[:limit]
        return (
            SearchDocument.objects.alias(vector=_vector())
            .filter(pk__in=best, version__status=Status.PUBLISHED)
            .annotate(score=rank)
        )
    # FTS5 stores each row's columns together: even reading version_id or language costs a
    # read of the row, long body included. The best rows are chosen from what the index and
    # the rowid alone tell: the rowid holds the version and the language.
    match = fts5_match(phrases)
    where, where_params = _fts5_matches(phrases, (language,))
    # Every match is ranked: the published versions listed once (one read of the versions).
    published = TierVersion.objects.published().order_by().values("pk")
    published_sql, published_params = published.query.sql_with_params()
    where += f" AND rowid / {LANGUAGE_SLOTS} IN ({published_sql})"
    where_params += published_params
    weights = ", ".join(str(weight) for weight in BM25_WEIGHTS.values())
    # The title points: whether the title holds each phrase, asked of the index with a
    # column filter; each subquery is read once per statement, not per row.
    tests = title_tests(phrases)
    points = " + ".join(
        f"{count * TITLE_POINTS} * ({TABLE}.rowid IN"
        f" (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s))"
        for count, _phrase in tests
    )
    points_params = ["{title} : " + fts5_phrase(phrase) for _count, phrase in tests]
    bm25 = f"bm25({TABLE}, {weights})"
    best = (
        f"SELECT rowid FROM {TABLE} WHERE {where} ORDER BY {points} - {bm25} DESC, rowid LIMIT %s"
    )
    best_params = [*where_params, *points_params, limit]
    return SearchDocument.objects.filter(
        RawSQL(f"{TABLE} MATCH %s", [match], output_field=BooleanField()),
        # The unary + keeps FTS5 from taking the IN list as rowid lookups (a search of the
        # index per rowid): it reads the matches once and keeps the rows in the list.
        RawSQL(f"+{TABLE}.rowid IN ({best})", best_params, output_field=BooleanField()),
        version__status=Status.PUBLISHED,
    ).annotate(
        # bm25() is better when lower; negated to read like SearchRank. Not named "rank":
        # that is a hidden column of every FTS5 table.
        score=RawSQL(f"-{bm25}", [], output_field=FloatField())
    )


def one_match(phrases: list[Phrase], languages: tuple[str, ...]) -> tuple[str, list]:
    """SQL and its parameters selecting one published document in `languages` that matches
    every phrase, as search() matches them, if there is one: for an EXISTS."""
    if connection.vendor == "postgresql":
        matches, _query = _postgresql_matches(phrases, languages)
        return matches.values("pk")[:1].query.sql_with_params()
    where, params = _fts5_matches(phrases, languages)
    # The first matches' versions, each found by its key: listing every published version,
    # as _matching does, reads every version's long row (0.7 ms of 1 at 1,000 pieces).
    version = RawSQL(f"{TABLE}.rowid / {LANGUAGE_SLOTS}", [])
    published = TierVersion.objects.published().filter(pk=version).order_by().values("pk")
    published_sql, published_params = published.query.sql_with_params()
    sql = f"SELECT 1 FROM {TABLE} WHERE {where} AND EXISTS ({published_sql}) LIMIT 1"
    return sql, [*params, *published_params]


def _vector() -> ExpressionWrapper:
    """PostgreSQL: the stored `document`, read as the tsvector it is (a text field to Django,
    which SQLite's FTS5 table needs it to be)."""
    from django.contrib.postgres.search import SearchVectorField

    return ExpressionWrapper(F("document"), output_field=SearchVectorField())


def _postgresql_matches(phrases: list[Phrase], languages: tuple[str, ...]):
    """PostgreSQL: the published documents in `languages` that match every phrase (the
    vector aliased as "vector"), and the SearchQuery they match."""
    from django.contrib.postgres.search import SearchQuery

    query = SearchQuery(tsquery(phrases), config="simple", search_type="raw")
    published = TierVersion.objects.published().order_by().values("pk")
    matches = SearchDocument.objects.alias(vector=_vector()).filter(
        vector=query, language__in=languages, version__in=published
    )
    return matches, query


def _fts5_matches(phrases: list[Phrase], languages: tuple[str, ...]) -> tuple[str, list]:
    """SQLite: the WHERE clause (and its parameters) of the documents in `languages` that
    match every phrase, told from the index and the rowid alone; published or not."""
    slots = ", ".join(["%s"] * len(languages))
    where = f"{TABLE} MATCH %s AND {TABLE}.rowid %% {LANGUAGE_SLOTS} IN ({slots})"
    indexes = [LANGUAGES.index(language) for language in languages]
    return where, [fts5_match(phrases), *indexes]
