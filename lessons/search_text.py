"""Words for full-text search: what gets indexed, how a query is read, how hits are marked.

Pure functions, no database. Both databases must see the same words, so both are given
them made here: `words()` cuts text as SQLite's FTS5 tokenizer (`unicode61 remove_diacritics
2`) does, at anything that is not a letter or a digit, lower-cased, without the accents of
Latin letters (PostgreSQL's own parser would keep `lease.Held` together as one "host" token,
and a search for `held` would miss it); `normal()` then reads ё as е and stems each word, and
`search_text()` is what both indexes hold. Queries go through the same two steps.

Code identifiers get one more treatment: the parts of camelCase words (`KeepAlive` → `keep`,
`alive`; `LeaseID` → `lease`, `id`) are indexed too, so either the whole identifier or its
parts find it. `lease.Held()` and `lease_id` need nothing special: the dot, the brackets and
the underscore already separate words.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import escape, unescape

import snowballstemmer
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_LENGTH = 200
# Each word is one more posting list to intersect; past a handful, more words only slow it down.
MAX_WORDS = 8
# A one-letter prefix matches a large part of the index for nothing a reader wants.
MIN_PREFIX_LENGTH = 2

WORD_RE = re.compile(r"[^\W_]+")
CAMEL_PART_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
SPACES_RE = re.compile(r"\s+")
QUERY_RE = re.compile(r'"([^"]*)"?|([^\s"]+)')  # "a phrase", to the end if unclosed; a word
# Search-engine operators, typed in capitals, that are not supported: left out of the words
# (when there is another word or phrase), where they would be required as words ("lease OR token").
OPERATOR_RE = re.compile(r"(?:OR|AND|NOT|NEAR(?:/\d+)?)")


def is_operator(token: re.Match) -> bool:
    bare = token.group(2)
    return bare is not None and OPERATOR_RE.fullmatch(bare) is not None


def drops_operators(tokens: list[re.Match]) -> bool:
    """Whether parse_query leaves the operators among `tokens` out: only beside another word
    or phrase, so that "OR AND" is still two words to look for, not nothing."""
    return any(is_operator(token) for token in tokens) and not all(map(is_operator, tokens))


def ignored_operators(query: str) -> bool:
    """Whether `query` holds operators that search reads as nothing special: OR, AND, NOT,
    NEAR left out beside other words (parse_query), or a leading minus ("-lease" is
    "lease")."""
    tokens = list(QUERY_RE.finditer(query))
    return drops_operators(tokens) or any(
        (bare := token.group(2)) is not None and bare.startswith("-") and words(bare)
        for token in tokens
    )


def _latin_folding_table() -> dict[int, str]:
    """Latin letters with accents → the bare letter, one character for one (é → e, Ź → Z).

    Only Latin, like FTS5's remove_diacritics: Russian ё and й stay letters of their own.
    """
    table = {}
    for codepoint in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        # An ASCII letter under accents, as unicode61 sees it; letters of their own (ł, ø,
        # æ) stay. (unicode61 also keeps a handful of rare ones such as ǡ: no matter.)
        base, *accents = unicodedata.normalize("NFKD", chr(codepoint))
        if accents and base.isascii() and all(map(unicodedata.combining, accents)):
            table[codepoint] = base
    return table


_FOLDING = _latin_folding_table()
# str.translate() with a dict goes character by character in Python objects: slow on long
# texts. Most texts have no accented Latin letter at all, and a regex says so fast.
_ACCENTED_RE = re.compile("[" + "".join(map(chr, _FOLDING)) + "]")


def fold(text: str) -> str:
    """Lower-case without Latin accents, and exactly as long as `text` (positions carry over).

    İ is the one letter whose lower case is two characters; the table has already made it I.
    """
    if not text.isascii() and _ACCENTED_RE.search(text):
        text = text.translate(_FOLDING)
    return text.lower()


def words(text: str) -> list[str]:
    """The words of `text` as FTS5's tokenizer splits and folds them, in order."""
    return WORD_RE.findall(fold(text))


# --- the form a word is indexed and searched by -------------------------------------------------

_STEMMERS = {
    "ru": snowballstemmer.stemmer("russian"),
    "en": snowballstemmer.stemmer("english"),
}
_STEMMING = threading.Lock()  # a Snowball stemmer keeps its state between calls
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")


@lru_cache(maxsize=200_000)
def normal(word: str) -> str:
    """The form the index holds for a folded word, and a query is turned into.

    ё as е: most Russian text and most typing leave the dots off, so "счетчик" must find
    "счётчик". Then the word's stem (Snowball: Russian for Cyrillic words, English for Latin
    ones), so that "зависание" finds "зависаний" and "расщеплением" finds "расщепление", as
    "leases" finds "lease". Numbers, short words and other scripts stay as they are. Cached:
    a climb's vocabulary is a few thousand words, stemmed once each.
    """
    word = word.replace("ё", "е")
    if len(word) < 3 or not word.isalpha():
        return word
    if _CYRILLIC_RE.search(word):
        stemmer = _STEMMERS["ru"]
    elif word.isascii():
        stemmer = _STEMMERS["en"]
    else:
        return word
    with _STEMMING:
        return stemmer.stemWord(word)


def search_words(text: str) -> list[str]:
    """The words the index holds for `text`, in order: `words`, each in its normal form."""
    return [normal(word) for word in words(text)]


def search_text(text: str) -> str:
    """`text` as the index holds it: its normal words, one space apart. FTS5's tokenizer
    splits this back into the same words, and PostgreSQL's 'simple' configuration too."""
    return " ".join(search_words(text))


# A camelCase word: ASCII letters and digits, some lower case, and a capital after a
# lower-case letter or digit (KeepAlive, leaseID, clientV3) or before one (HTTPServer).
CAMEL_WORD_RE = re.compile(
    r"(?<![^\W_])(?=[A-Za-z0-9]*[a-z])"
    r"(?:[A-Za-z0-9]*[a-z0-9][A-Z]|[A-Za-z0-9]*[A-Z]{2}[a-z])[A-Za-z0-9]*(?![^\W_])"
)


def _is_camel_case(word: str) -> bool:
    return CAMEL_WORD_RE.fullmatch(word) is not None


def identifier_parts(text: str) -> str:
    """The parts of each camelCase word in `text`, once per word: "KeepAlive" → "keep alive"."""
    parts = dict.fromkeys(
        " ".join(CAMEL_PART_RE.findall(word)).lower() for word in CAMEL_WORD_RE.findall(text)
    )
    return " ".join(parts)


_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP_RE = re.compile(r"[*`]+|^[ \t]{0,3}(?:#{1,6}|>|[-+]|\d+\.)[ \t]+", re.MULTILINE)


def plain_text(markdown: str) -> str:
    """Markdown without its markup, for snippets: links keep their text, emphasis goes."""
    return _MARKUP_RE.sub("", _LINK_RE.sub(r"\1", markdown))


# The tags that part one run of text from the next on the page (blocks, list items, table
# cells, breaks): a line break in their place. Any other tag sits inside a line, and goes
# without a trace: "**un**like" is one word, as the reader sees it.
_BLOCK_TAGS = {
    "blockquote", "br", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
# A tag of sanitised HTML. nh3 writes every attribute value in double quotes, where a ">"
# may stand unescaped (<abbr title="a > b">); a double quote inside one is &quot;.
_HTML_TAG_RE = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9]*)(?:[^>"]|"[^"]*")*>')
# Blocks in a row leave blank lines: one line break is enough to part them, and a snippet's
# width is counted in characters.
_LINE_GAP_RE = re.compile(r"\s*\n\s*")


def _tag_gap(tag: re.Match) -> str:
    return "\n" if tag.group(2).lower() in _BLOCK_TAGS else ""


def html_text(html: str) -> str:
    """The text a reader sees of sanitised HTML (as rendering.render_markdown stores it): the
    tags taken out, a line break where one block ends and the next begins, character
    references read ("&lt;" is "<"). Attributes (a link's address, a title) are not text."""
    return _LINE_GAP_RE.sub("\n", unescape(_HTML_TAG_RE.sub(_tag_gap, html))).strip()


# The endings Snowball's English stemmer takes off a word, with their common longer forms:
# what a half-typed word may still grow into (truncated_stems).
ENGLISH_ENDINGS = (
    "s", "es", "ies", "ied", "e", "ed", "ing", "ings", "y", "ly", "ally", "edly", "ingly",
    "ion", "ions", "ation", "ations", "ational", "ition", "ional", "al", "ality", "alism",
    "ic", "ics", "ical", "ically", "ity", "ive", "ively", "iveness", "ness", "ment", "ments",
    "ement", "ize", "ized", "izes", "izing", "ization", "ism", "ist", "able", "ible", "ance",
    "ence", "ant", "ent", "ous", "ously", "ful", "fully", "less", "er", "ers", "ator", "ators",
)  # fmt: skip
MAX_TRUNCATION = 4  # letters a stem may lack of what is typed


@lru_cache(maxsize=20_000)
def truncated_stems(typed: str) -> tuple[str, ...]:
    """The stems, shorter than `typed` (a folded English word, half-typed), that the index may
    hold for the word being typed: "detecti" → ("detect",), as "detection" is indexed
    "detect", which "detecti" is not the start of; "replicatio" → ("replic",).

    Only the stems of `typed` completed with an ending Snowball takes off ("detecti" + "on"),
    up to MAX_TRUNCATION letters short of it and at least three long: not every truncation
    ("timeout" must not find "time", nor "then" "the").
    """
    if len(typed) < 4 or not (typed.isascii() and typed.isalpha()):
        return ()
    own = normal(typed)
    stems = set()
    for ending in ENGLISH_ENDINGS:
        for typed_part in range(len(ending)):
            if typed.endswith(ending[:typed_part]):
                stem = normal(typed + ending[typed_part:])
                if (
                    len(typed) - MAX_TRUNCATION <= len(stem) < len(own)
                    and len(stem) >= 3
                    and typed.startswith(stem)
                    and not stem.startswith(own)
                ):
                    stems.add(stem)
    return tuple(sorted(stems))


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """Words that must appear together and in this order (often just one word).

    `prefix`: the last word may be the start of a longer one (the reader is still typing).
    `stems`: with `prefix`, the stems a finished word could have that are shorter than what is
    typed (truncated_stems): the last word may be one of them too.
    """

    words: tuple[str, ...]
    prefix: bool = False
    stems: tuple[str, ...] = ()

    def endings(self) -> tuple[str, ...]:
        """What the last word may be exactly (besides, with `prefix`, what starts with it)."""
        return (self.words[-1], *self.stems)


def clean_query(raw: str) -> str:
    """A query as every reader of it takes it: NFKC, so that an accent typed as a separate
    combining character joins its letter, as in the text, and full-width "ＬＥＡＳＥ" and "１０"
    are the letters and digits the text holds; a NUL as a space, since PostgreSQL refuses it
    in a parameter and it parts two words ("lease\x00token" is not "leasetoken"); and cut
    at MAX_QUERY_LENGTH."""
    return unicodedata.normalize("NFKC", raw.replace("\x00", " "))[:MAX_QUERY_LENGTH]


def parse_query(query: str) -> list[Phrase]:
    """Read what a reader typed: double quotes, a trailing `*` and the operators below are
    all the syntax there is.

    Every phrase must match (AND). A word with punctuation inside (`lease.Held`, `lease_id`)
    is a phrase of its parts, as is "text in double quotes". The last word is a prefix while
    it is being typed: when nothing follows it, not even a space or a closing quote.
    A word ending in `*` is a prefix too. OR, AND, NOT and NEAR in capitals beside other
    words or phrases are left out (ignored_operators: the page says all words are searched
    together); everything else (`-`, `:`, `(`) is punctuation: the result only ever holds
    letters and digits.
    """
    query = clean_query(query)
    phrases: list[Phrase] = []
    budget = MAX_WORDS
    last_typed = False  # the last phrase ends where the query ends
    tokens = list(QUERY_RE.finditer(query))
    drop_operators = drops_operators(tokens)
    for match in tokens:
        quoted, bare = match.groups()
        if drop_operators and is_operator(match):
            continue
        found = search_words(quoted if bare is None else bare)[:budget]
        # A trailing * (lea*) asks for a prefix, as search engines read it.
        starred = bool(found) and bare is not None and bare.endswith("*")
        phrase = Phrase(tuple(found), prefix=starred and len(found[-1]) >= MIN_PREFIX_LENGTH)
        if not found or phrase in phrases:
            continue
        phrases.append(phrase)
        budget -= len(found)
        last_typed = match.end() == len(query)
        if budget <= 0:
            break
    # Still typing the last word: nothing after it, not a space, a quote or a bracket.
    still_typing = last_typed and query[-1:].isalnum()
    if still_typing and len(phrases[-1].words[-1]) >= MIN_PREFIX_LENGTH:
        # Past the stem, the typed word is not the start of what the index holds ("detecti"
        # of "detect"): the stems it may complete to are searched too.
        typed = words(query)[-1]
        stems = truncated_stems(typed) if normal(typed) == phrases[-1].words[-1] else ()
        phrases[-1] = Phrase(phrases[-1].words, prefix=True, stems=stems)
    return phrases


def fts5_phrase(phrase: Phrase) -> str:
    """One phrase as FTS5 reads it: quoted, so no input is read as syntax; with its stems,
    the alternatives in brackets ("a b" * OR "a c")."""
    # Words are letters and digits only (parse_query), so they never hold a double quote.
    text = '"' + " ".join(phrase.words) + '"' + (" *" if phrase.prefix else "")
    if not phrase.stems:
        return text
    start = " ".join(phrase.words[:-1] + ("",))
    return "(" + " OR ".join([text, *(f'"{start}{stem}"' for stem in phrase.stems)]) + ")"


def fts5_match(phrases: list[Phrase]) -> str:
    """An FTS5 MATCH expression: every phrase quoted, so no input is read as syntax."""
    return " AND ".join(fts5_phrase(phrase) for phrase in phrases)


def tsquery(phrases: list[Phrase], weight: str = "") -> str:
    """A PostgreSQL to_tsquery() expression: quoted lexemes, <-> inside phrases, :* prefix;
    with `weight` ("A"), only lexemes of that weight (the title's) match."""
    # Words are letters and digits only (parse_query), so quoting them needs no escaping.
    parts = []
    for phrase in phrases:
        lexemes = [f"'{word}'" + (":" + weight if weight else "") for word in phrase.words]
        if phrase.prefix:
            lexemes[-1] = f"'{phrase.words[-1]}':*{weight}"
        if phrase.stems:
            stems = [f"'{stem}'" + (":" + weight if weight else "") for stem in phrase.stems]
            lexemes[-1] = "(" + " | ".join([lexemes[-1], *stems]) + ")"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def title_tests(phrases: list[Phrase]) -> list[tuple[int, Phrase]]:
    """What a title match is worth, phrase by phrase: (points, phrase) for each phrase of the
    query the title may hold, 2 points each, and 1 more when the title holds all the words of
    a query of several, together and in order ("Leader election: …" before "Electing a
    leader…"). Ranked on these points first, then on bm25/ts_rank: FTS5's bm25 gives a word
    in more than half the rows almost no weight (its IDF is floored at 1e-6), so a title match
    of a common word lost to a body full of a rarer one."""
    tests = [(2, phrase) for phrase in phrases]
    if len(phrases) > 1:
        words = tuple(word for phrase in phrases for word in phrase.words)
        tests.append((1, Phrase(words, prefix=phrases[-1].prefix, stems=phrases[-1].stems)))
    return tests


def holds(words: list[str], phrase: Phrase) -> bool:
    """Whether indexed `words` hold `phrase` as the index matches it: in order, together,
    the last one a prefix if the phrase's is."""
    size = len(phrase.words)
    *whole, last = phrase.words
    for start in range(len(words) - size + 1):
        if words[start : start + size - 1] == whole:
            word = words[start + size - 1]
            if word in phrase.endings() or (phrase.prefix and word.startswith(last)):
                return True
    return False


def title_points(phrases: list[Phrase], title: str) -> int:
    """The points of `title_tests` that an indexed title (search_text) earns."""
    words = title.split()
    return sum(points for points, phrase in title_tests(phrases) if holds(words, phrase))


def held_by(phrases: list[Phrase], *texts: str) -> bool:
    """Whether indexed `texts` (search_text: a title, a crux) hold every phrase between them,
    each phrase whole in one of them, as the index matches it."""
    split = [text.split() for text in texts]
    return all(any(holds(words, phrase) for words in split) for phrase in phrases)


# --- marking the matched words ---------------------------------------------------------------


class Highlighter:
    """Marks the words of a text that the query matched, as the index matched them."""

    def __init__(self, phrases: list[Phrase]) -> None:
        self.exact: set[str] = set()
        # The stems a half-typed last word may stand for, each counted as that word.
        self.stems: dict[str, str] = {}
        prefixes = []
        for phrase in phrases:
            if phrase.prefix:
                self.exact.update(phrase.words[:-1])
                prefixes.append(phrase.words[-1])
                self.stems.update(dict.fromkeys(phrase.stems, phrase.words[-1]))
            else:
                self.exact.update(phrase.words)
        self.prefixes = tuple(prefixes)
        self.terms = len(self.exact) + len(self.prefixes)
        # A quick first pass over long texts: any matched word contains one of these. A term
        # is a stem, which the word need not hold whole ("happi" for "happy"): its start is
        # enough to look closer; and ё in the text is е in the term.
        starts = {
            re.escape(term[: max(MIN_PREFIX_LENGTH, len(term) - 1)]).replace("е", "[её]")
            for term in self.exact | set(self.prefixes) | set(self.stems)
        }
        pattern = "|".join(sorted(starts, key=len, reverse=True))
        self._candidates = re.compile(pattern) if starts else None

    def _term(self, folded_word: str) -> str | None:
        """The query term that `folded_word` matches, if any, as the index matches it."""
        form = normal(folded_word)
        if form in self.exact:
            return form
        if form in self.stems:
            return self.stems[form]
        typed = folded_word.replace("ё", "е")
        return next((p for p in self.prefixes if form.startswith(p) or typed.startswith(p)), None)

    def spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, term) of each matched word, or matched part of a camelCase word.

        Only the words holding a candidate (a query word as a substring) are looked at, so a
        long text with few matches costs one regular-expression scan.
        """
        if self._candidates is None:
            return
        folded = fold(text)
        word_end = 0
        for candidate in self._candidates.finditer(folded):
            start, end = candidate.span()
            if start < word_end:
                continue  # inside a word already looked at
            while start > 0 and folded[start - 1].isalnum():
                start -= 1
            while end < len(folded) and folded[end].isalnum():
                end += 1
            word_end = end
            term = self._term(folded[start:end])
            if term is not None:
                yield start, end, term
                continue
            word = text[start:end]
            if _is_camel_case(word):
                for part in CAMEL_PART_RE.finditer(word):
                    term = self._term(part.group().lower())
                    if term is not None:
                        yield start + part.start(), start + part.end(), term

    def _best_stretch(self, text: str, reach: int) -> list[tuple[int, str]]:
        """(start, term) of each match in the first stretch of `reach` characters with the
        most distinct terms; [] where nothing matches.

        Stops reading at the end of the first stretch holding every term: the rest of a long
        text is not read.
        """
        seen: list[tuple[int, str]] = []
        best, best_count = 0, 0  # where the best stretch starts in `seen`, its terms
        window: deque[tuple[int, str]] = deque()  # the stretch ending at the latest match
        in_window: Counter[str] = Counter()
        spans = self.spans(text)
        for start, _end, term in spans:
            seen.append((start, term))
            window.append((start, term))
            in_window[term] += 1
            while window[0][0] <= start - reach:
                _start, left = window.popleft()
                in_window[left] -= 1
                if not in_window[left]:
                    del in_window[left]
            if len(in_window) > best_count:
                best, best_count = len(seen) - len(window), len(in_window)
                if best_count == self.terms:
                    break
        if not best_count:
            return []
        end = seen[best][0] + reach
        # The rest of the stretch, after the match that made it the best.
        for start, _end, term in spans:
            if start >= end:
                break
            seen.append((start, term))
        return [(start, term) for start, term in seen[best:] if start < end]

    def mark(self, text: str) -> SafeString:
        """`text` as HTML: escaped, runs of white space made one space, matches in <mark>."""
        html = []
        last = 0
        for start, end, _term in self.spans(text):
            html.append(escape(SPACES_RE.sub(" ", text[last:start])))
            html.append(f"<mark>{escape(text[start:end])}</mark>")
            last = end
        html.append(escape(SPACES_RE.sub(" ", text[last:])))
        return mark_safe("".join(html))

    def snippet_matches(self, text: str, width: int = 200) -> list[tuple[int, str]]:
        """(start, term) of the matches a snippet of that `width` is drawn around: where most
        query words meet in `text`; [] where nothing matches."""
        return self._best_stretch(text, reach=width * 2 // 3)

    def snippet(
        self, text: str, width: int = 200, matches: list[tuple[int, str]] | None = None
    ) -> SafeString:
        """About `width` characters of `text` where most query words meet, marked; or "".

        `matches`: snippet_matches() of the same text and width, if already asked.
        """
        if matches is None:
            matches = self.snippet_matches(text, width)
        if not matches:
            return mark_safe("")
        position = matches[0][0]
        start = max(0, position - width // 3)
        if start:
            # Start at a word boundary, never after the match itself.
            space = SPACES_RE.search(text, start, position)
            start = space.end() if space else position
        end = min(len(text), start + width)
        if end < len(text):
            spaces = list(SPACES_RE.finditer(text, position, end))
            end = spaces[-1].start() if spaces else end
        html = self.mark(text[start:end].strip())
        before = "… " if start else ""
        after = " …" if end < len(text) else ""
        return mark_safe(f"{before}{html}{after}")
