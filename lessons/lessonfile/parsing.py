"""Whole files: a climb.md, or a tier version (an original or a translation), parsed
from its front matter and body; and the files a path names, read from disk within their
limits (size, UTF-8)."""

from __future__ import annotations

from pathlib import Path

from .body import _parse_sections
from .data import (
    MAX_SOURCE,
    MINUTES,
    STATUSES,
    TIERS,
    TRANSLATION_LANGUAGES,
    ClimbData,
    LessonFileError,
    VersionData,
    _at_most,
)
from .frontmatter import (
    _not_text,
    _parse_sources,
    _Places,
    _refuse_unknown,
    _require,
    _split_front_matter,
)
from .slips import markup_slips
from .syntax import SLUG_RE, _strip_blank

TRANSLATION_WITHOUT_LANGUAGE = "a translation (.ru.md) needs 'language: ru' in its front matter"


def parse_climb(text: str, path: str | Path = "<climb>") -> ClimbData:
    meta, body, _, places = _split_front_matter(path, text)
    if str(path).endswith(".ru.md") and "language" not in meta:
        raise LessonFileError(path, 2, TRANSLATION_WITHOUT_LANGUAGE)
    # Checked first: 'titel:' was reported as a missing 'title'.
    known = ("language", "order", "slug", "title")
    _refuse_unknown(meta, known, "the front matter", path, None, "a climb.md has", places)
    slug = _require(meta, "slug", path, places)
    if not SLUG_RE.fullmatch(slug):
        raise LessonFileError(path, places.line("slug"), f"slug {slug!r} is not a-z, 0-9 and -")
    language = str(meta.get("language") or "en").lower()
    if language != "en":
        if language not in TRANSLATION_LANGUAGES:
            raise LessonFileError(path, places.line("language"), f"unknown language {language!r}")
        return ClimbData(
            slug=slug,
            title=_require(meta, "title", path, places),
            order=0,
            description=_strip_blank(body),
            language=language,
            path=str(path),
            lines=places.lines,
        )
    return ClimbData(
        slug=slug,
        title=_require(meta, "title", path, places),
        order=_require(meta, "order", path, places, int),
        description=_strip_blank(body),
        path=str(path),
        lines=places.lines,
    )


def parse_version(text: str, path: str | Path = "<lesson>") -> VersionData:
    """Parse one tier-version file. Raises LessonFileError on the first problem found."""
    meta, body, first_line, places = _split_front_matter(path, text)
    if "language" in meta:
        return _parse_translation(meta, body, first_line, places, path)
    if str(path).endswith(".ru.md"):
        # Without its `language:` line a translation read as an original, and the error was
        # about keys it should not have or lacks ('source_notes', 'minutes').
        raise LessonFileError(path, 2, TRANSLATION_WITHOUT_LANGUAGE)
    _refuse_unknown(
        meta, VERSION_FIELDS, "the front matter", path, None, "a lesson file has", places
    )
    tier = _require(meta, "tier", path, places).lower()
    if tier not in TIERS:
        raise LessonFileError(
            path, places.line("tier"), f"unknown tier {tier!r}: use one of {', '.join(TIERS)}"
        )
    piece = _require(meta, "piece", path, places)
    if not SLUG_RE.fullmatch(piece):
        raise LessonFileError(
            path, places.line("piece"), f"piece slug {piece!r} is not a-z, 0-9 and -"
        )
    status = str(meta.get("status") or "published").strip().lower()
    if status not in STATUSES:
        raise LessonFileError(
            path, places.line("status"), f"status must be draft or published, not {status!r}"
        )
    minutes = _require(meta, "minutes", path, places, int, within=MINUTES)
    version = VersionData(
        climb=_require(meta, "climb", path, places),
        piece=piece,
        order=_require(meta, "order", path, places, int),
        tier=tier,
        title=_require(meta, "title", path, places),
        crux=_require(meta, "crux", path, places),
        minutes=minutes,
        status=status,
        intro="",
        goal="",
        recap="",
        sources=_parse_sources(meta.get("sources") or [], path, places),
        path=str(path),
        lines=places.lines,
    )
    _parse_sections(version, body, first_line, path)
    version.slips = markup_slips(body, first_line)
    return version


VERSION_FIELDS = tuple(
    sorted({"climb", "piece", "order", "tier", "title", "crux", "minutes", "status", "sources"})
)
TRANSLATION_FIELDS = tuple(
    sorted({"climb", "piece", "tier", "language", "title", "crux", "source_notes"})
)


def _parse_translation(
    meta: dict, body: list[str], first_line: int, places: _Places, path
) -> VersionData:
    """A translation: same sections as the original; order, minutes and sources come from it."""
    for key in sorted(set(VERSION_FIELDS) - set(TRANSLATION_FIELDS)):
        if key in meta:
            raise LessonFileError(
                path,
                places.line(key),
                f"'{key}' comes from the original file; a translation has only "
                + ", ".join(TRANSLATION_FIELDS),
            )
    _refuse_unknown(
        meta, TRANSLATION_FIELDS, "the front matter", path, None, "a translation has", places
    )
    language = _require(meta, "language", path, places).lower()
    if language not in TRANSLATION_LANGUAGES:
        raise LessonFileError(
            path,
            places.line("language"),
            f"unknown language {language!r}: translations can be in "
            + ", ".join(TRANSLATION_LANGUAGES),
        )
    tier = _require(meta, "tier", path, places).lower()
    if tier not in TIERS:
        raise LessonFileError(
            path, places.line("tier"), f"unknown tier {tier!r}: use one of {', '.join(TIERS)}"
        )
    version = VersionData(
        climb=_require(meta, "climb", path, places),
        piece=_require(meta, "piece", path, places),
        order=0,
        tier=tier,
        title=_require(meta, "title", path, places),
        crux=_require(meta, "crux", path, places),
        minutes=0,
        intro="",
        goal="",
        recap="",
        language=language,
        path=str(path),
        lines=places.lines,
    )
    notes = meta.get("source_notes", [])
    if not isinstance(notes, list) or any(isinstance(note, list | dict) for note in notes):
        raise LessonFileError(
            path,
            places.line("source_notes"),
            "'source_notes' must be a list of texts, one per source of the original, in order",
        )
    for number, note in enumerate(notes, start=1):
        if not isinstance(note, str):  # '- no' read as False, '- 0' as 0
            line = version.line(f"source_notes.{number}")
            typed = places.typed.get(f"source_notes.{number}", "")
            raise _not_text(path, line, f"source note {number}", "", typed, note)
    version.source_notes = [
        _at_most(
            note.strip(),
            MAX_SOURCE["note"],
            f"source note {number}",
            path,
            version.line(f"source_notes.{number}"),
        )
        for number, note in enumerate(notes, start=1)
    ]
    _parse_sections(version, body, first_line, path)
    version.slips = markup_slips(body, first_line)
    return version


def lesson_files(path: str | Path) -> list[Path]:
    """The lesson files a path names: a file, or every .md below a folder but READMEs.

    In a folder, only regular files, and none hidden or in a hidden folder: an editor's lock
    file (Emacs' '.#30-leases.md', a link to nowhere), a backup ('.old.md'), a folder named
    'old.md' or a '.git' inside crashed the checker and the import, or made a duplicate."""
    path = Path(path)
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*.md")
            if p.name.lower() != "readme.md"
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and p.is_file()
        )
    if path.is_file():
        return [path]
    raise LessonFileError(path, None, "no such file or folder")


# The demo's longest file, Russian, is 29 KiB: a piece this long is a book, and a page this big
# would be slow for every reader (an 18 MB file imported in 38 s, for a 27 MB page).
MAX_FILE_BYTES = 512 * 1024


def parse_file(path: Path) -> ClimbData | VersionData:
    """One file read and parsed: a climb's (climb.md, climb.ru.md) or a tier version's."""
    with path.open("rb") as file:  # no more than that: a stray 2 GB log is not read whole
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        size = max(path.stat().st_size, len(data))
        raise LessonFileError(
            path,
            None,
            f"the file is {size // 1024} KiB, and a lesson file may be at most "
            f"{MAX_FILE_BYTES // 1024} KiB: shorten its snippets to what the question needs, "
            "or split the piece",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LessonFileError(
            path,
            line,
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} here): save it as UTF-8",
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as universal newlines read it
    if path.name.startswith("climb."):
        return parse_climb(text, path)
    return parse_version(text, path)
