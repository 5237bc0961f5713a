"""The in-process parts of the bench: the team dashboard and search at scale.

Each generates its data with a management command (`generate_team`, `synthetic_content`)
and times it with another (`bench_team`, `bench_search`), whose table is read back here.
They run against the bench database after gunicorn has stopped, so nothing else competes.
"""

from __future__ import annotations

import re

import bench_lib as lib


def table_text(output: str) -> str:
    """The command's own output without the JSON log lines (production logs to stdout)."""
    return "\n".join(line for line in output.splitlines() if not line.startswith("{"))


def parse_table(output: str, first_column: str) -> dict:
    """Read the table a bench_* command prints: a header line starting with `first_column`,
    then one row per line, columns separated by two or more spaces (as both commands align
    them). Returns {"note": the line before the header, "columns": [...], "rows": [[...]]}.
    A bare "p95" column (bench_search has two) is named after the column before it."""
    lines = output.splitlines()
    starts = [line.split()[:1] == [first_column] for line in lines]
    if not any(starts):
        return {"note": "", "columns": [], "rows": []}
    index = starts.index(True)
    columns: list[str] = []
    for name in re.split(r"\s{2,}", lines[index].strip()):
        columns.append(f"{columns[-1]} {name}" if name == "p95" and columns else name)
    rows = []
    for row in lines[index + 1 :]:
        cells = re.split(r"\s{2,}", row.strip())
        if len(cells) == len(columns):
            rows.append(cells)
    return {"note": lines[index - 1].strip() if index else "", "columns": columns, "rows": rows}


def dashboard(env: dict[str, str]) -> dict:
    """The team dashboard at 500 members and 100,000 answers."""
    lib.log("generate_team --members 500 --answers 100000")
    made = table_text(
        lib.manage(env, "generate_team", "--members", "500", "--answers", "100000", timeout=1800)
    )
    result: dict = {"generated": made.strip().splitlines()[0] if made.strip() else ""}
    team = re.search(r"--team (\d+)", made) or re.search(r"team (\d+)", made)
    climb = re.search(r"--climb (\S+)", made)
    if team is None:
        return {**result, "skipped": f"could not read the team id from: {made[:300]}"}
    args = ["bench_team", "--team", team.group(1), "--requests", "50"]
    if climb:
        args += ["--climb", climb.group(1)]
    output = table_text(lib.manage(env, *args, timeout=1200))
    result.update(source="manage.py " + " ".join(args), table=parse_table(output, "page"))
    return result


def search(env: dict[str, str]) -> dict:
    """Search at 1,000 pieces."""
    lib.log("synthetic_content --pieces 1000")
    made = table_text(lib.manage(env, "synthetic_content", "--pieces", "1000", timeout=1800))
    result: dict = {"generated": made.strip().splitlines()[-1] if made.strip() else ""}
    args = ["bench_search", "--iterations", "100"]
    output = table_text(lib.manage(env, *args, timeout=1800))
    result.update(source="manage.py " + " ".join(args), table=parse_table(output, "query"))
    return result
