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
            "defaults": {"examples_per_s": 10_000.0, "gflops": 16.0},
            "book_default_threads": {"examples_per_s": 32_000.0, "gflops": 51.2, "weights": "ab"},
            "book": {"examples_per_s": 40_000.0, "gflops": 64.0, "weights": "ab"},
        },
        "first_prediction_seconds": {"predict": 7.5, "predict_one_step": 0.3, "call": 0.06},
        "quick_seconds": {"01_tensors": 8.0, "02_fundamentals": 14.0},
        "full_runs": {
            "01_tensors": {"mode": "full", "seconds": 9.0, "load_before": 0.3, "date": "x"},
            "02_fundamentals": None,
        },
        "make_test_seconds": 600.0,
    }
    results.update(changes)
    return results


def test_flops_per_example_counts_forward_and_backward_products():
    assert benchmark.flops_per_example() == 6 * (784 * 300 + 300 * 100 + 100 * 10)


def test_the_page_reports_what_was_measured():
    text = benchmark.page(measured())
    assert "Some CPU, 2 cores" in text
    assert (
        "| the book (batch 50, steps_per_execution=100, one inter-op thread) "
        "| 40,000 | 64.0 | 64% |" in text
    )
    assert "**4.0×**" in text  # book vs defaults
    assert "sets on a CPU: **1.25×**" in text  # one inter-op thread vs TensorFlow's default threads
    assert "bit-identical under both thread settings" in text
    assert (
        "`model.predict(X)` after `steps_per_execution=100` 7.50 s, `model.predict(X)` after"
        " `steps_per_execution=1` 0.30 s, `model(X, training=False)` 0.06 s" in text
    )
    assert "the book's settings reach **64%**." in text  # the target, 60%, is met
    assert "| 01_tensors | 8 | 0.1 | 0.3 | x |" in text
    assert "| 02_fundamentals | 14 | not recorded | – | – |" in text
    assert "**10.0 minutes**" in text  # make test


def test_the_page_explains_a_share_below_the_target():
    slow = {
        "defaults": {"examples_per_s": 10_000.0, "gflops": 16.0},
        "book": {"examples_per_s": 25_000.0, "gflops": 40.0},
        "book_xla": {"examples_per_s": 30_000.0, "gflops": 48.0},
    }
    text = benchmark.page(measured(throughput=slow))
    assert "the book's settings reach **40%**: below it." in text
    assert "| the book, compiled by XLA (jit_compile=True) | 30,000 | 48.0 | 48% |" in text


def test_the_page_says_nothing_of_make_test_when_it_was_not_timed():
    assert "`make test` (unit tests" not in benchmark.page(measured(make_test_seconds=None))


@pytest.mark.skipif(not benchmark.RESULTS.is_file(), reason="no benchmark measured yet")
def test_the_published_page_is_generated_from_the_published_measurements():
    results = json.loads(benchmark.RESULTS.read_text())
    assert benchmark.PAGE.read_text(encoding="utf-8") == benchmark.page(
        results
    ), "book/benchmark.md is out of date: run python tools/benchmark.py --page-only"
    assert set(results["quick_seconds"]) == {path.stem for path in benchmark.chapters()}


def test_the_gpu_section_puts_the_cnn_cell_beside_its_chapter():
    runs = {"03_first_networks": {"seconds": 806.3, "slowest_cells": [[91, 745.4], [43, 14.8]]}}
    text = " ".join(benchmark.gpu_expectation(runs))
    assert "its training cell took 12.4 of the chapter's 13.4 minutes here" in text
    assert "not a measurement" in " ".join(benchmark.gpu_expectation({}))


def test_each_setting_measures_the_standard_mlp_in_a_fresh_process(monkeypatch):
    calls = []

    def fake(what, inter_op_threads):
        calls.append((what, inter_op_threads))
        rate = 100 - len(calls) if what == "book" else len(calls)  # book: slower in round 2
        threads = 1 if inter_op_threads is None else inter_op_threads
        return {"examples_per_s": rate, "weights": "ab", "inter_op_threads": threads}

    monkeypatch.setattr(benchmark, "in_fresh_process", fake)
    rates = benchmark.throughput(rounds=2)
    assert calls[: len(benchmark.SETTINGS)] == [
        (key, setting.inter_op_threads) for key, setting in benchmark.SETTINGS.items()
    ]
    assert len(calls) == 2 * len(benchmark.SETTINGS)
    first_book = list(benchmark.SETTINGS).index("book") + 1
    assert rates["book"]["examples_per_s"] == 100 - first_book  # the faster, first round kept
    assert rates["defaults"]["examples_per_s"] == 1 + len(benchmark.SETTINGS)  # second round


def test_a_setting_run_with_other_threads_than_its_label_stops_the_benchmark(monkeypatch):
    def on_a_gpu_machine(what, inter_op_threads):  # helpers left the threads alone
        return {"examples_per_s": 1.0, "weights": "ab", "inter_op_threads": 0}

    monkeypatch.setattr(benchmark, "in_fresh_process", on_a_gpu_machine)
    with pytest.raises(SystemExit, match="Setting 'book' ran with 0 inter-op threads, not 1"):
        benchmark.throughput(rounds=1)


def test_the_page_says_when_one_inter_op_thread_is_slower():
    rates = measured()["throughput"]
    rates["book"] = {**rates["book"], "examples_per_s": 28_800.0}
    text = benchmark.page(measured(throughput=rates))
    assert (
        "**0.90×** on its\nown: slower, so in this run the setting did not pay for itself." in text
    )
    assert "hand-overs cost more" not in text


def test_the_page_says_when_thread_settings_change_the_weights():
    rates = measured()["throughput"]
    rates["book"] = {**rates["book"], "weights": "cd"}
    text = benchmark.page(measured(throughput=rates))
    assert "The weights after the same epochs differ between the two thread settings." in text
    del rates["book"]["weights"]  # not measured: nothing said either way
    assert "The weights after the same epochs" not in benchmark.page(measured(throughput=rates))


def test_a_failing_measurement_stops_with_its_error():
    with pytest.raises(SystemExit, match="Measuring 'no such setting' failed"):
        benchmark.in_fresh_process("no such setting", 0)
