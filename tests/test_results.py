"""Tests of helpers.results: the published figures, the comparison table and glue."""

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
import results_page

from helpers import results, training

#: The maintainers' table of published results, beside the repository (readers' clones lack it).
SEED_RESULTS = Path(__file__).resolve().parents[1].parent / "shared" / "seed_results.md"


def test_published_results_are_numbered_1_to_20():
    assert list(results.PUBLISHED) == list(range(1, 21))
    assert all(number == result.number for number, result in results.PUBLISHED.items())


def test_published_values_are_the_figures_printed():
    for result in results.PUBLISHED.values():
        for value in result.values:
            assert 0 < value < 1
            assert str(value) in result.figure
        assert result.value == (result.values[0] if result.values else None)
    assert results.published(7).values == (0.9604, 0.9580)  # two variants
    assert results.published(19).values == (0.9790,)  # the test figure, not the training one
    assert results.published(16).values == ()  # a range, not an accuracy


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


Rerun = results.Rerun


def test_beside_published_puts_reruns_next_to_the_sources(capsys):
    reruns = {
        1: Rerun("valid, epoch 35", 0.98, "none", "40 epochs", (42,), 61.2),
        4: Rerun("valid", np.float32(0.95), "He initialization", "20 epochs", (7,), 150.0),
        7: Rerun("valid, a / b", (0.96, 0.95), "none", "20 epochs each", (42,), (9.0, 8.4)),
        15: Rerun("output", "[[61, 83, 105]]", "none"),
    }
    table = results.beside_published(reruns)
    assert list(table.index) == [1, 4, 7, 15]
    assert list(table.columns) == [
        "experiment",
        "published",
        "this book",
        "difference",
        "training",
        "seeds",
        "time",
        "deviation from the source",
    ]
    assert table.loc[1].tolist() == [
        "leaky ReLU MLP",
        "valid 0.9786 (epoch 35)",
        "valid, epoch 35 0.9800",
        "+0.0014",
        "40 epochs",
        "42",
        "61 s",
        "none",
    ]
    assert table.loc[4, "difference"] == "-0.0114"
    assert table.loc[4, "time"] == "2.5 min"
    assert table.loc[7, "this book"] == "valid, a / b 0.9600 / 0.9500"
    assert table.loc[7, "difference"] == "-0.0004 / -0.0080"  # variant by variant
    assert table.loc[7, "time"] == "9 s / 8 s"
    assert table.loc[15].tolist()[2:7] == ["output [[61, 83, 105]]", "", "none", "—", "—"]
    # each re-run glued for tools/results_page.py (printed here: no notebook around)
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(" = ")[0] for line in printed] == [
        "rerun_1",
        "rerun_4",
        "rerun_7",
        "rerun_15",
    ]
    record = json.loads(printed[2].split(" = ", 1)[1])
    device = record.pop("device")
    assert device.startswith(("CPU, ", "GPU: "))
    assert record == {
        "measured": "valid, a / b",
        "values": [0.96, 0.95],
        "shown": "valid, a / b 0.9600 / 0.9500",
        "deviation": "none",
        "training": "20 epochs each",
        "seeds": [42],
        "seconds": [9.0, 8.4],
    }
    assert json.loads(printed[3].split(" = ", 1)[1])["device"] == "—"  # nothing trained


def test_rerun_of_a_run_takes_its_epochs_seed_and_time():
    run = training.Run("r", {"loss": [1.0] * 20}, 33.3, seed=43)
    rerun = Rerun.of_run(run, "valid, epoch 19", 0.97, "none")
    assert (rerun.training, rerun.seeds, rerun.seconds) == ("20 epochs", (43,), 33.3)


def test_train_records_the_seed_reset_set():
    training.reset(5)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    X, y = np.zeros((8, 3), "float32"), np.zeros(8, "int64")
    run = training.train("tiny", model, (X, y), (X, y), epochs=1, batch_size=4)
    assert run.seed == training.seed_in_use() == 5


def test_beside_published_shows_no_negative_zero_for_a_float32_match():
    table = results.beside_published({17: Rerun("test", float(np.float32(0.098)), "none")})
    assert table.loc[17, "difference"] == "+0.0000"


def test_beside_published_shows_a_long_deviation_whole():
    deviation = "starts from chapter 7's re-run of #4 (other random weights, other batch order)"
    table = results.beside_published({5: Rerun("valid, epoch 19", 0.9682, deviation)})
    assert deviation in repr(table)  # pandas alone cuts a cell at 50 characters
    assert deviation in table._repr_html_()
    assert len(repr(table).splitlines()) == 3  # one block: header, index name, one row


def test_beside_published_rejects_an_unknown_result():
    with pytest.raises(KeyError, match="no published result #42"):
        results.beside_published({42: Rerun("valid", 0.9, "none")})


def test_beside_published_wants_reruns_described():
    with pytest.raises(TypeError, match=r"describe it with helpers.results.Rerun"):
        results.beside_published({1: ("valid", 0.9, "none")})
    with pytest.raises(ValueError, match="at least one re-run"):
        results.beside_published({})


def test_rerun_records_numpy_numbers_as_plain_json(capsys):
    rerun = Rerun("test", np.float32(0.97), "none", "1 epochs", (np.int64(42),), np.float64(3.25))
    results.beside_published({19: rerun})
    record = json.loads(capsys.readouterr().out.split(" = ", 1)[1])
    assert (record["values"], record["seeds"], record["seconds"]) == (
        [0.9700000286102295],
        [42],
        [3.2],
    )


@pytest.mark.parametrize(
    "fields, error, message",
    [
        (
            dict(value=[0.9, 0.8]),
            TypeError,
            r"give a number, a tuple of numbers \(one per variant\)",
        ),
        (dict(value=()), TypeError, "give a number, a tuple"),
        (dict(seeds=(None,)), TypeError, r"seeds are whole numbers: start each run with"),
        (dict(seeds=(4.2,)), TypeError, "seeds are whole numbers"),
        (dict(seconds="5 s"), TypeError, "give a number or a tuple"),
        (dict(value=(0.9, 0.8), seconds=(5.0,)), ValueError, "2 value.s. but 1 time.s."),
    ],
)
def test_rerun_explains_what_it_cannot_take(fields, error, message):
    with pytest.raises(error, match=message):
        Rerun(**{"measured": "valid", "value": 0.9, "deviation": "none", **fields})


@pytest.mark.parametrize("deviation", ["", "  "])
def test_rerun_wants_the_deviation_named(deviation):
    with pytest.raises(ValueError, match="names no deviation from the source's set-up"):
        Rerun("valid", 0.9, deviation)


@pytest.mark.parametrize(
    "times, shown",
    [((), "—"), ((5.4,), "5 s"), ((119.0,), "119 s"), ((900.0, 61.0), "15.0 min / 61 s")],
)
def test_duration_reads_as_seconds_or_minutes(times, shown):
    assert results.duration(times) == shown


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
CELL_BORDER = re.compile(r"(?<!\\)\|")


def numbered_rows(path):
    """Return the rows of a Markdown table whose first cell is a result number: number -> cells."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        # a cell's own "|" is written "\\|"
        cells = [cell.strip().replace("\\|", "|") for cell in CELL_BORDER.split(line.strip()[1:-1])]
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
    assert sorted(rows) == list(results.PUBLISHED), "the results page misses published rows"
    for number, (experiment, setup, figure, *_) in rows.items():
        published = results.published(number)
        assert [experiment, setup, figure] == [
            published.experiment,
            published.setup,
            published.figure,
        ]


def test_results_page_is_what_the_chapters_stored():
    assert not results_page.update(
        write=False
    ), "book/results.md is out of date with the chapters' outputs; run tools/results_page.py"


def test_every_published_result_has_a_rerun_with_training_seeds_time_and_device():
    reruns = results_page.collect()
    assert sorted(reruns) == list(results.PUBLISHED), "published results without a re-run"
    for number, (notebook, record) in reruns.items():
        assert record["shown"] and record["training"], (number, notebook.name)
        if record["training"] != "none":  # something was trained: it has seeds, time, device
            assert record["seconds"], (number, record)
            assert record["seeds"] and all(type(seed) is int for seed in record["seeds"]), record
            assert record["device"].startswith(("CPU, ", "GPU: ")), (number, record)


HALF_A_POINT = 0.005


def test_reruns_more_than_half_a_point_away_are_explained_on_the_page():
    """A re-run's accuracy within half a point of the published one, or a paragraph saying why."""
    page = BOOK_RESULTS.read_text(encoding="utf-8")
    for number, (_, record) in results_page.collect().items():
        published = results.published(number).values
        assert len(record["values"]) == len(published), (number, record["values"], published)
        for rerun, figure in zip(record["values"], published):
            if round(abs(rerun - figure), 4) > HALF_A_POINT:  # as the table rounds it
                assert f"**Result {number}.**" in page, (
                    f"result {number}: re-run {rerun:.4f} is more than half a point from the "
                    f"published {figure}; explain why in a paragraph starting **Result {number}.**"
                )


def glued_notebook(path, records, mode="full"):
    """Write a notebook whose outputs glue ``records`` (name -> text) as myst-nb stores them,
    from a run in ``mode`` (as tools/execute.py records it)."""
    outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": text},
            metadata={"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}},
        )
        for name, text in records.items()
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    nb.metadata["book_run"] = {"mode": mode}
    nbformat.write(nb, path)


RECORD = {
    "measured": "test",
    "values": [0.9801],
    "shown": "test 0.9801",
    "deviation": "none",
    "training": "5 epochs",
    "seeds": [42],
    "seconds": [30.04],
    "device": "CPU, 2 cores",
}


GLUED = repr(json.dumps(RECORD))  # as myst-nb stores a glued string: its repr


def test_results_page_collects_records_and_writes_rows(tmp_path):
    glued_notebook(tmp_path / "03_x.ipynb", {"rerun_19": GLUED, "other": "1"})
    reruns = results_page.collect(tmp_path)
    assert list(reruns) == [19]
    row = results_page.row(19, reruns[19])
    assert row.endswith(
        "| test 0.9801 | +0.0011 | 5 epochs · seed 42 · 30 s on CPU, 2 cores "
        "| {doc}`3 <../chapters/03_x>` |"
    )
    computed = {**RECORD, "training": "none", "seconds": [], "device": "—"}
    assert results_page.how_it_ran(computed) == "no training · seed 42"
    several = {**RECORD, "seeds": [42, 43], "seconds": [30.0, 200.0]}
    assert (
        results_page.how_it_ran(several)
        == "5 epochs · seeds 42, 43 · 30 s / 3.3 min on CPU, 2 cores"
    )
    assert "**no re-run yet**" in results_page.row(20, None)
    page = f"intro\n{results_page.BEGIN}\nold table\n{results_page.END}\nnotes\n"
    rendered = results_page.render(page, reruns)
    assert rendered.startswith(f"intro\n{results_page.BEGIN}\n\n| # | experiment |")
    assert rendered.endswith(f"{results_page.END}\nnotes\n")
    assert len(numbered_rows_of(rendered)) == 20
    assert "- **#19**:" not in rendered  # its set-up is the source's: "none"
    deviating = {19: (reruns[19][0], {**RECORD, "deviation": "Glorot, not He"})}
    assert "- **#19**: Glorot, not He" in results_page.render(page, deviating)


def numbered_rows_of(text):
    return [line for line in text.splitlines() if re.match(r"\| \d+ \|", line)]


def test_results_page_refuses_a_result_in_two_chapters(tmp_path):
    glued_notebook(tmp_path / "03_x.ipynb", {"rerun_19": GLUED})
    glued_notebook(tmp_path / "04_y.ipynb", {"rerun_19": GLUED})
    with pytest.raises(ValueError, match="Result 19 is re-run in both 03_x.ipynb and 04_y.ipynb"):
        results_page.collect(tmp_path)


def test_results_page_explains_an_unreadable_record(tmp_path):
    glued_notebook(tmp_path / "03_x.ipynb", {"rerun_19": "np.float32(0.98)"})
    with pytest.raises(ValueError, match="03_x.ipynb: the glued rerun_19 is not a record"):
        results_page.collect(tmp_path)


def test_results_page_takes_no_quick_run_for_a_result(tmp_path):
    glued_notebook(tmp_path / "03_x.ipynb", {"rerun_19": GLUED}, mode="quick")
    with pytest.raises(ValueError, match="come from a quick run, not a full-mode one"):
        results_page.collect(tmp_path)


def test_results_page_wants_its_markers():
    with pytest.raises(ValueError, match="markers once each"):
        results_page.render("a page without markers", {})
