"""Lesson files: parse and write the format the README describes ("The lesson-file format").

Pure functions over text: no database, no Django. The importer turns the dataclasses (`data`)
into rows; the exporter turns rows back into the same dataclasses and calls `dump_version`.
Errors carry the file and line so that an author can fix them from the message alone.

The package's modules, each importing only those above it:
- `data`: the dataclasses, `LessonFileError`, the vocabulary and the database's lengths;
- `syntax`: lines, fences and headings, and the checks on a text the admin makes too;
- `translation`: the mark of a part not translated yet, and a translation's shape;
- `slips`: Markdown that will not show as meant (warnings);
- `frontmatter`: the YAML header and its fields;
- `body`: the sections, steps, snippets and questions;
- `writing`: a version, climb or question written back as text;
- `parsing`: a whole climb or tier-version file, and the files a path names;
- `checker`: what only a set of files shows, and the command-line checker (`__main__`).

Here is what the rest of the site uses, re-exported: import it from `lessons.lessonfile`.
The underscore names the modules import from one another are the package's own, not the
site's.
"""

from __future__ import annotations

from .body import parse_question_text
from .checker import check_together, main
from .data import (
    MAX_CHOICE,
    MAX_HEADING,
    MAX_LENGTHS,
    MAX_MARKED,
    MAX_SOURCE,
    MINUTES,
    ChoiceData,
    ClimbData,
    LessonFileError,
    QuestionData,
    SourceData,
    StepData,
    VersionData,
    counted,
)
from .parsing import MAX_FILE_BYTES, lesson_files, parse_climb, parse_file, parse_version
from .slips import markup_slips, slip_warnings
from .syntax import (
    SLUG_RE,
    explanation_problem,
    lines_of,
    markdown_problem,
    parse_marked_lines,
    prompt_problem,
    slug_example,
    strip_blank_lines,
    structure_problem,
)
from .translation import (
    UNTRANSLATED,
    mark_untranslated,
    misused_question_mark,
    translated_text,
    translation_problem,
)
from .writing import dump_climb, dump_question, dump_version

__all__ = [
    "MAX_CHOICE",
    "MAX_FILE_BYTES",
    "MAX_HEADING",
    "MAX_LENGTHS",
    "MAX_MARKED",
    "MAX_SOURCE",
    "MINUTES",
    "SLUG_RE",
    "UNTRANSLATED",
    "ChoiceData",
    "ClimbData",
    "LessonFileError",
    "QuestionData",
    "SourceData",
    "StepData",
    "VersionData",
    "check_together",
    "counted",
    "dump_climb",
    "dump_question",
    "dump_version",
    "lesson_files",
    "lines_of",
    "main",
    "mark_untranslated",
    "explanation_problem",
    "markdown_problem",
    "markup_slips",
    "misused_question_mark",
    "parse_climb",
    "parse_file",
    "parse_marked_lines",
    "parse_question_text",
    "parse_version",
    "prompt_problem",
    "slip_warnings",
    "slug_example",
    "strip_blank_lines",
    "structure_problem",
    "translated_text",
    "translation_problem",
]
