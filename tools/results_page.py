"""Write the table of the book's results page from the chapters' stored re-runs.

    python tools/results_page.py           # rewrite the table in book/results.md
    python tools/results_page.py --check   # exit 1 when the table is not what the chapters say

A chapter's ``helpers.results.beside_published`` glues one record per re-run of a published
result (``rerun_<number>``: figures, training, seeds, seconds, device). This collects the records
from the chapters' stored outputs, so that every figure on the page is what the chapters' last
full runs measured, never typed. ``tools/execute.py --mode full`` calls it after each run.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

import nbformat

from helpers import results

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "results.md"
CHAPTERS = ROOT / "chapters"
BEGIN = "<!-- the table below is written by tools/results_page.py from the chapters' outputs -->"
END = "<!-- end of the generated table -->"
RERUN = re.compile(r"rerun_(\d+)")
COLUMNS = [
    "#",
    "experiment",
    "set-up",
    "published",
    "this book",
    "difference",
    "how it ran",
    "chapter",
]


def stored_reruns(notebook: Path) -> dict[int, dict]:
    """Return the re-run records a notebook's stored outputs glue, by result number.

    Only a full-mode run's records count: quick mode trains on small subsets.
    """
    nb = nbformat.read(notebook, as_version=4)
    records = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            match = RERUN.fullmatch(output.get("metadata", {}).get("scrapbook", {}).get("name", ""))
            if match:
                # myst-nb stores a glued string as its repr: the JSON text in quotes
                text = output["data"]["application/papermill.record/text/plain"]
                try:
                    records[int(match[1])] = json.loads(ast.literal_eval(text))
                except (ValueError, SyntaxError) as error:
                    raise ValueError(
                        f"{notebook.name}: the glued {match[0]} is not a record ({error}); "
                        "re-run the chapter with tools/execute.py --mode full."
                    ) from None
    mode = nb.metadata.get("book_run", {}).get("mode")
    if records and mode != "full":
        raise ValueError(
            f"{notebook.name}'s stored outputs come from a {mode or 'unrecorded'} run, not a "
            "full-mode one; re-run it with tools/execute.py --mode full."
        )
    return records


def collect(chapters: Path = CHAPTERS) -> dict[int, tuple[Path, dict]]:
    """Return every chapter's re-runs: result number -> (notebook, record)."""
    found: dict[int, tuple[Path, dict]] = {}
    for notebook in sorted(chapters.glob("*.ipynb")):
        for number, record in stored_reruns(notebook).items():
            if number in found:
                raise ValueError(
                    f"Result {number} is re-run in both {found[number][0].name} and "
                    f"{notebook.name}; keep it in one chapter."
                )
            found[number] = (notebook, record)
    return found


def cell(text: str) -> str:
    """Return ``text`` safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def row(number: int, rerun: tuple[Path, dict] | None) -> str:
    """Return the table row of published result ``number`` beside its re-run (if any)."""
    source = results.published(number)
    cells = [str(number), source.experiment, source.setup, source.figure]
    if rerun is None:
        cells += ["**no re-run yet**"] + [""] * 3
    else:
        notebook, record = rerun
        chapter = notebook.stem
        cells += [
            record["shown"],
            results.difference(number, tuple(record["values"])),
            how_it_ran(record),
            f"{{doc}}`{int(chapter[:2])} <../chapters/{chapter}>`",
        ]
    return "| " + " | ".join(cell(text) for text in cells) + " |"


def how_it_ran(record: dict) -> str:
    """Return a re-run's training, seeds, time and device in one cell: "40 epochs · seed 42 ·
    75 s on CPU, 2 cores"."""
    seeds = record["seeds"]
    parts = [record["training"] if record["training"] != "none" else "no training"]
    if seeds:
        parts.append(f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}")
    if record["seconds"]:
        parts.append(f"{results.duration(record['seconds'])} on {record['device']}")
    return " · ".join(parts)


def table(reruns: dict[int, tuple[Path, dict]]) -> str:
    """Return the whole Markdown table: one row per published result, in number order."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += [row(number, reruns.get(number)) for number in results.PUBLISHED]
    return "\n".join(lines)


def deviations(reruns: dict[int, tuple[Path, dict]]) -> str:
    """Return, as a list, what each chapter says about how its re-run's set-up deviates from the
    source's (re-runs whose set-up is the same, "none", are left out)."""
    lines = [
        f"- **#{number}**: {record['deviation']}"
        for number, (_, record) in sorted(reruns.items())
        if record["deviation"] != "none"
    ]
    if not lines:
        return ""
    return "How the re-runs' set-ups deviate from the sources', as the chapters say:\n\n" + (
        "\n".join(lines)
    )


def render(page: str, reruns: dict[int, tuple[Path, dict]]) -> str:
    """Return ``page`` with the text between its markers replaced by the table."""
    if page.count(BEGIN) != 1 or page.count(END) != 1 or page.index(BEGIN) > page.index(END):
        raise ValueError(
            f"{PAGE.name} needs the generated table's markers once each, in order:\n{BEGIN}\n{END}"
        )
    before, rest = page.split(BEGIN)
    _, after = rest.split(END)
    generated = "\n\n".join(part for part in (table(reruns), deviations(reruns)) if part)
    return f"{before}{BEGIN}\n\n{generated}\n\n{END}{after}"


def update(write: bool = True) -> bool:
    """Bring the page's table up to date with the chapters (when ``write``); return whether it
    was out of date."""
    page = PAGE.read_text(encoding="utf-8")
    updated = render(page, collect())
    if write and updated != page:
        PAGE.write_text(updated, encoding="utf-8")
    return updated != page


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="only check that the page is up to date"
    )
    args = parser.parse_args()
    stale = update(write=not args.check)
    if args.check and stale:
        print(f"{PAGE} is not what the chapters' outputs say; run tools/results_page.py.")
        return 1
    print(f"{PAGE}: {'rewritten' if stale else 'up to date'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
