"""What only a set of files shows (duplicates, a piece's disagreeing orders, a file in
another climb's folder, each translation against its original's file), and `main`, the
command-line checker (`python -m lessons.lessonfile PATH...`)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .data import ClimbData, LessonFileError, VersionData
from .parsing import lesson_files, parse_file
from .slips import slip_warnings
from .translation import UNTRANSLATED, translation_problem, untranslated_lines


def check_together(
    climbs: list[ClimbData], versions: list[VersionData], known_climbs: set[str] | None = None
) -> None:
    """Problems no single file shows: duplicates, a piece's disagreeing orders, a climb with
    no climb.md (among `known_climbs`, when given: the importer adds the stored ones)."""
    climb_paths: dict[str, str] = {}
    for climb in climbs:
        if climb.language != "en":
            continue
        if climb.slug in climb_paths:
            raise LessonFileError(
                climb.path,
                climb.line("slug"),
                f"duplicate climb slug {climb.slug!r} (also in {climb_paths[climb.slug]})",
            )
        climb_paths[climb.slug] = climb.path
    seen: dict[tuple[str, str, str], str] = {}
    orders: dict[tuple[str, str], tuple[int, str]] = {}
    folders = {Path(climb.path).parent: climb for climb in climbs if climb.language == "en"}
    originals = {version.path: version for version in versions if version.language == "en"}
    for version in versions:
        # A climb folder's files are that climb's (the README's layout): a slug copied from
        # another climb, or mistyped, passed the checker and failed the import, or put the
        # piece in another climb.
        folder = folders.get(Path(version.path).parent)
        if folder is not None and version.climb != folder.slug:
            raise LessonFileError(
                version.path,
                version.line("climb"),
                f"climb {version.climb!r} is not this folder's: its climb.md has slug "
                f"{folder.slug!r}; write 'climb: {folder.slug}'",
            )
        if version.language != "en":
            _check_tier_against_sibling(version, originals)
            key = (version.climb, version.piece, f"{version.tier}.{version.language}")
            if key in seen:
                raise LessonFileError(
                    version.path,
                    version.line("piece"),
                    f"duplicate translation: also in {seen[key]}",
                )
            seen[key] = version.path
            continue
        if known_climbs is not None and version.climb not in known_climbs | set(climb_paths):
            raise LessonFileError(
                version.path,
                version.line("climb"),
                f"unknown climb {version.climb!r}: add its climb.md",
            )
        key = (version.climb, version.piece, version.tier)
        if key in seen:
            raise LessonFileError(
                version.path,
                version.line("piece"),
                f"duplicate slug: piece {version.piece!r} at tier {version.tier} "
                f"is also in {seen[key]}",
            )
        seen[key] = version.path
        piece_key = (version.climb, version.piece)
        if piece_key in orders and orders[piece_key][0] != version.order:
            other_order, other_path = orders[piece_key]
            raise LessonFileError(
                version.path,
                version.line("order"),
                f"piece {version.piece!r} has order {version.order} here "
                f"but {other_order} in {other_path}",
            )
        orders.setdefault(piece_key, (version.order, version.path))


def _check_tier_against_sibling(
    translation: VersionData, originals: dict[str, VersionData]
) -> None:
    """A translation's original is its sibling file, `<same name>.md` (the README's layout),
    when that is among the files: their tiers must agree. A tier mistyped in a .ru.md (or
    left from the file it was copied from) paired it with another tier's original, or with
    none: the checker said "ok", and the import refused it with no line, or as a duplicate."""
    suffix = f".{translation.language}.md"
    if not translation.path.endswith(suffix):
        return
    sibling = originals.get(translation.path.removesuffix(suffix) + ".md")
    if sibling is not None and sibling.tier != translation.tier:
        raise LessonFileError(
            translation.path,
            translation.line("tier"),
            f"tier {translation.tier!r} is not its original's: {sibling.path} has tier "
            f"{sibling.tier}; write 'tier: {sibling.tier}'",
        )


def translation_problems(versions: list[VersionData]) -> list[str]:
    """Each translation among `versions` checked against its original's file, when that is
    among them too (the checker's way: the importer checks against the stored original,
    which also tells a reorder of the original's steps from a translation out of shape)."""
    originals = {(v.climb, v.piece, v.tier): v for v in versions if v.language == "en"}
    problems = []
    for version in versions:
        original = originals.get((version.climb, version.piece, version.tier))
        if version.language != "en" and original is not None:
            problem = translation_problem(original, version)
            if problem:
                problems.append(str(LessonFileError(version.path, *problem)))
    return problems


def main(argv: list[str]) -> int:
    """`python -m lessons.lessonfile PATH...`: check lesson files, or the lesson files in a
    folder, without a database, each on its own and then together (duplicates, orders, each
    translation against its original's file when it is among them). One line per problem;
    exit status 1 if there was any."""
    if not settings.configured:
        # Run as a script, outside the site: messages in English, no project settings.
        settings.configure(USE_I18N=False)
    problems: list[str] = []
    files: list[Path] = []
    for name in argv:
        try:
            files.extend(lesson_files(name))
        except LessonFileError as exc:
            problems.append(str(exc))
    parsed = []
    for path in files:
        try:
            parsed.append(parse_file(path))
        except LessonFileError as exc:
            problems.append(str(exc))
    if not problems:  # what the files say together, as the importer checks it
        versions = [p for p in parsed if isinstance(p, VersionData)]
        try:
            check_together([p for p in parsed if isinstance(p, ClimbData)], versions)
        except LessonFileError as exc:
            problems.append(str(exc))
        problems += translation_problems(versions)
    for problem in problems:
        print(problem)
    if not argv:
        print("usage: python -m lessons.lessonfile PATH...")
        return 2
    if problems:
        return 1
    warnings = slip_warnings([p for p in parsed if isinstance(p, VersionData)])
    for version in parsed:
        # Legitimate (an export writes them for what the English added), but a translator
        # checking their work wants them listed.
        translation = isinstance(version, VersionData) and version.language != "en"
        marked = untranslated_lines(version) if translation else []
        if marked:
            where = f"{version.path}:{marked[0]}" if marked[0] else version.path
            parts = "part" if len(marked) == 1 else "parts"
            warnings.append(
                f"{where}: {len(marked)} {parts} not translated yet (marked {UNTRANSLATED})"
            )
    for warning in warnings:
        print(warning)
    print(
        f"ok: {len(files)} file{'' if len(files) == 1 else 's'}"
        + (f", {len(warnings)} warning{'' if len(warnings) == 1 else 's'}" if warnings else "")
    )
    return 0
