"""``python -m tools.readme_figures``: README's table of performance figures, from BENCHMARKS.md.

README shows the measured figures against their goals, but they are written by ``make
bench`` into BENCHMARKS.md only: README's table between the markers below is generated from
it, so the two cannot disagree. ``--check`` (run by ``make lint``) fails when README's table
is not what BENCHMARKS.md gives; ``make bench`` rewrites it after measuring.

A row comes from each row of a BENCHMARKS.md table that states a goal: either a column
whose header says *goal* (its cell is the verdict, or the figure that is held to it), with
every other figure of the row beside it; or a table under a sentence that states
``(goal: …)``, where the figures held to it are the ones in bold.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BENCHMARKS = ROOT / "BENCHMARKS.md"

BEGIN = "<!-- figures from BENCHMARKS.md: python -m tools.readme_figures writes them -->"
END = "<!-- end of figures from BENCHMARKS.md -->"

_BLOCK = re.compile(r"<!-- benchmark (\w+) -->\n(.*?)<!-- end of benchmark \1 -->", re.DOTALL)
_STAMP = re.compile(r"^\*Measured (\d{4}-\d{2}-\d{2})")
_COMMIT = re.compile(r" on commit `([0-9a-f]+)`")
_GOAL_SENTENCE = re.compile(r"^(?P<what>.*?)\s*\(goal: (?P<goal>[^)]*)\)")
_BOLD = re.compile(r"\*\*[^*]+\*\*")


@dataclass(frozen=True)
class Row:
    """One figure held to a goal, under the heading it was found in."""

    heading: str
    anchor: str
    when: str
    what: str
    measured: str
    goal: str


def anchor(heading: str) -> str:
    """The fragment a Markdown renderer such as GitHub's gives a heading."""
    kept = "".join(
        char
        for char in heading.strip().lower()
        if char in " -_" or unicodedata.category(char)[0] in "LN"
    )
    return kept.replace(" ", "-")


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _labels(header: list[str]) -> list[str]:
    """Column names, a repeated one (``ratio`` twice) told apart by the column before it."""
    labels = [
        f"{header[i - 1]} {name}" if header.count(name) > 1 and i else name
        for i, name in enumerate(header)
    ]
    return ["" if label == "value" else label + " " for label in labels]


def _table_rows(
    heading: str, target: str, when: str, sentence: str, table: list[str]
) -> Iterator[Row]:
    header = cells(table[0])
    labels = _labels(header)
    body = [cells(line) for line in table[2:]]
    goal_columns = [i for i, name in enumerate(header) if "goal" in name.lower()]
    stated = _GOAL_SENTENCE.match(sentence)
    for row in body:
        row = row + [""] * (len(header) - len(row))
        if goal_columns:
            g = goal_columns[-1]
            if not row[g]:
                continue  # a baseline, held to nothing
            goal = row[g] if header[g].lower() == "goal" else f"{header[g]}: {row[g]}"
            figures = [
                labels[i] + cell
                for i, cell in enumerate(row)
                if i not in (0, g) and cell and cell != "—"
            ]
            yield Row(heading, anchor(target), when, row[0], "; ".join(figures), goal)
        elif stated:
            bold = [labels[i] + cell for i, cell in enumerate(row) if _BOLD.match(cell)]
            if bold:
                what = f"{stated['what']}, {header[0]} {row[0]}"
                yield Row(heading, anchor(target), when, what, "; ".join(bold), stated["goal"])


def rows(benchmarks: str) -> list[Row]:
    """Every figure of BENCHMARKS.md that is held to a goal, in the file's order."""
    found: list[Row] = []
    for match in _BLOCK.finditer(benchmarks):
        lines = match[2].splitlines()
        when, part, heading, target, sentence = "", "", "", "", ""
        table: list[str] = []
        for line in [*lines, ""]:
            if line.startswith("|"):
                table.append(line)
                continue
            if table:
                found += _table_rows(heading, target, when, sentence, table)
                table = []
            if line.startswith("## "):
                part = heading = target = line.removeprefix("## ").strip()
            elif line.startswith("### "):  # under its part's name, up to a colon
                target = line.removeprefix("### ").strip()
                heading = part.partition(":")[0] + " — " + target
            elif stamp := _STAMP.match(line):
                commit = _COMMIT.search(line)
                when = stamp[1] + (f", commit `{commit[1]}`" if commit else "")
            elif line.strip():
                sentence = line.strip()
    return found


def table(benchmarks: str) -> str:
    """The Markdown README shows between :data:`BEGIN` and :data:`END`."""
    lines = [
        "| measured in | what | figures: median (min–max) | goal |",
        "| --- | --- | --- | --- |",
    ]
    shown = ""
    for row in rows(benchmarks):
        where = ""
        if row.heading != shown:
            shown = row.heading
            where = f"[{row.heading}](BENCHMARKS.md#{row.anchor})" + (
                f" ({row.when})" if row.when else ""
            )
        lines.append(f"| {where} | {row.what} | {row.measured} | {row.goal} |")
    return "\n".join(lines) + "\n"


def with_table(readme: str, benchmarks: str) -> str:
    """``readme`` with the part between the markers generated afresh."""
    begin, end = readme.find(BEGIN), readme.find(END)
    if begin < 0 or end < begin:
        raise ValueError(f"README.md has no {BEGIN!r} … {END!r}")
    start = begin + len(BEGIN) + 1
    return readme[:start] + table(benchmarks) + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.readme_figures", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; fail if stale")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARKS)
    args = parser.parse_args(argv)
    readme = args.readme.read_text(encoding="utf-8")
    wanted = with_table(readme, args.benchmarks.read_text(encoding="utf-8"))
    if wanted == readme:
        return 0
    if args.check:
        print(
            f"readme_figures: {args.readme.name}'s performance figures differ from "
            f"{args.benchmarks.name}; run `python -m tools.readme_figures`",
            file=sys.stderr,
        )
        return 1
    args.readme.write_text(wanted, encoding="utf-8")
    print(f"readme_figures: wrote {args.readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
