"""The full-text index behind the search page, on SQLite (FTS5) and PostgreSQL (tsvector):
its table, and keeping it up to date. Searching it is lessons.search_query.

One row per tier version and language (`SearchDocument`), holding the text that language's
site shows: the title, the crux, and one "body" made of the intro, goal, recap, every step's
heading, prose, snippet and text after it, and every question's prompt and choices (never the
explanations: they would give answers away; lessons.search_body). On the Russian site a
field with no Russian text shows the English one, so the Russian row holds the English text
of that field too. Drafts are indexed like the rest and filtered out when searching, against
the live status: the admin's publish action uses update(), which sends no signal, and must
still take effect at once.

  - SQLite: the table is an FTS5 virtual table (created in migration 0005), its columns in
    the order bm25() weighs them (search_query).
  - PostgreSQL: a table partitioned by language, with a `document` tsvector (title A, crux B,
    body C, camelCase parts D, config 'simple') under a GIN index, written with SearchVector.

Both index the same words, made in Python (search_text.search_words): split and folded the
way FTS5's unicode61 does, ё read as е, and each word stemmed (Snowball, Russian or English),
so that a word is found in any of its forms, on both databases alike; the last word of a
query is a prefix too, while it is being typed. The indexed columns hold those words; the
text shown in a result's snippet is kept beside them (`text`, not indexed), and its title
and crux are the version's own. Each row also keeps where each step's text starts in its
`text` (`steps`, not indexed): which step a hit links to (search_query).

The model is unmanaged: migration 0005 creates the table the database needs. It is defined
here rather than in models.py because it belongs to search; LessonsConfig.ready() imports
this module, which registers it.

Updates: saving or deleting a TierVersion, Step, Question, Choice or Source marks its version
dirty (post_save/post_delete); the dirty versions are re-indexed together when the transaction
commits, in a fixed number of queries, so an import of the whole demo climb re-indexes each
version once. A search first applies what is still pending in its own transaction (read your
writes), which is also what makes the tests, run inside one transaction, see their content.
`rebuild()` (manage.py rebuild_search_index) rebuilds everything from scratch. Each document
is written with its words as typed (search_suggest.SearchWords, same id), for "Did you mean".
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from django.db import connection, models, transaction
from django.db.models import Value

from . import search_body, translations
from .models import (
    CONTENT_LANGUAGES,
    Choice,
    Localized,
    Source,
    Step,
    TierVersion,
    lock_content,
)
from .search_suggest import SearchWords, document_words
from .search_text import identifier_parts, search_text

TABLE = "lessons_search_document"
LANGUAGES = ("en", *CONTENT_LANGUAGES)
# A document's id is version id * LANGUAGE_SLOTS + the language's index in LANGUAGES: a
# version's rows are found by primary key (FTS5's rowid), with no second index to keep.
LANGUAGE_SLOTS = 8
assert len(LANGUAGES) <= LANGUAGE_SLOTS
BATCH = 200  # versions per re-index round: bounded memory and IN lists


class SearchDocument(models.Model):
    id = models.BigIntegerField(primary_key=True, db_column="rowid")
    version = models.ForeignKey(
        TierVersion, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    language = models.CharField(max_length=8)
    # The indexed words (search_text.search_text), never shown.
    title = models.TextField()
    crux = models.TextField()
    body = models.TextField()
    # The parts of camelCase identifiers, "keep alive" for KeepAlive.
    terms = models.TextField()
    # The body as the reader sees it, for the snippet around the matches; not indexed.
    text = models.TextField()
    # Where each step's text starts in `text`, then where the text after the last step
    # starts, as numbers ("0 120 455"; search_body): which step a snippet is from. Not indexed.
    steps = models.TextField()
    # PostgreSQL: the tsvector searched. SQLite: an empty, unindexed FTS5 column.
    document = models.TextField(editable=False)

    class Meta:
        managed = False
        db_table = TABLE
        default_permissions = ()  # nobody edits the index by hand

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


def document_id(version_id: int, language: str) -> int:
    return version_id * LANGUAGE_SLOTS + LANGUAGES.index(language)


# --- building documents ----------------------------------------------------------------------


def documents(version: TierVersion) -> Iterator[tuple[SearchDocument, SearchWords]]:
    """The version's row for each language, its text as that language's site shows it, and
    that row's words as typed, for "Did you mean" (lessons.search_suggest).

    `version` comes from with_text(), which loads the stored HTML the body is read from.
    """
    for language in LANGUAGES:
        local = Localized(version, language)
        body, step_starts = search_body.body(version, language)
        title, crux = search_text(local.title), search_text(local.crux)
        parts = identifier_parts(f"{local.title}\n{local.crux}\n{body}")
        terms = search_text(parts)
        indexed_body = search_text(body)
        pk = document_id(version.pk, language)
        yield (
            SearchDocument(
                id=pk,
                version_id=version.pk,
                language=language,
                title=title,
                crux=crux,
                body=indexed_body,
                terms=terms,
                text=body,
                steps=" ".join(map(str, step_starts)),
                document=_tsvector(title, crux, indexed_body, terms),
            ),
            SearchWords(
                id=pk,
                version_id=version.pk,
                language=language,
                words=document_words(local.title, local.crux, body, parts),
            ),
        )


def _tsvector(title: str, crux: str, body: str, terms: str):
    """The weighted tsvector on PostgreSQL, of the words SQLite indexes (already normal)."""
    if connection.vendor != "postgresql":
        return ""
    from django.contrib.postgres.search import SearchVector

    def vector(text: str, weight: str) -> SearchVector:
        return SearchVector(Value(text), config="simple", weight=weight)

    return vector(title, "A") + vector(crux, "B") + vector(body, "C") + vector(terms, "D")


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(set(ids))
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def reindex(version_ids: Iterable[int]) -> None:
    """Bring these versions' rows up to date: rewritten, or removed if the version is gone;
    and their translation digests, which are made of the same text (lessons.translations)."""
    for batch in _batches(version_ids):
        with transaction.atomic():
            # Read under the content lock, in the transaction that writes: two saves of one
            # version re-indexing at once left the earlier text in the index for good (or
            # failed on a duplicate key on PostgreSQL), as the later re-index read first.
            lock_content()
            versions = list(TierVersion.objects.with_text().filter(pk__in=batch))
            stale = [document_id(pk, language) for pk in batch for language in LANGUAGES]
            SearchDocument.objects.filter(pk__in=stale).delete()
            SearchWords.objects.filter(pk__in=stale).delete()
            rows = [row for version in versions for row in documents(version)]
            SearchDocument.objects.bulk_create([document for document, _words in rows])
            SearchWords.objects.bulk_create([words for _document, words in rows])
            translations.record(versions)


def rebuild() -> int:
    """Index every tier version from scratch; returns how many."""
    with transaction.atomic():
        SearchDocument.objects.all().delete()
        SearchWords.objects.all().delete()
        ids = list(TierVersion.objects.values_list("pk", flat=True))
        reindex(ids)
    _optimize()
    return len(ids)


def writable() -> bool:
    """Whether the rows this code writes fit the tables the database has. Not when migrated
    back past a migration that made a table (0005, 0019) or added a column (0017), or part of
    the way forward (0018 empties the index before 0019 makes the words' table): `migrate`
    failed writing them. The release that matches the tables indexes on its own `migrate`."""
    tables = connection.introspection.table_names()
    if TABLE not in tables or SearchWords._meta.db_table not in tables:
        return False
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, TABLE)
    # Not the primary key: FTS5 lists no rowid (every row has one, hidden).
    fields = SearchDocument._meta.concrete_fields
    written = {field.column for field in fields if not field.primary_key}
    return written <= {column.name for column in description}


def sync() -> None:
    """Index the versions that have no rows, drop rows whose version is gone (post_migrate).

    Cheap when nothing is missing. An existing database gets its index on the `migrate`
    that creates the table, and a test database flushed between tests loses its orphans.
    """
    if not writable():
        return
    indexed = set(SearchDocument.objects.values_list("version_id", flat=True).distinct())
    existing = set(TierVersion.objects.values_list("pk", flat=True))
    if indexed != existing:
        reindex(indexed ^ existing)


def _optimize() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Merge FTS5's b-trees into one: fewer segments to read per query.
            cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')")
        elif connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")


# --- keeping it up to date -------------------------------------------------------------------


class _Pending(threading.local):
    """What this thread changed and has not re-indexed yet (one connection per thread)."""

    def __init__(self) -> None:
        self.versions: set[int] = set()
        self.steps: set[int] = set()  # from questions: the step knows its version
        self.questions: set[int] = set()  # from choices

    def __bool__(self) -> bool:
        return bool(self.versions or self.steps or self.questions)


_pending = _Pending()


def _mark(dirty: set[int], pk: int | None, using: str) -> None:
    if pk is None or pk in dirty:
        return
    dirty.add(pk)
    # Runs at once outside a transaction. One callback per new id, not per transaction: a
    # callback registered in a savepoint that rolls back is dropped, the others still flush.
    transaction.on_commit(flush_pending, using=using, robust=True)


def version_changed(sender, instance: TierVersion, using: str, **kwargs) -> None:
    _mark(_pending.versions, instance.pk, using)


def part_changed(sender, instance: Step | Source, using: str, **kwargs) -> None:
    # A source is not indexed, but its note is in the translation digests (reindex).
    _mark(_pending.versions, instance.version_id, using)


def question_changed(sender, instance, using: str, **kwargs) -> None:
    # Resolved to a version when flushing, in one query for all of them: no query per save,
    # and none per row when a cascade deletes thousands of them.
    _mark(_pending.steps, instance.step_id, using)


def choice_changed(sender, instance: Choice, using: str, **kwargs) -> None:
    _mark(_pending.questions, instance.question_id, using)


def flush_pending() -> None:
    """Re-index the versions this thread changed. A few queries, however many versions."""
    if not _pending:
        return
    versions, steps, questions = _pending.versions, _pending.steps, _pending.questions
    _pending.versions, _pending.steps, _pending.questions = set(), set(), set()
    try:
        # A step or question deleted with its version is not found: the version was marked.
        for batch in _batches(steps):
            versions.update(Step.objects.filter(pk__in=batch).values_list("version_id", flat=True))
        for batch in _batches(questions):
            versions.update(
                Step.objects.filter(question__pk__in=batch).values_list("version_id", flat=True)
            )
        reindex(versions)
    except BaseException:
        _pending.versions |= versions  # try again at the next commit or search
        _pending.steps |= steps
        _pending.questions |= questions
        raise


def forget_pending() -> None:
    """Drop what is pending without indexing it (tests: a rolled-back test leaves ids)."""
    _pending.versions.clear()
    _pending.steps.clear()
    _pending.questions.clear()
