"""Writing back: the canonical text of a climb, a tier version and a question, which
parses again to the same data (what the exporter writes)."""

from __future__ import annotations

import json
import re

from .data import ClimbData, QuestionData, VersionData
from .syntax import lines_of


def dump_question(question: QuestionData) -> str:
    parts = [question.prompt, ""]
    for choice in question.choices:
        mark = "x" if choice.is_correct else " "
        parts.append(f"- [{mark}] {choice.text}\n{_indent(choice.explanation)}")
    return "\n".join(parts) + "\n"


def _indent(text: str) -> str:
    return "\n".join(("  " + line) if line else "" for line in lines_of(text))


def dump_climb(climb: ClimbData) -> str:
    if climb.language != "en":
        meta = {"slug": climb.slug, "language": climb.language, "title": climb.title}
    else:
        meta = {"slug": climb.slug, "title": climb.title, "order": climb.order}
    return _front_matter(meta) + (climb.description.strip() + "\n" if climb.description else "")


PLAIN_SCALAR = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.()/+-]*$")
YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def _scalar(value) -> str:
    """A YAML scalar written the way an author would: plain when safe, else double-quoted.

    A JSON string is a valid YAML double-quoted scalar, and never folds across lines.
    """
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if PLAIN_SCALAR.match(text) and text.lower() not in YAML_WORDS and not text.endswith(" "):
        return text
    if re.fullmatch(r"https?://[^\s#'\"]+", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _front_matter(meta: dict) -> str:
    lines = ["---"]
    for key, value in meta.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            for item in value:
                if not isinstance(item, dict):  # a list of texts (source_notes)
                    lines.append(f"  - {_scalar(item)}")
                    continue
                prefix = "  - "
                for item_key, item_value in item.items():
                    lines.append(f"{prefix}{item_key}: {_scalar(item_value)}")
                    prefix = "    "
        else:
            lines.append(f"{key}: {_scalar(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def dump_version(version: VersionData) -> str:
    """The canonical text of a tier version: parse(dump(v)) == v and dump is stable."""
    if version.language != "en":
        meta: dict = {
            "climb": version.climb,
            "piece": version.piece,
            "tier": version.tier,
            "language": version.language,
            "title": version.title,
            "crux": version.crux,
        }
    else:
        meta = {
            "climb": version.climb,
            "piece": version.piece,
            "order": version.order,
            "tier": version.tier,
            "title": version.title,
            "crux": version.crux,
            "minutes": version.minutes,
        }
    if version.status != "published":
        meta["status"] = version.status
    if version.source_notes:
        meta["source_notes"] = list(version.source_notes)
    if version.sources:
        meta["sources"] = [
            {"title": s.title, "url": s.url, **({"note": s.note} if s.note else {})}
            for s in version.sources
        ]
    parts = [_front_matter(meta)]
    parts.append(f"\n## Intro\n\n{version.intro}\n\n## Goal\n\n{version.goal}\n")
    for step in version.steps:
        parts.append(f"\n## Step: {step.heading}\n")
        if step.prose:
            parts.append(f"\n{step.prose}\n")
        if step.code:
            options = f" mark={step.marked_lines}" if step.marked_lines else ""
            # Longer than any run of backticks in the code, or a line of them closes it.
            longest = max((len(run) for run in re.findall(r"`+", step.code)), default=0)
            fence = "`" * max(3, longest + 1)
            parts.append(f"\n{fence}{step.language}{options}\n{step.code}\n{fence}\n")
        if step.prose_after:
            parts.append(f"\n{step.prose_after}\n")
        if step.question:
            parts.append(f"\n### Question\n\n{dump_question(step.question)}")
    parts.append(f"\n## Recap\n\n{version.recap}\n")
    return "".join(parts)
