"""Write the database's content as lesson files (`manage.py export_lessons DIR`).

The files are the canonical form of `lessonfile.dump_*`: exporting, importing that export and
exporting again gives byte-identical files, and the import changes nothing in the database.
"""

from __future__ import annotations

from pathlib import Path

from .lessonfile import (
    ChoiceData,
    ClimbData,
    QuestionData,
    SourceData,
    StepData,
    VersionData,
    dump_climb,
    dump_version,
    mark_untranslated,
)
from .models import CONTENT_LANGUAGES, Climb, Question, Tier, TierVersion


def _text(row, name: str, lang: str) -> str:
    """A text as its file has it: the English, or its translation in `lang`; a part with
    no translation yet is the English marked as such (`lessonfile.UNTRANSLATED`), so the
    .ru.md of a version the English moved ahead of still imports, and changes nothing."""
    english = getattr(row, name).strip()
    if not lang:
        return english
    text = getattr(row, f"{name}_{lang}").strip()
    return text or (mark_untranslated(english) if english else "")


def question_data(question: Question, lang: str = "") -> QuestionData:
    """The question as its file has it; `lang` reads the translated columns instead."""
    return QuestionData(
        prompt=_text(question, "prompt", lang),
        choices=[
            ChoiceData(
                _text(c, "text", lang),
                c.is_correct,
                _text(c, "explanation", lang),
            )
            for c in question.choices.all()
        ],
    )


def version_data(version: TierVersion) -> VersionData:
    """A tier version as the parser would read it from its file."""
    steps = []
    for step in version.steps.all():
        question = getattr(step, "question", None)
        steps.append(
            StepData(
                heading=step.heading,
                prose=step.prose.strip(),
                language=step.language,
                code=step.code,
                marked_lines=step.marked_lines,
                prose_after=step.prose_after.strip(),
                question=question_data(question) if question is not None else None,
            )
        )
    return VersionData(
        climb=version.piece.climb.slug,
        piece=version.piece.slug,
        order=version.piece.order,
        tier=Tier(version.tier).slug,
        title=version.title,
        crux=version.crux,
        minutes=version.minutes,
        intro=version.intro.strip(),
        goal=version.goal.strip(),
        recap=version.recap.strip(),
        steps=steps,
        sources=[SourceData(s.title, s.url, s.note) for s in version.sources.all()],
        status=version.status,
    )


def translation_data(version: TierVersion, lang: str) -> VersionData:
    """The translation file of a version: the *_<lang> columns in the original's shape."""

    def tr(obj, name: str) -> str:
        return getattr(obj, f"{name}_{lang}").strip()

    steps = []
    for step in version.steps.all():
        question = getattr(step, "question", None)
        steps.append(
            StepData(
                heading=_text(step, "heading", lang),
                prose=tr(step, "prose"),
                language=step.language if tr(step, "code") else "",
                code=getattr(step, f"code_{lang}"),
                marked_lines=step.marked_lines if tr(step, "code") else "",
                prose_after=tr(step, "prose_after"),
                question=question_data(question, lang) if question is not None else None,
            )
        )
    return VersionData(
        climb=version.piece.climb.slug,
        piece=version.piece.slug,
        order=0,
        tier=Tier(version.tier).slug,
        title=tr(version, "title"),
        crux=_text(version, "crux", lang),
        minutes=0,
        intro=_text(version, "intro", lang),
        goal=_text(version, "goal", lang),
        recap=_text(version, "recap", lang),
        steps=steps,
        source_notes=_source_notes(version, lang),
        language=lang,
    )


def _source_notes(version: TierVersion, lang: str) -> list[str]:
    """Every source's note in `lang` ("" where there is none), or none at all."""
    notes = [getattr(source, f"note_{lang}").strip() for source in version.sources.all()]
    return notes if any(notes) else []


def file_name(version: TierVersion, lang: str = "en") -> str:
    suffix = "" if lang == "en" else f".{lang}"
    return f"{version.piece.order:02d}-{version.piece.slug}.{Tier(version.tier).slug}{suffix}.md"


def export_to(directory: str | Path, climb_slugs: list[str] | None = None) -> list[Path]:
    directory = Path(directory)
    climbs = Climb.objects.all()
    if climb_slugs:
        climbs = climbs.filter(slug__in=climb_slugs)
    versions = (
        TierVersion.objects.filter(piece__climb__in=climbs)
        .with_tree()
        .order_by("piece__climb__order", "piece__order", "piece__slug", "tier")
    )
    written = []
    for climb in climbs:
        folder = directory / climb.slug
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "climb.md"
        data = ClimbData(climb.slug, climb.title, climb.order, climb.description.strip())
        path.write_text(dump_climb(data), encoding="utf-8")
        written.append(path)
        for lang in CONTENT_LANGUAGES:
            if getattr(climb, f"title_{lang}"):
                path = folder / f"climb.{lang}.md"
                title, description = (
                    getattr(climb, f"title_{lang}"),
                    getattr(climb, f"description_{lang}"),
                )
                data = ClimbData(climb.slug, title, 0, description.strip(), language=lang)
                path.write_text(dump_climb(data), encoding="utf-8")
                written.append(path)
    for version in versions:
        path = directory / version.piece.climb.slug / file_name(version)
        path.write_text(dump_version(version_data(version)), encoding="utf-8")
        written.append(path)
        for lang in CONTENT_LANGUAGES:
            if getattr(version, f"title_{lang}"):
                path = directory / version.piece.climb.slug / file_name(version, lang)
                path.write_text(dump_version(translation_data(version, lang)), encoding="utf-8")
                written.append(path)
    return written


def stale_files(directory: str | Path, written: list[Path]) -> list[Path]:
    """Lesson files in the exported climbs' folders that this export did not write: a piece
    renamed, moved to another tier or order, or deleted since they were written. The next
    import would bring each back as a piece of its own."""
    folders = {path.parent for path in written}
    keep = set(written)
    return sorted(
        path
        for folder in folders
        for path in folder.glob("*.md")
        if path not in keep
        and path.name.lower() != "readme.md"
        # Not an editor's lock or backup file (import skips them too), nor a folder.
        and not path.name.startswith(".")
        and path.is_file()
    )
