"""Tests of tools/benchmark.py: the page is generated from the measurements and stays in step."""

import json

import pytest

import benchmark


def measured(**changes) -> dict:
    results = {
        "machine": {
            "cpu": "Some CPU",
            "cores": 2,
            "memory": "24 GiB",
            "gpus": [],
            "python": "3.11.7",
            "tensorflow": "2.21.0",
            "date": "2026-11-26",
        },
        "load_before": 0.5,
        "matmul_limit_gflops": 100.0,
        "flops_per_example": benchmark.flops_per_example(),
        "throughput": {
            "defaults": {"examples_per_s": 10_000.0, "gflops": 16.0, "weights": ["cd"]},
            "book": {"examples_per_s": 40_000.0, "gflops": 64.0, "weights": ["ab"]},
            "book_shared_threads": {
                "examples_per_s": 36_000.0,
                "gflops": 57.6,
                "weights": ["ab"],
                "intra_op_threads": 1,
            },
            "book_side_by_side": {
                "examples_per_s": 60_000.0,
                "gflops": 96.0,
                "weights": ["ab", "ab"],
                "intra_op_threads": 1,
            },
        },
        "first_prediction_seconds": {"predict": 7.5, "predict_one_step": 0.3, "call": 0.06},
        "quick_seconds": {"01_tensors": 8.0, "02_fundamentals": 14.0},
        "full_runs": {
            "01_tensors": {"mode": "full", "seconds": 9.0, "load_before": 0.3, "date": "x"},
            "02_fundamentals": None,
        },
        "whole_book_run": None,
        "make_test_seconds": 600.0,
    }
    results.update(changes)
    return results


def test_flops_per_example_counts_the_products_keras_computes():
    # forward and weights' gradients everywhere; inputs' gradients except for the images
    assert benchmark.flops_per_example() == 4 * (784 * 300 + 300 * 100 + 100 * 10) + 2 * (
        300 * 100 + 100 * 10
    )


def test_the_page_reports_what_was_measured():
    text = benchmark.page(measured())
    assert "Some CPU, 2 cores" in text
    assert "| the book (batch 50, steps_per_execution=100) | 40,000 | 64.0 | 64% |" in text
    assert "**4.0×**" in text  # book vs defaults
    assert "| the book on 1 intra-op thread(s), alone | 36,000 | 57.6 | 58% |" in text
    assert "one training runs at **0.90×** its speed" in text  # one thread vs every core
    assert "do not spread over cores." in text
    assert (
        "train **1.50×** as many examples per second as one training on all cores, which is why"
        " `make execute` runs two chapters at a time." in text
    )
    assert "bit-identical in every one of these processes" in text
    assert (
        "`model.predict(X)` after `steps_per_execution=100` 7.50 s, `model.predict(X)` after"
        " `steps_per_execution=1` 0.30 s, `model(X, training=False)` 0.06 s" in text
    )
    assert "the book's settings reach **64%**. Two trainings side by side reach **96%**" in text
    assert "| 01_tensors | 8 | 0.1 | 1 | 0.3 | default | x |" in text
    assert "| 02_fundamentals | 14 | not recorded | – | – | – | – |" in text
    assert "the chapters' own times add up to **0.1 minutes** (1 of 2 chapters recorded)" in text
    assert "**10.0 minutes**" in text  # make test


def test_the_page_says_when_threads_change_the_weights_or_two_at_once_do_not_pay():
    rates = measured()["throughput"]
    rates["book_side_by_side"] = {
        **rates["book_side_by_side"],
        "weights": ["ab", "ef"],
        "examples_per_s": 38_000.0,
    }
    text = benchmark.page(measured(throughput=rates))
    assert (
        "not the same in all these processes (SHA-256 digests: book ab; alone ab; side ab, ef)"
        in text
    )
    assert "**0.95×** as many examples per second as one training on all cores: no gain" in text
    assert "which is why `make execute`" not in text
    rates["book_side_by_side"]["weights"] = []  # not measured: nothing said either way
    assert "The weights after the same epochs" not in benchmark.page(measured(throughput=rates))


def test_refreshing_the_page_from_measurements_of_other_settings_says_what_to_do(
    tmp_path, monkeypatch
):
    old = measured()
    old["throughput"]["book_default_threads"] = old["throughput"].pop("book_shared_threads")
    monkeypatch.setattr(benchmark, "RESULTS", tmp_path / "benchmark.json")
    monkeypatch.setattr(benchmark, "PAGE", tmp_path / "benchmark.md")
    with pytest.raises(ValueError, match="no benchmark.json yet: run `make benchmark` first"):
        benchmark.refresh_page()
    benchmark.RESULTS.write_text(json.dumps(old))
    with pytest.raises(
        ValueError, match=r"no longer has \(book_default_threads\): run `make bench"
    ):
        benchmark.refresh_page()
    assert not benchmark.PAGE.exists()
    monkeypatch.setattr(benchmark.execute, "WHOLE_BOOK_RUN", tmp_path / "whole_book_run.json")
    record = {"date": "d", "seconds": 60.0, "jobs": 2, "intra_op_threads": "1", "chapters": {}}
    benchmark.execute.WHOLE_BOOK_RUN.write_text(json.dumps(record))
    benchmark.RESULTS.write_text(json.dumps(measured()))
    benchmark.refresh_page()  # the measurements kept, the chapters' stored runs brought in
    refreshed = json.loads(benchmark.RESULTS.read_text())
    assert refreshed["full_runs"] == benchmark.stored_full_runs()
    assert refreshed["whole_book_run"] == record
    assert benchmark.PAGE.read_text(encoding="utf-8") == benchmark.page(refreshed)


def test_timing_make_test_alone_keeps_the_other_measurements(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark, "RESULTS", tmp_path / "benchmark.json")
    monkeypatch.setattr(benchmark, "PAGE", tmp_path / "benchmark.md")
    monkeypatch.setattr(benchmark.execute, "WHOLE_BOOK_RUN", tmp_path / "whole_book_run.json")
    benchmark.RESULTS.write_text(json.dumps(measured()))
    monkeypatch.setattr(benchmark, "time_make_test", lambda: 480.0)
    assert benchmark.main(["--make-test-only"]) == 0
    kept = json.loads(benchmark.RESULTS.read_text())
    assert kept["make_test_seconds"] == 480.0
    assert kept["throughput"] == measured()["throughput"]
    assert "**8.0 minutes** (target ≤ 10)" in benchmark.PAGE.read_text(encoding="utf-8")


def test_the_whole_books_wall_time_comes_from_its_last_make_execute():
    whole = {
        "date": "2026-11-27",
        "seconds": 1207.0,
        "jobs": 2,
        "intra_op_threads": "1",
        "chapters": {"01_tensors": 9.0, "02_fundamentals": 1800.0},
    }
    text = benchmark.page(measured(whole_book_run=whole))
    assert (
        "the last run of the whole book (`tools/execute.py` on 2026-11-27, 2 chapter(s) at a"
        " time, intra-op threads: 1): **20.1 minutes** from its start" in text
    )
    assert (
        "its chapters' own times add up to 30.1. No stored full-mode run now: 02_fundamentals."
        in text
    )
    runs = {
        "01_tensors": {"mode": "full", "seconds": 12.0, "load_before": 0.3, "date": "y"},
        "02_fundamentals": {"mode": "full", "seconds": 1800.0, "load_before": 1, "date": "x"},
        "03_new": {"mode": "full", "seconds": 5.0, "load_before": 1, "date": "x"},
    }
    quick = {name: 1.0 for name in runs}
    text = benchmark.page(measured(whole_book_run=whole, full_runs=runs, quick_seconds=quick))
    assert (
        "add up to 30.1. Re-run on their own since (the table shows their latest run): 01_tensors."
        " Not in that run: 03_new." in text
    )
    text = benchmark.page(measured(whole_book_run=None))
    assert "No run of the whole book is recorded, so the page cannot give its wall time." in text


def test_the_page_explains_a_share_below_the_target():
    slow = {
        "defaults": {"examples_per_s": 10_000.0, "gflops": 11.0},
        "book": {"examples_per_s": 25_000.0, "gflops": 28.0},
        "book_xla": {"examples_per_s": 30_000.0, "gflops": 34.0},
    }
    text = benchmark.page(measured(throughput=slow))
    assert "the book's settings reach **28%**: below it." in text
    assert "XLA fuses such operations" in text
    assert "| the book, compiled by XLA (jit_compile=True) | 30,000 | 34.0 | 34% |" in text
    assert "Two trainings side by side reach" not in text  # not measured here


def test_the_page_says_nothing_of_make_test_when_it_was_not_timed():
    assert "`make test` (unit tests" not in benchmark.page(measured(make_test_seconds=None))


@pytest.mark.skipif(not benchmark.RESULTS.is_file(), reason="no benchmark measured yet")
def test_the_published_page_is_generated_from_the_published_measurements():
    results = json.loads(benchmark.RESULTS.read_text())
    assert benchmark.PAGE.read_text(encoding="utf-8") == benchmark.page(
        results
    ), "book/benchmark.md is out of date: run python tools/benchmark.py --page-only"
    assert set(results["quick_seconds"]) == {path.stem for path in benchmark.execute.chapters()}
    assert (
        results["full_runs"] == benchmark.stored_full_runs()
        and results["whole_book_run"] == benchmark.whole_book_run()
    ), "chapters or the whole book re-run in full mode since: run tools/benchmark.py --page-only"


def test_the_gpu_section_puts_the_cnn_cell_beside_its_chapter():
    runs = {"03_first_networks": {"seconds": 806.3, "slowest_cells": [[91, 745.4], [43, 14.8]]}}
    text = " ".join(benchmark.gpu_expectation(runs))
    assert "its training cell took 12.4 of the chapter's 13.4 minutes here" in text
    assert "not a measurement" in " ".join(benchmark.gpu_expectation({}))


def test_the_settings_and_the_matmul_limit_take_turns_and_keep_their_best(monkeypatch):
    calls = []

    def fake(what, threads, processes):
        calls.append((what, threads, processes))
        rate = 100 - len(calls) if what == "book" else len(calls)  # book: slower in round 2
        return {"examples_per_s": float(rate), "weights": ["ab"]}

    monkeypatch.setattr(benchmark, "in_fresh_processes", fake)
    limit, rates = benchmark.throughput(rounds=2)
    layouts = [("matmul", *layout) for layout in benchmark.MATMUL_LAYOUTS]
    one_round = layouts + [
        (key, setting.intra_op_threads, setting.processes)
        for key, setting in benchmark.SETTINGS.items()
    ]
    assert calls == one_round * 2
    assert ("book_side_by_side", benchmark.SHARED_THREADS, 2) in calls
    assert limit == (len(one_round) + len(layouts)) * benchmark.flops_per_example()  # round 2
    first_book = one_round.index(("book", None, 1)) + 1
    assert rates["book"]["examples_per_s"] == 100 - first_book  # the faster, first round kept
    assert rates["defaults"]["examples_per_s"] == len(one_round) + len(layouts) + 1


FAKE_CHILD = """
import json, os, sys, time
from pathlib import Path
first = Path(sys.argv[-1] + ".first")
try:
    first.touch(exist_ok=False)
    time.sleep(1.5)  # the first child is slow to warm up
except FileExistsError:
    pass
print("ready", flush=True)
sys.stdin.readline()
start = time.time()
time.sleep(1)
print(json.dumps({"examples": 100, "start": start, "end": time.time(),
                  "weights": os.environ.get("TF_NUM_INTRAOP_THREADS", "all")}))
"""


def test_processes_side_by_side_start_together_with_the_threads_asked_for(tmp_path, monkeypatch):
    child = tmp_path / "child.py"
    child.write_text(FAKE_CHILD)
    monkeypatch.setattr(benchmark, "__file__", str(child))
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "7")  # the caller's value is not passed on
    pair = benchmark.in_fresh_processes(str(tmp_path / "pair"), threads=1, processes=2)
    assert pair["weights"] == ["1", "1"] and pair["processes"] == 2
    # both timed together despite the slow warm-up: 200 examples in about 1 s, not 2 or more
    assert 200 / 1.5 < pair["examples_per_s"] <= 200 / 1
    alone = benchmark.in_fresh_processes(str(tmp_path / "alone"))
    assert alone["weights"] == ["all"]  # TensorFlow's default threads


def test_a_failing_measurement_stops_with_its_error():
    with pytest.raises(SystemExit, match="Measuring 'no such setting' failed"):
        benchmark.in_fresh_processes("no such setting", 1, 2)
    with pytest.raises(SystemExit, match="Measuring 'no such way' failed"):
        benchmark.first_output("no such way")
