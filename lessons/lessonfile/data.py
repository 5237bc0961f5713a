"""What a lesson file holds: the dataclasses the parser fills and the writer reads, the
error that says where a file is wrong, the format's fixed vocabulary (tiers, statuses,
languages) and the lengths the database's columns hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TIERS = ("zero", "junior", "middle", "senior")
STATUSES = ("draft", "published")
TRANSLATION_LANGUAGES = ("ru",)


class LessonFileError(ValueError):
    """A problem in a lesson file, located precisely enough to fix."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class ChoiceData:
    text: str
    is_correct: bool
    explanation: str
    line: int | None = field(default=None, compare=False)  # of '- [ ] ...', in a file


@dataclass
class QuestionData:
    prompt: str
    choices: list[ChoiceData]
    line: int | None = field(default=None, compare=False)  # of '### Question', in a file


@dataclass
class StepData:
    heading: str
    prose: str = ""  # Markdown before the snippet
    language: str = ""
    code: str = ""
    marked_lines: str = ""
    prose_after: str = ""  # Markdown between the snippet and the question
    question: QuestionData | None = None
    line: int | None = field(default=None, compare=False)  # of '## Step: ...', in a file


@dataclass
class SourceData:
    title: str
    url: str
    note: str = ""


@dataclass
class VersionData:
    """One tier version of one piece, as one lesson file holds it."""

    climb: str
    piece: str
    order: int
    tier: str
    title: str
    crux: str
    minutes: int
    intro: str
    goal: str
    recap: str
    steps: list[StepData] = field(default_factory=list)
    sources: list[SourceData] = field(default_factory=list)
    # A translation's notes to the original's sources, one per source in its order ("" for
    # one left in the original's words); titles and addresses are the original's.
    source_notes: list[str] = field(default_factory=list)
    status: str = "published"
    language: str = "en"  # "ru": a translation of the English file with the same piece and tier
    path: str = field(default="", compare=False)
    # Where the front matter's keys are, for errors only the whole import finds (a duplicate
    # piece and tier, an unknown climb).
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    # (line, what) of Markdown that will show as typed: warnings, see markup_slips().
    slips: list[tuple[int, str]] = field(default_factory=list, compare=False)

    def line(self, key: str) -> int | None:
        return self.lines.get(key)


@dataclass
class ClimbData:
    slug: str
    title: str
    order: int
    description: str
    language: str = "en"
    path: str = field(default="", compare=False)
    # Where the front matter's keys are, for errors only the whole import finds (a slug
    # used twice, a translation of a climb that does not exist).
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def line(self, key: str) -> int | None:
        return self.lines.get(key)


# What the database holds (lessons.models): longer text would fail there, not here.
MAX_LENGTHS = {"title": 200, "crux": 300, "slug": 50, "climb": 50, "piece": 50}
MAX_HEADING, MAX_MARKED, MAX_CHOICE = 200, 200, 500
MAX_SOURCE = {"title": 300, "url": 500, "note": 300}


def counted(number: int, noun: str) -> str:
    """'1 step', '2 steps': the lesson-file errors are English f-strings, not translated."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _at_most(value: str, limit: int, what: str, path, line: int | None) -> str:
    """`value`, or the file and line of text longer than its database column holds (on
    PostgreSQL the import failed there with neither; SQLite stored it whole)."""
    if len(value) > limit:
        raise LessonFileError(
            path, line, f"{what} is {len(value)} characters long: at most {limit}"
        )
    return value


MAX_WHOLE_NUMBER = 2_147_483_647  # a PositiveIntegerField on PostgreSQL
MINUTES = (1, 240)  # a tier version's honest reading and answering time (a database check)
