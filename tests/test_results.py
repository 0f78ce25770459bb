"""Tests of helpers.results: the published figures, the comparison table and glue."""

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers import results

#: The maintainers' table of published results, beside the repository (readers' clones lack it).
SEED_RESULTS = Path(__file__).resolve().parents[1].parent / "shared" / "seed_results.md"


def test_published_results_are_numbered_1_to_20():
    assert list(results.PUBLISHED) == list(range(1, 21))
    assert all(number == result.number for number, result in results.PUBLISHED.items())


def test_published_values_are_the_figures_printed():
    for result in results.PUBLISHED.values():
        if result.value is not None:
            assert 0 < result.value < 1
            assert str(result.value) in result.figure


def test_published_returns_one_result():
    result = results.published(1)
    assert result is results.PUBLISHED[1]
    assert (result.experiment, result.figure, result.value) == (
        "leaky ReLU MLP",
        "valid 0.9786 (epoch 35)",
        0.9786,
    )


@pytest.mark.parametrize("number", [0, 21, 99])
def test_published_rejects_numbers_that_do_not_exist(number):
    with pytest.raises(
        KeyError, match=f"There is no published result #{number}; they are numbered 1 to 20"
    ):
        results.published(number)


def test_published_results_cannot_be_changed():
    with pytest.raises(dataclasses.FrozenInstanceError):
        results.published(1).value = 0.99


def test_beside_published_puts_reruns_next_to_the_sources():
    reruns = {
        1: ("valid, epoch 35", 0.98, "none"),
        4: ("valid", 0.95, "He initialization"),
        15: ("output", "[[61, 83, 105]]", "none"),
        16: ("mean", 0.01, "none"),
    }
    table = results.beside_published(reruns)
    assert list(table.index) == [1, 4, 15, 16]
    assert list(table.columns) == [
        "experiment",
        "published",
        "this book",
        "difference",
        "deviation from the source",
    ]
    assert table.loc[1].tolist() == [
        "leaky ReLU MLP",
        "valid 0.9786 (epoch 35)",
        "valid, epoch 35 0.9800",
        "+0.0014",
        "none",
    ]
    assert table.loc[4, "deviation from the source"] == "He initialization"
    assert table.loc[4, "difference"] == "-0.0114"
    assert table.loc[15, "this book"] == "output [[61, 83, 105]]"
    assert (
        table.loc[15, "difference"] == table.loc[16, "difference"] == ""
    )  # no published number to compare


def test_beside_published_shows_no_negative_zero_for_a_float32_match():
    table = results.beside_published({17: ("test", float(np.float32(0.098)), "none")})
    assert table.loc[17, "difference"] == "+0.0000"


def test_beside_published_shows_a_long_deviation_whole():
    deviation = "starts from chapter 7's re-run of #4 (other random weights, other batch order)"
    table = results.beside_published({5: ("valid, epoch 19", 0.9682, deviation)})
    assert deviation in repr(table)  # pandas alone cuts a cell at 50 characters
    assert deviation in table._repr_html_()
    assert len(repr(table).splitlines()) == 3  # one block: header, index name, one row


def test_beside_published_rejects_an_unknown_result():
    with pytest.raises(KeyError, match="no published result #42"):
        results.beside_published({42: ("valid", 0.9, "none")})


@pytest.mark.parametrize("rerun", [("valid", 0.9), ("valid", 0.9, ""), ("valid", 0.9, "  ")])
def test_beside_published_wants_the_deviation_named(rerun):
    with pytest.raises(ValueError, match="deviation from the source's set-up"):
        results.beside_published({1: rerun})


def test_glue_without_myst_nb_still_shows_the_value(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # as on Colab, where myst-nb is not installed
    results.glue("accuracy", 0.978643211)
    results.glue("ratio", np.float32(1.25e-6))
    results.glue("ranking", "ReLU, ELU")
    assert capsys.readouterr().out == "accuracy = 0.978643\nratio = 1.25e-06\nranking = ReLU, ELU\n"
    results.glue("accuracy", 0.9786, display=True)
    assert capsys.readouterr().out == "0.9786\n"


def run_in_fresh_python(code, tmp_path):
    """Run ``code`` in a new interpreter, with ``results`` loaded from helpers/results.py; return stdout.

    myst-nb's glue goes through IPython, which sets up a process-wide shell on first use; a child
    process keeps that away from the test session. results.py is loaded on its own so the child
    does not import TensorFlow.
    """
    prelude = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('results', {str(Path(results.__file__))!r})\n"
        "results = sys.modules['results'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(results)\n"
    )
    child_env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    done = subprocess.run(
        [sys.executable, "-c", prelude + code],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_glue_records_the_value_for_the_book_in_a_notebook(tmp_path):
    pytest.importorskip("myst_nb", reason="the book's build environment has myst-nb; Colab has not")
    code = (
        "import json\n"
        "import numpy as np\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "from IPython.utils.capture import capture_output\n"
        "InteractiveShell.instance()\n"
        "with capture_output() as captured:\n"
        "    results.glue('accuracy', 0.9786)\n"
        "    results.glue('shown', 0.5, display=True)\n"
        "    results.glue('count', np.int64(7))\n"
        "print(captured.stdout.splitlines()[0])\n"
        "print(json.dumps([[output.data, output.metadata] for output in captured.outputs]))\n"
    )
    printed, recorded = run_in_fresh_python(code, tmp_path).splitlines()
    assert printed == "accuracy = 0.9786"  # visible where {glue:text} is not rendered
    hidden, shown, count = json.loads(recorded)
    assert hidden == [
        {"application/papermill.record/text/plain": "0.9786"},
        {"scrapbook": {"name": "accuracy", "mime_prefix": "application/papermill.record/"}},
    ]
    assert shown == [{"text/plain": "0.5"}, {"scrapbook": {"name": "shown", "mime_prefix": ""}}]
    assert count[0] == {"application/papermill.record/text/plain": "7"}  # not "np.int64(7)"


def test_glue_in_plain_python_prints_every_value(tmp_path):
    code = "results.glue('accuracy', 0.9786)\nresults.glue('shown', 0.5, display=True)\n"
    assert run_in_fresh_python(code, tmp_path) == "accuracy = 0.9786\n0.5\n"


BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results.md"


def numbered_rows(path):
    """Return the rows of a Markdown table whose first cell is a result number: number -> cells."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            rows[int(cells[0])] = cells[1:]
    return rows


@pytest.mark.skipif(
    not SEED_RESULTS.is_file(), reason=f"{SEED_RESULTS} is only on maintainers' machines and CI"
)
def test_published_matches_seed_results_md():
    expected = {
        n: [f"{p.experiment} ({p.source})", p.setup, p.figure] for n, p in results.PUBLISHED.items()
    }
    assert numbered_rows(SEED_RESULTS) == expected


def test_results_page_quotes_the_published_figures_as_recorded():
    rows = numbered_rows(BOOK_RESULTS)
    assert rows, f"{BOOK_RESULTS} has no numbered rows"
    for number, (experiment, setup, figure, *_) in rows.items():
        published = results.published(number)
        assert [experiment, setup, figure] == [
            published.experiment,
            published.setup,
            published.figure,
        ]


GLUE_REFERENCE = re.compile(r"\{glue:text\}`\.\./(chapters/[\w.]+\.ipynb)::(\w+)(?::[^`]*)?`")
FIGURE = re.compile(r"(?:valid|test|train|about) (\d\.\d+)")
HALF_A_POINT = 0.005


def stored_glue(notebook: Path) -> dict[str, str]:
    """Return the values a notebook's stored outputs glue (myst-nb's records), by name."""
    values = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = output["data"]
                values[name] = data.get(
                    "application/papermill.record/text/plain", data.get("text/plain")
                )
    return values


def test_every_published_result_has_a_rerun_on_the_results_page():
    rows = numbered_rows(BOOK_RESULTS)
    assert sorted(rows) == list(results.PUBLISHED), "the results page misses published rows"
    for number, cells in rows.items():
        assert GLUE_REFERENCE.search(cells[3]), f"result {number}: no re-run glued from a chapter"


def test_reruns_more_than_half_a_point_away_are_explained_on_the_page():
    """A re-run's accuracy within half a point of the published one, or a paragraph saying why."""
    page = BOOK_RESULTS.read_text(encoding="utf-8")
    root = BOOK_RESULTS.parents[1]
    for number, cells in numbered_rows(BOOK_RESULTS).items():
        published = [float(value) for value in FIGURE.findall(cells[2])]
        references = GLUE_REFERENCE.findall(cells[3])
        for figure, (notebook, name) in zip(published, references):
            glued = stored_glue(root / notebook)
            assert name in glued, f"result {number}: {notebook} glues no {name!r}"
            rerun = float(glued[name].strip("'\""))
            if abs(rerun - figure) > HALF_A_POINT:
                assert f"**Result {number}.**" in page, (
                    f"result {number}: re-run {rerun:.4f} is more than half a point from the "
                    f"published {figure}; explain why in a paragraph starting **Result {number}.**"
                )
