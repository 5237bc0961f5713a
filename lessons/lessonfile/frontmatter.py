"""The front matter: the YAML between the '---' lines, read strictly (a key given
twice is an error) with the line of every part kept for the messages, and the checks on its
fields (required, text, whole numbers, sources, an unknown key named with the near one)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .data import MAX_LENGTHS, MAX_SOURCE, MAX_WHOLE_NUMBER, LessonFileError, SourceData, _at_most
from .syntax import lines_of


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
