""" "Did you mean …?" for a search that found nothing: the query with each word the index does
not hold replaced by the closest word it does, offered only where that query finds something.

The words come from the index's own documents, but not from its indexed columns: those hold
stems on both databases (search_text.normal: "election" is indexed "elect"), and a suggestion
must be a word a learner would type. So each search document is written with a row here
(`SearchWords`, same id): its distinct words as the reader sees them, folded as the index
folds them. A plain table on both databases, written with the documents in the same
transaction (search_index.reindex), so it is exactly as fresh as the index; FTS5's fts5vocab
and PostgreSQL's ts_stat would give the stems alone, and two code paths.

The published documents' rows are read in one query and made into a `Vocabulary` per language,
cached under the content generation (lessons.contentcache): publishing, editing or deleting
content bumps the generation, so a cached vocabulary never outlives the content it was read
from.

A suggestion is checked twice before it is offered. First against the vocabulary: each stem
keeps the set of documents holding it (a bitset), so a suggestion whose words no published
document holds together is dropped with no query. That is not enough: the vocabulary keeps
no positions, so it cannot tell whether a quoted phrase's words ("fencing token") stand side
by side or only in one document. So the suggestion is then run as search matches it (the
same MATCH or tsquery, published documents in either language: search_query.one_match), in
one query. A no-result search costs one query more for the vocabulary when it is not
cached, none when it is, and one for the check where there is a suggestion to check; a
search that finds something, none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models

from . import contentcache
from .models import Status, TierVersion, content_generation
from .search_text import (
    MIN_PREFIX_LENGTH,
    QUERY_RE,
    WORD_RE,
    clean_query,
    drops_operators,
    fold,
    is_operator,
    normal,
    parse_query,
    truncated_stems,
    words,
)

# Shorter words are too many letters away from too many others for a guess to mean anything.
MIN_WORD_LENGTH = 3
VOCABULARY_SECONDS = 3600  # keyed by content generation: never stale, only evicted


class SearchWords(models.Model):
    """The distinct words of one search document (search_index.SearchDocument, same id), as
    the reader sees them: folded (search_text.words), not stemmed, space-separated."""

    id = models.BigIntegerField(primary_key=True)
    version = models.ForeignKey(
        TierVersion, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    language = models.CharField(max_length=8)
    words = models.TextField()

    class Meta:
        db_table = "lessons_search_words"
        default_permissions = ()  # written with the index, never by hand

    def __str__(self) -> str:
        return f"{self.pk} ({self.language})"


def document_words(*texts: str) -> str:
    """The distinct words of a document's texts, in the order first seen, as stored."""
    return " ".join(dict.fromkeys(word for text in texts for word in words(text)))


def _plain(word: str) -> str:
    # ё as е, as the index reads it: "счетчик" is one letter from "счётчик", not two.
    return word.replace("ё", "е")


@dataclass(frozen=True)
class Vocabulary:
    """One language's words in its published documents."""

    # Words a suggestion may offer (letters only, MIN_WORD_LENGTH or more), by length: each
    # as (ё-as-е form, word, documents holding it), most frequent first.
    by_length: dict[int, tuple[tuple[str, str, int], ...]]
    # Each stem the index holds (search_text.normal), and the documents holding it: bit i for
    # the i-th document read. Every word's stem, short words and numbers included.
    documents: dict[str, int]

    @classmethod
    def build(cls, rows: Iterable[str]) -> Vocabulary:
        """From each document's stored words (SearchWords.words)."""
        # Each word's documents first, then stemmed once per word, not once per use: the
        # build is one pass over the rows (25-35 ms a language at 1,000 pieces).
        postings: dict[str, list[int]] = {}
        for index, row in enumerate(rows):
            for word in row.split():
                found = postings.get(word)
                if found is None:
                    postings[word] = [index]
                else:
                    found.append(index)
        frequency = {word: len(indexes) for word, indexes in postings.items()}
        documents: dict[str, int] = {}
        for word, indexes in postings.items():
            stem = normal(word)
            documents[stem] = documents.get(stem, 0) | _bitset(indexes)
        offered = sorted(
            (word for word in frequency if len(word) >= MIN_WORD_LENGTH and word.isalpha()),
            key=lambda word: (-frequency[word], word),
        )
        by_length: dict[int, list[tuple[str, str, int]]] = {}
        for word in offered:
            by_length.setdefault(len(word), []).append((_plain(word), word, frequency[word]))
        return cls({n: tuple(entries) for n, entries in by_length.items()}, documents)

    def holding(self, stem: str, prefix: bool = False) -> int:
        """The documents holding `stem`, or with `prefix` any stem that starts with it."""
        if not prefix:
            return self.documents.get(stem, 0)
        found = 0
        for held, bits in self.documents.items():
            if held.startswith(stem):
                found |= bits
        return found

    def finds(self, query: str) -> bool:
        """Whether search could find a document for `query`: every phrase's words in one
        document (the last word a prefix while typed, or one of its shorter stems). Not
        whether they stand side by side: index_finds() asks the index that."""
        phrases = parse_query(query)
        if not phrases:
            return False
        found = -1  # every document
        for phrase in phrases:
            for word in phrase.words[:-1]:
                found &= self.holding(word)
            last = self.holding(phrase.words[-1], prefix=phrase.prefix)
            for stem in phrase.stems:
                last |= self.holding(stem)
            found &= last
        return found != 0

    def closest(self, typed: str, context: int) -> str | None:
        """The word closest to `typed` (folded) that a document among `context` holds:
        fewest edits, then most documents; None where none is near enough."""
        plain = _plain(typed)
        letters = set(plain)
        bound = max_distance(len(plain))
        best: tuple[int, int, str] | None = None  # (distance, -documents, word)
        for length in range(len(plain) - bound, len(plain) + bound + 1):
            for candidate, word, count in self.by_length.get(length, ()):
                limit = bound if best is None else best[0]
                # An edit brings in at most one letter and takes away at most one: a word
                # with more letters of its own is too far, known without the distance.
                if (
                    len(letters.difference(candidate)) > limit
                    or len(set(candidate).difference(letters)) > limit
                ):
                    continue
                distance = edit_distance(plain, candidate, limit)
                if distance > limit or (best is not None and (distance, -count) >= best[:2]):
                    continue
                if self.documents.get(normal(word), 0) & context:
                    best = (distance, -count, word)
        return best[2] if best else None


def _bitset(indexes: list[int]) -> int:
    """An int with bit i set for each i in `indexes` (ascending): "1" at each place, read
    in base 2, as one conversion rather than a shift and an "or" per index."""
    digits = bytearray(b"0") * (indexes[-1] + 1)
    for index in indexes:
        digits[index] = 49  # "1"
    return int(digits[::-1], 2)


def max_distance(length: int) -> int:
    """How many edits a word of `length` letters may be from its suggestion: one up to four
    letters ("tokn" → "token"), two from five ("lederr" → "leader"). No more: three edits make
    most words of eight letters or fewer some other word the vocabulary holds."""
    return 1 if length <= 4 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein, a swap of two neighbours is
    one edit), or `limit` + 1 as soon as it is sure to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            cost = letter != other
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and j > 1 and letter == b[j - 2] and a[i - 2] == other:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def vocabularies() -> dict[str, Vocabulary]:
    """Each language's vocabulary of its published documents: cached, or one query."""
    key = f"search-vocabulary:{content_generation()}"
    found = contentcache.get(key)
    if found is None:
        rows: dict[str, list[str]] = {}
        published = SearchWords.objects.filter(version__status=Status.PUBLISHED)
        for language, row in published.values_list("language", "words"):
            rows.setdefault(language, []).append(row)
        found = {language: Vocabulary.build(texts) for language, texts in rows.items()}
        contentcache.set(key, found, VOCABULARY_SECONDS)
    return found


def suggestion(query: str, language: str) -> str | None:
    """The query with each word no published document holds replaced by the closest one
    that does, in `language`'s text or else in the other's (search_query.search_both looks
    in both); None where there is no such word, or the new query would find nothing too."""
    from .search_index import LANGUAGES
    from .search_query import other_language

    if language not in LANGUAGES:
        language = LANGUAGES[0]
    languages = (language, other_language(language))
    held = vocabularies()
    for searched in languages:
        vocabulary = held.get(searched)
        found = corrected(query, vocabulary) if vocabulary else None
        if found is not None:
            return found if index_finds(found, languages) else None
    return None


def index_finds(query: str, languages: tuple[str, ...]) -> bool:
    """Whether search finds a published document for `query` in one of `languages`
    (search_both looks in the site's language, then the other's), in one query: an EXISTS,
    matched as search() matches."""
    from .search_index import flush_pending
    from .search_query import one_match

    phrases = parse_query(query)
    if not phrases:
        return False
    flush_pending()
    sql, params = one_match(phrases, languages)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({sql})", params)
        return bool(cursor.fetchone()[0])


def corrected(query: str, vocabulary: Vocabulary) -> str | None:
    """`query` with its unknown words replaced, as typed otherwise (quotes, case, other
    words), if `vocabulary` finds it; else None."""
    query = clean_query(query)  # as parse_query reads it: its positions are the query's
    tokens = list(QUERY_RE.finditer(query))
    drop_operators = drops_operators(tokens)
    folded = fold(query)  # as long as `query`: its positions are the query's
    typing = query[-1:].isalnum()  # the last word is a prefix (parse_query)
    known, unknown = -1, []  # the documents holding every known word; (start, end, word)
    for token in tokens:
        if drop_operators and is_operator(token):
            continue
        found = list(WORD_RE.finditer(folded, token.start(), token.end()))
        # "lea*" asks for a prefix (parse_query): "lea" is known, not a typo of "lead".
        starred = token.group(2) is not None and token.group(2).endswith("*")
        for match in found:
            word = match.group()
            stem = normal(word)
            still_typing = typing and match.end() == len(query)
            ends_prefix = still_typing or (starred and match is found[-1])
            prefix = ends_prefix and len(stem) >= MIN_PREFIX_LENGTH
            held = vocabulary.holding(stem, prefix=prefix)
            if prefix and still_typing:
                for shorter in truncated_stems(word):  # "detecti" is "detection" typed
                    held |= vocabulary.holding(shorter)
            if held:
                known &= held
            elif len(word) < MIN_WORD_LENGTH or not word.isalpha():
                return None  # "Did you mean" for "k8" or "zq" would be a wild guess
            else:
                unknown.append((match.start(), match.end(), word))
    if not unknown or not known:
        return None
    # In the order typed: each word chosen narrows the documents the next one must share.
    chosen = []
    for start, end, word in unknown:
        found = vocabulary.closest(word, known)
        if found is None:
            return None
        known &= vocabulary.documents[normal(found)]
        chosen.append((start, end, _cased(found, query[start:end])))
    replaced = query
    for start, end, word in reversed(chosen):
        replaced = replaced[:start] + word + replaced[end:]
    replaced = replaced.strip()
    return replaced if vocabulary.finds(replaced) else None


def _cased(word: str, typed: str) -> str:
    """`word` in the case `typed` is in: "Quorum" for "Quorom", "QUORUM" for "QUOROM"."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
