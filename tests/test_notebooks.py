"""Checks of the committed chapter notebooks (nbval re-runs them; these check what is stored)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
import colab

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TRAINING = re.compile(r"\.fit\(|helpers\.training\.(train|compare)\(")
MAX_STREAM_LINES = 60
MAX_CODE_COLUMNS = 79  # what the book's code boxes show without scrolling; `make format` wraps


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def outputs(nb: nbformat.NotebookNode):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from ((cell, output) for output in cell.outputs)


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def test_there_are_chapters():
    assert CHAPTERS, "chapters/ holds no notebook"


@pytest.fixture(params=CHAPTERS, ids=lambda path: path.name)
def chapter(request) -> Path:
    return request.param


def test_every_chapter_is_in_the_table_of_contents(chapter):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = {entry["file"] for part in toc["parts"] for entry in part["chapters"]}
    assert f"chapters/{chapter.stem}" in files


def test_every_code_cell_was_executed_without_errors(chapter):
    nb = read(chapter)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(
        cell.execution_count is not None for cell in code
    ), "run tools/execute.py before committing"
    counts = [cell.execution_count for cell in code]
    assert counts == list(
        range(1, len(code) + 1)
    ), "cells were run out of order; re-run the whole notebook"
    assert not [o for _, o in outputs(nb) if o.output_type == "error"]


def test_committed_outputs_come_from_a_full_run(chapter):
    setup = next(cell for cell in read(chapter).cells if cell.cell_type == "code")
    text = "".join(o.get("text", "") for o in setup.outputs)
    assert (
        "mode        full" in text
    ), "commit the outputs of `make execute` (full mode), not of a quick run"


def test_outputs_read_well_on_the_page(chapter):
    for cell, output in outputs(read(chapter)):
        text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        assert not ANSI.search(text), f"ANSI escape codes in the output of:\n{cell.source[:200]}"
        assert (
            "\r" not in text
        ), f"progress-bar carriage returns in the output of:\n{cell.source[:200]}"
        if output.output_type == "stream":
            assert (
                text.count("\n") <= MAX_STREAM_LINES
            ), f"an output of over {MAX_STREAM_LINES} lines:\n{cell.source[:200]}"
    assert not [
        o for _, o in outputs(read(chapter)) if o.output_type == "stream" and o.name == "stderr"
    ], "stderr in the stored outputs: silence the warning at its source"


def test_code_fits_the_page_without_scrolling(chapter):
    long_lines = [
        line
        for cell in read(chapter).cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > MAX_CODE_COLUMNS
    ]
    assert (
        not long_lines
    ), f"lines over {MAX_CODE_COLUMNS} columns (run `make format`): {long_lines[:3]}"


def test_training_cells_are_excluded_from_strict_comparison(chapter):
    for cell in read(chapter).cells:
        if cell.cell_type == "code" and TRAINING.search(cell.source) and "def " not in cell.source:
            assert "nbval-ignore-output" in tags(
                cell
            ), f"training cell without nbval-ignore-output:\n{cell.source[:200]}"


def test_chapter_opens_with_title_colab_badge_and_setup(chapter):
    nb = read(chapter)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert colab.problems(chapter) == []
    first_code = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert "import helpers" in first_code.source and "helpers.setup(" in first_code.source
    assert "if (" not in first_code.source, "the setup cell should read as plain Python"


def test_prose_quotes_only_glued_numbers_that_exist(chapter):
    nb = read(chapter)
    glued = {
        o.metadata["scrapbook"]["name"]
        for _, o in outputs(nb)
        if "scrapbook" in o.get("metadata", {})
    }
    quoted = {
        m
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for m in re.findall(r"\{glue:\w+\}`([\w]+)", cell.source)
    }
    assert quoted <= glued, f"prose quotes numbers no cell glued: {sorted(quoted - glued)}"


def test_kernel_is_plain_python3(chapter):
    assert read(chapter).metadata["kernelspec"]["name"] == "python3"


# The chapter contract (CONTRIBUTING.md): its mechanical parts.
EXERCISE_HEADING = re.compile(r"^### Exercise (\d+)", re.MULTILINE)
SOLUTION_DROPDOWN = re.compile(r"^(:::|```)\{dropdown\} Solution", re.MULTILINE)


def exercise_section(nb: nbformat.NotebookNode) -> list:
    """Return the cells from the '## Exercises' heading to the next '## ' heading."""
    start = next(
        (
            i
            for i, c in enumerate(nb.cells)
            if c.cell_type == "markdown" and c.source.startswith("## Exercises")
        ),
        None,
    )
    assert (
        start is not None
    ), "no '## Exercises' section (CONTRIBUTING.md: 3-6 exercises with solutions)"
    section = [nb.cells[start]]
    for cell in nb.cells[start + 1 :]:
        if cell.cell_type == "markdown" and re.match(r"## ", cell.source):
            break
        section.append(cell)
    return section


def is_solution(cell) -> bool:
    if cell.cell_type == "code":
        return "hide-cell" in tags(cell)
    return bool(SOLUTION_DROPDOWN.search(cell.source))


def test_chapter_ends_with_exercises_whose_solutions_stay_collapsed(chapter):
    exercises: list[list] = []  # the cells after each '### Exercise N' heading
    numbers = []
    for cell in exercise_section(read(chapter)):
        heading = EXERCISE_HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            numbers.append(int(heading.group(1)))
            exercises.append([])
        elif exercises:
            exercises[-1].append(cell)
    assert 3 <= len(exercises) <= 6, f"{len(exercises)} '### Exercise N' headings; write 3 to 6"
    assert numbers == list(range(1, len(numbers) + 1)), f"exercises numbered {numbers}"
    for number, cells in enumerate(exercises, start=1):
        assert any(is_solution(c) for c in cells), (
            f"exercise {number} has no collapsed solution: a code cell tagged hide-cell, "
            "or a ':::{dropdown} Solution' block"
        )
        for cell in cells:
            if cell.cell_type == "code":
                assert "hide-cell" in tags(
                    cell
                ), f"exercise {number}: a solution cell shows before the reader asks; tag it hide-cell"
    assert any(
        c.cell_type == "code" for cells in exercises for c in cells
    ), "no runnable solution: at least one exercise should be solved in code"


def test_scaffolding_is_tagged_so_the_page_reads_cleanly(chapter):
    for cell in read(chapter).cells:
        if cell.cell_type != "code":
            continue
        source, cell_tags = cell.source, tags(cell)
        if "helpers.results.glue(" in source:
            assert (
                "remove-input" in cell_tags
            ), f"glue cell not tagged remove-input:\n{source[:200]}"
        if source.startswith("# extra code"):
            assert {"hide-input", "remove-input", "hide-cell"} & set(
                cell_tags
            ), f"'# extra code' cell not tagged hide-input or remove-input:\n{source[:200]}"
        if "save_fig(" in source and "def " not in source:
            assert source.startswith(
                "# extra code"
            ), f"a cell that draws a book figure should start with '# extra code':\n{source[:200]}"


def test_every_figure_has_a_numbered_caption(chapter):
    for cell in read(chapter).cells:
        if cell.cell_type != "code":
            continue
        if any("image/png" in o.get("data", {}) for o in cell.outputs):
            figure = cell.metadata.get("mystnb", {}).get("figure", {})
            assert figure.get("caption") and str(figure.get("name", "")).startswith("fig-"), (
                "a figure without a caption: set the cell's metadata "
                '{"mystnb": {"figure": {"caption": "...", "name": "fig-..."}}}:\n'
                + cell.source[:200]
            )


def test_every_glued_number_is_visible_without_the_book(chapter):
    for cell, output in outputs(read(chapter)):
        record = output.get("metadata", {}).get("scrapbook")
        if record and record.get("mime_prefix"):  # recorded for the book, not displayed
            shown = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert (
                f"{record['name']} = " in shown
            ), f"glued {record['name']!r} is not printed; use helpers.results.glue, which prints it"


def test_no_widget_state_is_stored(chapter):
    """Explorers leave a static figure; stored widget state would pull scripts from a CDN."""
    assert "widgets" not in read(chapter).metadata, "run tools/execute.py, which stores none"
