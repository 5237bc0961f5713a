"""Load lesson files into the database (`manage.py import_lessons`, and the demo climb).

Every file is parsed and checked before the database is touched, and the whole run is one
transaction: a bad file changes nothing. Rows are matched by their natural keys (climb slug,
piece slug, tier, step position) and only saved when a field differs, so a second run of the
same files writes nothing. Nothing a learner did is ever deleted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import ngettext

from climb.learning.models import uncleared_by_edit

from .exporter import version_data
from .lessonfile import (
    ChoiceData,
    ClimbData,
    LessonFileError,
    QuestionData,
    VersionData,
    check_together,
    counted,
    lesson_files,
    parse_file,
    slip_warnings,
    translated_text,
    translation_problem,
)
from .matching import match_choices, match_steps, reordered_translation
from .models import (
    Choice,
    Climb,
    Piece,
    Question,
    Source,
    Status,
    Step,
    Tier,
    TierVersion,
    lock_content,
)

DEMO_CONTENT = Path(__file__).resolve().parent / "content"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    # Translation files whose text was written into their original's rows: on a new
    # database they are "translated", not "updated" (nothing was there to update).
    translated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What a file changed of its stored piece, by the file's path: "piece x moved from 30
    # to 35". A file copied for a new piece with its `piece:` left as it was updates that
    # piece; said only as "updated", the author did not notice the old piece had moved.
    piece_changes: dict[str, str] = field(default_factory=dict)

    def line(self, label: str, path: str) -> str:
        """The command's line for one file: 'updated: <path>', and what it did to its
        piece, if anything, in brackets."""
        change = self.piece_changes.get(path)
        return f"{label}: {path} ({change})" if change else f"{label}: {path}"

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.translated)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.translated)} translated, {len(self.unchanged)} unchanged"
        )


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    return [file for path in paths for file in lesson_files(path)]


def parse_files(files: list[Path]) -> tuple[list[ClimbData], list[VersionData]]:
    climbs: list[ClimbData] = []
    versions: list[VersionData] = []
    for path in files:
        parsed = parse_file(path)
        (climbs if isinstance(parsed, ClimbData) else versions).append(parsed)
    stored = Climb.objects.filter(slug__in={v.climb for v in versions})
    check_together(climbs, versions, set(stored.values_list("slug", flat=True)))
    return climbs, versions


def _assign(instance, **values) -> bool:
    """Set the fields that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def import_paths(paths: Iterable[str | Path]) -> ImportReport:
    files = collect_files(paths)
    climbs, versions = parse_files(files)
    report = ImportReport()
    with transaction.atomic():
        # Two imports at once each read a version's choices before the other's were
        # written, and both added the "new" one: a doubled choice on PostgreSQL.
        lock_content()
        for climb_data in sorted(climbs, key=lambda c: c.language != "en"):
            _import_climb(climb_data, report)
        slugs = {v.climb for v in versions}
        climbs_by_slug = {c.slug: c for c in Climb.objects.filter(slug__in=slugs)}
        before = _choice_translations(versions)
        earlier = _stored_originals(versions)
        for version_data in versions:
            if version_data.language == "en":
                _import_version(climbs_by_slug[version_data.climb], version_data, report)
        # Translations after the originals they follow, which may be new in this run.
        for version_data in versions:
            if version_data.language != "en":
                key = (version_data.climb, version_data.piece, version_data.tier)
                _import_translation(version_data, report, before, earlier.get(key))
        report.warnings += _left_out(climbs, versions)
    report.warnings += slip_warnings(versions)
    return report


def _choice_translations(versions: list[VersionData]) -> dict[tuple[int, str], set[str]]:
    """The translated texts of each question's choices, by (question, language), before this
    import changes the English: see `translate_question`'s `stale`."""
    found: dict[tuple[int, str], set[str]] = {}
    for lang in {v.language for v in versions if v.language != "en"}:
        slugs = {v.climb for v in versions if v.language == lang}
        rows = (
            Choice.objects.filter(question__step__version__piece__climb__slug__in=slugs)
            .exclude(**{f"text_{lang}": ""})
            .values_list("question_id", f"text_{lang}")
        )
        for question, text in rows:
            found.setdefault((question, lang), set()).add(text)
    return found


def _stored_originals(versions: list[VersionData]) -> dict[tuple[str, str, str], VersionData]:
    """The stored originals of this import's translations whose English file it imports
    too, as they are before it changes them: a part that an earlier export marked as not
    translated yet holds the English of then, which is still "not translated", not a
    translation (`translation_problem`'s `earlier`)."""
    english = {(v.climb, v.piece, v.tier) for v in versions if v.language == "en"}
    wanted = {(v.climb, v.piece, v.tier) for v in versions if v.language != "en"} & english
    if not wanted:
        return {}
    query = Q()
    for climb, piece, tier in wanted:
        query |= Q(piece__climb__slug=climb, piece__slug=piece, tier=Tier.from_slug(tier))
    stored = (
        TierVersion.objects.filter(query)
        .select_related("piece__climb")
        .prefetch_related("steps__question__choices", "sources")
    )
    return {
        (version.piece.climb.slug, version.piece.slug, Tier(version.tier).slug): version_data(
            version
        )
        for version in stored
    }


def _left_out(climbs: list[ClimbData], versions: list[VersionData]) -> list[str]:
    """Warnings for the published tier versions stored in a climb this import holds whole
    (its climb.md is in it) that none of its files names (a draft is the admin's own work).
    A file renamed to another piece slug, or moved to another climb, makes a new piece
    beside the old one (answers stay on the old one, and the climb lists both): nothing
    else would say so."""
    whole = {climb.slug for climb in climbs if climb.language == "en"}
    named = {(v.climb, v.piece, int(Tier.from_slug(v.tier))) for v in versions}
    stored = (
        TierVersion.objects.published()
        .filter(piece__climb__slug__in=whole)
        .order_by("piece__climb__slug", "piece__order", "piece__slug", "tier")
        .values_list("piece__climb__slug", "piece__slug", "tier")
    )
    return [
        f"{climb}/{piece} at {Tier(tier).label}: stored, but in none of these files. A file "
        "given another piece slug or climb makes a new piece beside it: rename or move a "
        "piece in the admin (it keeps its answers and old address), then export_lessons. "
        "If it is gone for good, unpublish or delete it in the admin."
        for climb, piece, tier in stored
        if (climb, piece, tier) not in named
    ]


def _import_climb(data: ClimbData, report: ImportReport) -> None:
    climb = Climb.objects.filter(slug=data.slug).first()
    if data.language != "en":
        if climb is None:
            raise LessonFileError(
                data.path, data.line("slug"), f"a translation of unknown climb {data.slug!r}"
            )
        lang = data.language
        fields = {f"title_{lang}": data.title, f"description_{lang}": data.description}
        if _assign(climb, **fields):
            climb.save()
            report.translated.append(data.path)
        else:
            report.unchanged.append(data.path)
        return
    values = {"title": data.title, "order": data.order, "description": data.description}
    if climb is None:
        Climb.objects.create(slug=data.slug, **values)
        report.created.append(data.path)
    elif _assign(climb, **values):
        climb.save()
        report.updated.append(data.path)
    else:
        report.unchanged.append(data.path)


def _import_version(climb: Climb, data: VersionData, report: ImportReport) -> None:
    piece, created = Piece.objects.get_or_create(
        climb=climb, slug=data.piece, defaults={"order": data.order}
    )
    changed = created
    order_before = piece.order
    if _assign(piece, order=data.order):
        piece.save()
        changed = True
        report.piece_changes[data.path] = (
            f"piece {piece.slug} moved from {order_before} to {piece.order}"
        )
    tier = Tier.from_slug(data.tier)
    version = TierVersion.objects.filter(piece=piece, tier=tier).first()
    values = {
        "title": data.title,
        "crux": data.crux,
        "minutes": data.minutes,
        "intro": data.intro,
        "goal": data.goal,
        "recap": data.recap,
        "status": Status(data.status),
    }
    if version is None:
        version = TierVersion.objects.create(piece=piece, tier=tier, **values)
        created = changed = True
    elif _assign(version, **values):
        version.save()
        changed = True
    changed |= _import_sources(version, data)
    steps_changed, questions_before = _import_steps(version, data)
    if steps_changed:
        changed = True
        lost, cleared = uncleared_by_edit(version.pk, questions_before)
        if lost:
            report.warnings.append(uncleared_warning(data.path, lost, cleared))
    if created or changed:
        (report.created if created else report.updated).append(data.path)
    else:
        report.unchanged.append(data.path)


def uncleared_warning(where: str, lost: int, cleared: int) -> str:
    return ngettext(
        "%(where)s: %(lost)d of the %(cleared)d learners who had cleared it no longer has: "
        "a new question must be answered first, and their altitude may drop until then.",
        "%(where)s: %(lost)d of the %(cleared)d learners who had cleared it no longer have: "
        "a new question must be answered first, and their altitude may drop until then.",
        lost,
    ) % {"where": where, "lost": lost, "cleared": cleared}


def _import_translation(
    data: VersionData,
    report: ImportReport,
    before: dict[tuple[int, str], set[str]],
    earlier: VersionData | None = None,
) -> None:
    """Fill the *_<language> columns of an existing version from its translation file.

    The translation must have the original's shape: the same steps, questions, choices and
    correct choice, so that every answer means the same in both languages.
    """
    lang = data.language
    version = (
        TierVersion.objects.filter(
            piece__climb__slug=data.climb, piece__slug=data.piece, tier=Tier.from_slug(data.tier)
        )
        .select_related("piece__climb")
        .prefetch_related("steps__question__choices", "sources")
        .first()
    )
    if version is None:
        raise LessonFileError(
            data.path,
            data.line("piece"),
            f"a translation of piece {data.piece!r} at tier {data.tier}, which does not exist: "
            "import the original file too",
        )
    sources = sorted(version.sources.all(), key=lambda s: (s.position, s.pk))
    notes = data.source_notes or [""] * len(sources)
    steps = sorted(version.steps.all(), key=lambda s: (s.position, s.pk))
    # A reorder of the original's steps is said as such: it also puts them out of shape.
    moved = None
    if len(steps) == len(data.steps):
        moved = reordered_translation(
            [getattr(step, f"heading_{lang}") for step in steps], data.steps, "heading"
        )
    problem = translation_problem(version_data(version), data, earlier)
    if problem and not moved:
        raise LessonFileError(data.path, *problem)
    if moved:
        here, there = moved
        raise LessonFileError(
            data.path,
            data.steps[here].line,
            f"step {here + 1} ({data.steps[here].heading!r}) translates what is now step "
            f"{there + 1} of the original ({steps[there].heading!r}): the original's steps "
            "were reordered; put the translation's steps in the same order",
        )
    # A part marked as not translated yet (the export of a version whose English moved
    # ahead: lessonfile.UNTRANSLATED) stays without its translation. Only the mark, or the
    # mark and the English: translation_problem refused a translated text left marked.
    changed = _assign(
        version,
        **{
            f"title_{lang}": data.title,
            f"crux_{lang}": translated_text(data.crux),
            f"intro_{lang}": translated_text(data.intro),
            f"goal_{lang}": translated_text(data.goal),
            f"recap_{lang}": translated_text(data.recap),
        },
    )
    if changed:
        version.save()
    for source, note in zip(sources, notes, strict=True):
        if _assign(source, **{f"note_{lang}": note}):
            source.save(update_fields=[f"note_{lang}"])
            changed = True
    for number, (step, step_data) in enumerate(zip(steps, data.steps, strict=True), start=1):
        where = f"step {number} ({step_data.heading!r})"
        if _assign(
            step,
            **{
                f"heading_{lang}": translated_text(step_data.heading),
                f"prose_{lang}": step_data.prose,
                f"code_{lang}": step_data.code,
                f"prose_after_{lang}": step_data.prose_after,
            },
        ):
            step.save()
            changed = True
        question = getattr(step, "question", None)
        if question is None:  # as in the translation: translation_problem checked it
            continue
        choices = list(question.choices.all())
        moved = reordered_translation(
            [getattr(c, f"text_{lang}") for c in choices], step_data.question.choices
        )
        if moved:
            here, there = moved
            raise LessonFileError(
                data.path,
                step_data.question.choices[here].line,
                f"{where}: choice {here + 1} translates what is now choice {there + 1} of the "
                f"original ({choices[there].text!r}): the original's choices were reordered; "
                "put the translation's choices in the same order",
            )
        stale = before.get((question.pk, lang), set())
        changed |= translate_question(step, step_data.question, lang, stale)
    (report.translated if changed else report.unchanged).append(data.path)


def translate_question(
    step: Step, data: QuestionData | None, lang: str = "ru", stale: Collection[str] = ()
) -> bool:
    """Fill the question's and its choices' *_<lang> columns from `data` (the original's
    shape: the caller checked it), or empty them for None. Returns whether anything changed.

    A choice with no translation yet is not given one of `stale`, the translations its
    question's choices had before the import: the English rewrote that choice (a new row,
    `match_choices`) and the translation file, paired by position, still holds the
    translation of the one it replaced. Taken, it read as the new choice's translation,
    and the translation as up to date; left out, the translation is behind, naming it."""
    question = getattr(step, "question", None)
    if question is None or question.pk is None:  # none, or just removed by sync_question
        return False
    choices = list(question.choices.all())
    wanted = data.choices if data is not None else [ChoiceData("", False, "")] * len(choices)
    changed = False
    prompt = translated_text(data.prompt) if data is not None else ""
    if _assign(question, **{f"prompt_{lang}": prompt}):
        question.save()
        changed = True
    for choice, choice_data in zip(choices, wanted, strict=True):
        if not getattr(choice, f"text_{lang}") and choice_data.text in stale:
            continue
        if _assign(
            choice,
            **{
                f"text_{lang}": translated_text(choice_data.text),
                f"explanation_{lang}": translated_text(choice_data.explanation),
            },
        ):
            choice.save()
            changed = True
    return changed


def _import_sources(version: TierVersion, data: VersionData) -> bool:
    existing = list(version.sources.order_by("position", "id"))
    wanted = [(s.title, s.url, s.note) for s in data.sources]
    if [(s.title, s.url, s.note) for s in existing] == wanted:
        return False
    version.sources.all().delete()  # sources hold nothing of a learner's
    Source.objects.bulk_create(
        Source(version=version, position=i, title=t, url=u, note=n)
        for i, (t, u, n) in enumerate(wanted)
    )
    return True


def _import_steps(version: TierVersion, data: VersionData) -> tuple[bool, int]:
    """Match steps by heading (a renamed one in place: `match_steps`) and update them.
    Returns whether anything changed, and how many questions the version had before.

    A step or question that learners answered is never deleted: removing one is refused with
    an error, so the author decides (keep it, or move it to a new piece).
    """
    changed = False
    existing = list(
        version.steps.select_related("question")
        .prefetch_related("question__choices")
        .annotate(answer_count=Count("question__answers"))
        .order_by("position", "id")
    )
    questions_before = sum(1 for step in existing if hasattr(step, "question"))
    matched = match_steps(existing, [step_data.heading for step_data in data.steps])
    leftovers = [step for step in existing if step not in matched]
    for step in leftovers:
        if step.answer_count:
            answers = counted(step.answer_count, "answer")
            raise LessonFileError(
                data.path,
                _line_after(step, existing, matched, data),
                f"the step {step.heading!r}, which stood before this line, is gone from the "
                f"file, but learners answered its question ({answers}): "
                "keep the step, or give it a new heading in place (with the steps around it "
                "unchanged) instead of removing it",
            )
    for position, (step, step_data) in enumerate(zip(matched, data.steps, strict=True)):
        values = {
            "position": position,
            "heading": step_data.heading,
            "prose": step_data.prose,
            "language": step_data.language,
            "code": step_data.code,
            "marked_lines": step_data.marked_lines,
            "prose_after": step_data.prose_after,
        }
        if step is None:
            step = Step.objects.create(version=version, **values)
            step.answer_count = 0
            changed = True
        elif _assign(step, **values):
            step.save()
            changed = True
        changed |= sync_question(step, step_data.question, data.path, step_data.line)
    for leftover in leftovers:
        leftover.delete()
        changed = True
    return changed, questions_before


def _line_after(
    removed: Step, existing: list[Step], matched: list[Step | None], data: VersionData
) -> int | None:
    """The line of the file where a removed step would be put back: the heading of the first
    step that came after it and is still in the file, or '## Recap' if none did. The file no
    longer has the step, so that is the one place in it an author can act on."""
    later = existing[existing.index(removed) + 1 :]
    for step_data, step in zip(data.steps, matched, strict=True):
        if step is not None and step in later:
            return step_data.line
    return data.line("## recap")


def sync_question(
    step: Step, data: QuestionData | None, path: str = "", line: int | None = None
) -> bool:
    """Create, update or remove the step's question. Answers keep the revision they saw.

    `line` is the step's heading in the file: the step is still there, so that is where an
    author puts an answered question back."""
    question = getattr(step, "question", None)
    if data is None:
        if question is None:
            return False
        if getattr(step, "answer_count", 0) or question.answers.exists():
            raise LessonFileError(
                path,
                line,
                f"the question of step {step.heading!r} is gone from the file, "
                "but learners answered it: keep the question",
            )
        question.delete()
        return True
    changed = False
    if question is None:
        question = Question.objects.create(step=step, prompt=data.prompt)
        changed = True
    elif _assign(question, prompt=data.prompt):
        question.save()
        changed = True
    current = list(question.choices.all())
    wanted = [(c.text, c.is_correct, c.explanation) for c in data.choices]
    if [(c.text, c.is_correct, c.explanation) for c in current] == wanted:
        return changed
    # Clear the correct flag first so the one-correct constraint holds at every statement.
    question.choices.filter(is_correct=True).update(is_correct=False)
    matched = match_choices(current, [(text, is_correct) for text, is_correct, _ in wanted])
    leftovers = [choice for choice in current if choice not in matched]
    for position, (choice, (text, is_correct, explanation)) in enumerate(
        zip(matched, wanted, strict=True)
    ):
        if choice is None:
            Choice.objects.create(
                question=question,
                position=position,
                text=text,
                is_correct=is_correct,
                explanation=explanation,
            )
        else:
            choice.is_correct = False
            _assign(
                choice,
                position=position,
                text=text,
                explanation=explanation,
                is_correct=is_correct,
            )
            choice.save()
    for leftover in leftovers:
        leftover.delete()
    return True
