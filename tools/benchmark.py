"""Measure how fast the book runs and write the page "How fast is this book?" (book/benchmark.md).

    python tools/benchmark.py               # throughput + every chapter in quick mode
    python tools/benchmark.py --make-test   # ... and time `make test` too (about 10 minutes)
    python tools/benchmark.py --make-test-only  # time `make test` alone, keep the rest
    python tools/benchmark.py --page-only   # rewrite the page from book/benchmark.json, the
                                            # chapters' stored full runs and the whole book's last
                                            # run (book/whole_book_run.json), as after a full run

What it measures, on this machine:
- training throughput of the book's standard MLP (784-300-100-10 ReLU, SGD, MNIST's 55,000
  training images): Keras' and TensorFlow's defaults (batch 32, one step per call) against the
  book's settings (batch 50 as the sources, ``steps_per_execution=100``), the same compiled by
  XLA, the same on half the cores' threads alone, and two such trainings side by side, as
  ``make execute`` runs two chapters. Each setting runs in fresh processes (threads are set once
  per process) that start their timed epochs together; the settings take turns and keep their
  fastest round, so all see the same machine. Each process reports a digest of its trained
  weights: the page says whether the threads change them;
- the arithmetic of that MLP's training step (its matrix products: forward, the weights'
  gradients, and the inputs' gradients of every layer but the first, which Keras does not
  compute) divided by the machine's matmul limit, measured by running exactly those products at
  batch 50 in a compiled loop, in one process and in two side by side (the faster of their
  best rounds counts);
- the time to a new network's first outputs on 5,000 images: ``model.predict`` after
  ``compile(steps_per_execution=100)``, the same after ``steps_per_execution=1``, and calling
  the model;
- each chapter's time in quick mode (run here, outputs not stored) and in full mode (as stored by
  the last full run, ``tools/execute.py``, with the load the machine had then), and the wall
  time of the last ``make execute`` of the whole book (``book/whole_book_run.json``).

The results go to ``book/benchmark.json`` and the page is generated from it (never typed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, NoReturn

import nbformat

import execute  # tools/ is on the path: this script's own folder

ROOT = Path(__file__).resolve().parents[1]
RESULTS, PAGE = ROOT / "book" / "benchmark.json", ROOT / "book" / "benchmark.md"
LAYERS = (784, 300, 100, 10)
BATCH = 50
TARGETS = {"full_minutes": 60, "test_minutes": 10, "share_of_matmul_limit": 0.60}


def machine() -> dict:
    """Describe the machine: CPU model, cores, memory, Python and TensorFlow."""
    import tensorflow as tf

    from helpers import env

    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    meminfo = Path("/proc/meminfo")
    memory = f"{int(meminfo.read_text().split()[1]) / 2**20:.0f} GiB" if meminfo.is_file() else "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "gpus": env.gpu_devices(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


def flops_per_example() -> int:
    """The matrix products of one training step, per example: forward (2 FLOPs per weight), the
    weights' gradients (2 per weight) and the inputs' gradients (2 per weight), except for the
    first layer, whose inputs are the images: Keras does not differentiate with respect to them."""
    weights = [a * b for a, b in zip(LAYERS, LAYERS[1:])]
    return 4 * sum(weights) + 2 * sum(weights[1:])


#: Timed units of work per measurement (epochs, or loops of matrix products), after a warm-up.
REPEATS = 2


class Measurement(NamedTuple):
    """A measurement, warmed up and ready to time."""

    work: Callable[[], None]  # one unit of work
    examples: int  # the examples one unit covers
    digest: Callable[[], str] | None = None  # the trained weights' digest, for training


def matmul_products(steps: int = 2000) -> Measurement:
    """The MLP's own matrix products at batch 50, alone in a compiled loop: the most a training
    step of this MLP could reach on this machine."""
    import tensorflow as tf

    tf.random.set_seed(0)
    shapes = list(zip(LAYERS, LAYERS[1:]))
    # variables, not constants: TensorFlow would compute products of constants only once
    weights = [tf.Variable(tf.random.normal(shape)) for shape in shapes]
    inputs = [tf.Variable(tf.random.normal((BATCH, n_in))) for n_in, _ in shapes]
    grads = [tf.Variable(tf.random.normal((BATCH, n_out))) for _, n_out in shapes]

    @tf.function
    def loop(n):
        total = tf.constant(0.0)
        for _ in tf.range(n):
            for layer, (x, w, g) in enumerate(zip(inputs, weights, grads)):
                total += tf.reduce_sum(x @ w)  # forward
                total += tf.reduce_sum(tf.transpose(x) @ g)  # gradient of the weights
                if layer > 0:  # the images need no gradient
                    total += tf.reduce_sum(g @ tf.transpose(w))  # gradient of the inputs
        return total

    loop(tf.constant(10))  # trace and warm up
    return Measurement(lambda: loop(tf.constant(steps)).numpy(), steps * BATCH)


#: TensorFlow's intra-op threads of each of two processes side by side, as `make execute` runs
#: chapters: half the cores
SHARED_THREADS = execute.threads_per_job(2)


class Setting(NamedTuple):
    """One way of training the MLP whose throughput is measured."""

    label: str  # "{threads}" stands for intra_op_threads
    batch: int
    steps_per_execution: int
    jit_compile: bool = False
    #: TensorFlow's intra-op threads in each process (None: TensorFlow's default, every core)
    intra_op_threads: int | None = None
    #: trainings side by side, each in its own process
    processes: int = 1


SETTINGS = {
    "defaults": Setting("Keras' and TensorFlow's defaults (batch 32, 1 step per call)", 32, 1),
    "book": Setting("the book (batch 50, steps_per_execution=100)", BATCH, 100),
    "book_xla": Setting("the book, compiled by XLA (jit_compile=True)", BATCH, 100, True),
    "book_shared_threads": Setting(
        "the book on {threads} intra-op thread(s), alone", BATCH, 100, False, SHARED_THREADS
    ),
    "book_side_by_side": Setting(
        "the book, two trainings side by side on {threads} intra-op thread(s) each (as `make"
        " execute` runs chapters), both counted",
        BATCH,
        100,
        False,
        SHARED_THREADS,
        processes=2,
    ),
}

#: The matmul limit is the faster of these (intra-op threads, processes) layouts.
MATMUL_LAYOUTS = ((None, 1), (SHARED_THREADS, 2))


def standard_mlp(steps_per_execution: int, jit_compile: bool = False):
    """The book's standard MLP, seeded, compiled for SGD."""
    import keras

    from helpers import training

    training.reset(42)
    model = keras.Sequential(
        [keras.Input((LAYERS[0],))]
        + [keras.layers.Dense(n, activation="relu") for n in LAYERS[1:-1]]
        + [keras.layers.Dense(LAYERS[-1], activation="softmax")]
    )
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.SGD(0.01),
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    return model


def training_epochs(key: str) -> Measurement:
    """One epoch of ``fit`` under ``SETTINGS[key]``, traced by a first, shorter fit."""
    import hashlib

    from helpers import data

    setting = SETTINGS[key]
    (X, y), _, _ = data.load_splits("mnist", quick=False)
    model = standard_mlp(setting.steps_per_execution, setting.jit_compile)
    model.fit(X[:5000], y[:5000], batch_size=setting.batch, epochs=1, verbose=0)  # trace

    def digest() -> str:
        weights = b"".join(w.tobytes() for w in model.get_weights())
        return hashlib.sha256(weights).hexdigest()[:16]

    return Measurement(
        lambda: model.fit(X, y, batch_size=setting.batch, epochs=1, verbose=0), len(X), digest
    )


#: Ways of computing a new network's outputs on MNIST's 5,000 validation images:
#: key -> (what the page calls it, the steps_per_execution the network was compiled with).
PREDICTIONS = {
    "predict": ("`model.predict(X)` after `steps_per_execution=100`", 100),
    "predict_one_step": ("`model.predict(X)` after `steps_per_execution=1`", 1),
    "call": ("`model(X, training=False)`", 100),
}


def first_prediction(how: str) -> float:
    """Seconds to the first outputs of a new standard MLP, as ``PREDICTIONS[how]`` computes them."""
    import numpy as np

    from helpers import data

    _, (X, _), _ = data.load_splits("mnist", quick=False)
    model = standard_mlp(PREDICTIONS[how][1])
    start = time.perf_counter()
    if how.startswith("predict"):
        model.predict(X, verbose=0)
    else:
        np.asarray(model(X, training=False))
    return time.perf_counter() - start


def child_env(threads: int | None) -> dict[str, str]:
    """The environment of a measuring child: this one's, with TensorFlow's intra-op threads."""
    env = {k: v for k, v in os.environ.items() if k != "TF_NUM_INTRAOP_THREADS"}
    if threads:
        env["TF_NUM_INTRAOP_THREADS"] = str(threads)
    return env


#: The most one measurement may take (seconds) before the benchmark gives up on it.
CHILD_TIMEOUT = 1800


def in_fresh_processes(what: str, threads: int | None = None, processes: int = 1) -> dict:
    """Measure ``what`` ("matmul" or a key of SETTINGS) in ``processes`` new Python processes,
    each importing helpers first, with ``threads`` intra-op threads (None: TensorFlow's
    default). Each warms up, then all time their work from the same moment. Returns the
    examples per second of all of them together and each one's weights digest (training)."""
    errors = [tempfile.TemporaryFile("w+") for _ in range(processes)]  # read on failure only
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--measure", what],
            cwd=ROOT,
            env=child_env(threads),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=error,
            text=True,
        )
        for error in errors
    ]

    def fail(why: str) -> NoReturn:
        for child in children:
            child.kill()
            child.communicate()
        messages = []
        for error in errors:
            error.seek(0)
            messages.append(error.read()[-3000:])
        raise SystemExit(f"Measuring {what!r} failed ({why}):\n" + "\n".join(messages))

    for child in children:  # each says when it is warmed up
        if child.stdout.readline().strip() != "ready":
            fail("a process did not get ready")
    for child in children:  # then all start at once
        child.stdin.write("go\n")
        child.stdin.flush()
    reports = []
    for child in children:
        try:
            out, _ = child.communicate(timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            fail(f"no result within {CHILD_TIMEOUT} s")
        if child.returncode or not out.strip():
            fail(f"exit status {child.returncode}")
        reports.append(json.loads(out.splitlines()[-1]))
    for error in errors:
        error.close()
    seconds = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    return {
        "examples_per_s": sum(r["examples"] for r in reports) / seconds,
        "weights": [r["weights"] for r in reports if r.get("weights")],
        "intra_op_threads": threads,
        "processes": processes,
    }


def timed_when_told(measurement: Measurement) -> dict:
    """The child's side of :func:`in_fresh_processes`: say "ready", wait for a line, time the
    work."""
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.time()
    for _ in range(REPEATS):
        measurement.work()
    end = time.time()
    digest = measurement.digest() if measurement.digest else None
    return {
        "examples": REPEATS * measurement.examples,
        "start": start,
        "end": end,
        "weights": digest,
    }


def throughput(rounds: int = 3) -> tuple[float, dict[str, dict]]:
    """The matmul limit (FLOP/s, the best of MATMUL_LAYOUTS) and each of SETTINGS, measured by
    :func:`in_fresh_processes`. All take turns for ``rounds`` rounds, so that every one sees
    the same machine, and keep their best."""
    limit, best = 0.0, {}
    for _ in range(rounds):
        for threads, processes in MATMUL_LAYOUTS:
            rate = in_fresh_processes("matmul", threads, processes)["examples_per_s"]
            limit = max(limit, rate * flops_per_example())
        for key, setting in SETTINGS.items():
            rate = in_fresh_processes(key, setting.intra_op_threads, setting.processes)
            if key not in best or rate["examples_per_s"] > best[key]["examples_per_s"]:
                best[key] = rate
    return limit, best


def first_output(how: str) -> float:
    """Measure :func:`first_prediction` in a new Python process (a new TensorFlow)."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", how],
        cwd=ROOT,
        env=child_env(None),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    if done.returncode or not done.stdout.strip():
        raise SystemExit(f"Measuring {how!r} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def quick_times() -> dict[str, float]:
    """Run every chapter in quick mode (outputs not stored); return the seconds of each."""
    return {
        path.stem: execute.execute(path, quick=True, write=False, timeout=3600)
        for path in execute.chapters()
    }


def stored_full_runs() -> dict[str, dict | None]:
    """The full-mode run each chapter's stored outputs come from (None where none was recorded)."""
    runs = {}
    for path in execute.chapters():
        run = nbformat.read(path, as_version=4).metadata.get("book_run")
        runs[path.stem] = run if run and run.get("mode") == "full" else None
    return runs


MAKE_TEST_LOG = ROOT / "_build" / "benchmark_make_test.log"


def time_make_test() -> float:
    """Time `make test`; its output goes to MAKE_TEST_LOG, where a failure can be read."""
    MAKE_TEST_LOG.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with MAKE_TEST_LOG.open("w") as log:
        done = subprocess.run(["make", "test"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"`make test` failed, so its time does not count; see {MAKE_TEST_LOG}")
    return time.perf_counter() - start


def measure() -> dict:
    """Everything but `make test`, whose last time is kept (see main)."""
    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    limit, rates = throughput()
    predictions = {how: first_output(how) for how in PREDICTIONS}
    results = {
        "machine": machine(),
        "load_before": round(os.getloadavg()[0], 2),
        "matmul_limit_gflops": limit / 1e9,
        "flops_per_example": flops_per_example(),
        "throughput": {
            name: {**rate, "gflops": rate["examples_per_s"] * flops_per_example() / 1e9}
            for name, rate in rates.items()
        },
        "first_prediction_seconds": predictions,
        "quick_seconds": quick_times(),
        "full_runs": stored_full_runs(),
        "whole_book_run": whole_book_run(),
        "make_test_seconds": previous.get("make_test_seconds"),
    }
    return results


def page(results: dict) -> str:
    """The Markdown of the page, from the measured results."""
    m = results["machine"]
    lines = [
        "# How fast is this book?",
        "",
        "Every number on this page was measured by `tools/benchmark.py` (`make benchmark`) and",
        "written here by it; none is typed. Re-run it after a change that could make the book",
        "slower.",
        "",
        "## The machine",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['memory']} of memory, "
        + (f"GPUs: {', '.join(m['gpus'])}" if m["gpus"] else "no GPU")
        + f"; Python {m['python']}, TensorFlow {m['tensorflow']}; measured on {m['date']} with "
        f"a load average of {results['load_before']} when it started.",
        "",
        "## Training throughput of the standard MLP",
        "",
        "The book's standard network (784-300-100-10, ReLU, SGD) for one epoch of MNIST's 55,000",
        "training images. The matrix products of a training step cost"
        f" {results['flops_per_example']:,} floating-point operations per example: 2 per weight",
        "forward, 2 for the weights' gradients and 2 for the inputs' gradients, except in the",
        "first layer, whose inputs are the images (Keras computes no gradient for them). The",
        "machine's limit for this network is the speed of exactly those products at batch"
        f" {BATCH},",
        "run alone in a compiled loop (the faster of one process with TensorFlow's default",
        "threads and two processes side by side on their share of the cores):",
        f"**{results['matmul_limit_gflops']:.1f} GFLOP/s**.",
        "",
        "| settings | examples per second | GFLOP/s | share of the matmul limit |",
        "|---|---|---|---|",
    ]
    rates = results["throughput"]
    for key, rate in rates.items():
        share = rate["gflops"] / results["matmul_limit_gflops"]
        label = SETTINGS[key].label.format(threads=rate.get("intra_op_threads"))
        lines.append(
            f"| {label} | {rate['examples_per_s']:,.0f} | {rate['gflops']:.1f} | {share:.0%} |"
        )
    default, book = rates["defaults"], rates["book"]
    book_share = book["gflops"] / results["matmul_limit_gflops"]
    target = TARGETS["share_of_matmul_limit"]
    lines += [
        "",
        f"The book's settings train **{book['examples_per_s'] / default['examples_per_s']:.1f}×**"
        " as many examples per second as the defaults on this machine (every setting measured",
        "in the same run, in fresh processes, taking turns, each keeping its fastest round of",
        f"{REPEATS} epochs). Keras runs one Python-level call per batch by default;",
        "`steps_per_execution` runs many batches per call, which is where most of the difference",
        "comes from on a CPU (chapter 3 shows that the weights stay bit-identical).",
    ]
    alone, side_by_side = rates.get("book_shared_threads"), rates.get("book_side_by_side")
    if alone and side_by_side:
        lines += ["", *threads_paragraph(book, alone, side_by_side, results["machine"]["cores"])]
    predictions = results.get("first_prediction_seconds")
    if predictions:
        lines += [
            "",
            "Time to the first outputs of a new standard network for MNIST's 5,000 validation"
            " images: "
            + ", ".join(
                f"{label} {predictions[how]:.2f} s"
                for how, (label, _) in PREDICTIONS.items()
                if how in predictions
            )
            + ". `predict` hands its compiled function a list of up to `steps_per_execution`"
            " batches and traces the step once per batch (100 copies joined by concatenations),"
            " then again for the last, shorter list; `fit` and `evaluate` loop instead. Chapter 7,"
            " which checks the outputs of many new networks, calls the networks instead.",
        ]
    lines += [
        "",
        f"The target is at least {target:.0%} of the matmul limit; the book's settings reach "
        f"**{book_share:.0%}**"
        + (
            "."
            if book_share >= target
            else ": below it. The rest of a training step is not matrix products: bias"
            " additions, activations, the softmax and its loss, and the optimizer's update of"
            " every weight, each a separate pass over memory, and Keras' work around each step."
            " XLA fuses such operations into fewer passes; its row shows how much of the gap"
            " that closes here."
        )
        + (
            " Two trainings side by side reach"
            f" **{side_by_side['gflops'] / results['matmul_limit_gflops']:.0%}**"
            " together."
            if side_by_side
            else ""
        ),
        "",
        "## Chapters",
        "",
        "Quick mode is what `make test` validates; full mode produces the outputs the book shows.",
        "Full-mode times are those of the run whose outputs are stored, with the number of",
        "chapters that ran at once, the machine's load average at the chapter's start (a load",
        "above the number of cores means other work shared them; two chapters at once make a",
        "load of about 2) and TensorFlow's intra-op threads (default: every core).",
        "",
        "| chapter | quick mode (s) | full mode (min) | chapters at once | load then | threads "
        "| full run on |",
        "|---|---|---|---|---|---|---|",
    ]
    full_total = 0.0
    for name, quick in results["quick_seconds"].items():
        run = results["full_runs"].get(name)
        if run:
            full_total += run["seconds"]
            jobs = run.get("jobs", 1)
            threads = run.get("intra_op_threads") or "default"
            full = (
                f"{run['seconds'] / 60:.1f} | {jobs} | {run['load_before']} | {threads} "
                f"| {run['date']}"
            )
        else:
            full = "not recorded | – | – | – | –"
        lines.append(f"| {name} | {quick:.0f} | {full} |")
    quick_total = sum(results["quick_seconds"].values())
    recorded = sum(1 for run in results["full_runs"].values() if run)
    whole = results.get("whole_book_run")
    target_text = f"(target for the whole book: ≤ {TARGETS['full_minutes']} minutes on two cores)"
    if whole:
        threads = whole["intra_op_threads"] or "TensorFlow's default"
        full_text = (
            f"Full mode, the last run of the whole book (`tools/execute.py` on {whole['date']},"
            f" {whole['jobs']} chapter(s) at a time, intra-op threads: {threads}): **"
            f"{whole['seconds'] / 60:.1f} minutes** from its start to the end of its last chapter"
            f" {target_text}; its chapters' own times add up to"
            f" {sum(whole['chapters'].values()) / 60:.1f}."
            + since_whole_book(whole, results["full_runs"])
        )
    else:
        full_text = (
            f"Full mode: the chapters' own times add up to **{full_total / 60:.1f} minutes**"
            f" ({recorded} of {len(results['quick_seconds'])} chapters recorded) {target_text}."
            " No run of the whole book is recorded, so the page cannot give its wall time."
        )
    lines += [
        "",
        f"Quick mode, every chapter: **{quick_total / 60:.1f} minutes**. {full_text}",
    ]
    if results.get("make_test_seconds"):
        lines.append(
            f"`make test` (unit tests, every chapter under nbval in quick mode, the book build and "
            f"the browser checks, in an existing environment): **"
            f"{results['make_test_seconds'] / 60:.1f} minutes** (target ≤ "
            f"{TARGETS['test_minutes']})."
        )
    lines += [
        "",
        "## On a GPU",
        "",
        *gpu_expectation(results["full_runs"]),
        "",
    ]
    return "\n".join(lines)


def threads_paragraph(book: dict, alone: dict, side_by_side: dict, cores: int) -> list[str]:
    """What the rows with fewer threads say: one training's speed on its share of the cores, two
    side by side, and whether the weights depend on the threads."""
    threads = alone["intra_op_threads"]
    alone_ratio = alone["examples_per_s"] / book["examples_per_s"]
    gain = side_by_side["examples_per_s"] / book["examples_per_s"]
    digests = {
        name: row.get("weights", [])
        for name, row in [("book", book), ("alone", alone), ("side", side_by_side)]
    }
    text = [
        f"On {threads} intra-op thread(s) (`TF_NUM_INTRAOP_THREADS={threads}`) one training runs"
        f" at **{alone_ratio:.2f}×** its speed with TensorFlow's default threads on all {cores}"
        " cores"
        + (
            ": at batch 50 a step's matrix products are small, and the many short operations and"
            " the Python-level work around them do not spread over cores."
            if alone_ratio >= 0.8
            else "."
        ),
        f"Two trainings side by side on {threads} thread(s) each, as `make execute` runs two"
        " chapters at once, together"
        f" train **{gain:.2f}×** as many examples per second as one training on all cores"
        + (
            ", which is why `make execute` runs two chapters at a time."
            if gain > 1
            else ": no gain on this machine, so running two chapters at a time does not pay here."
        ),
    ]
    if all(digests.values()):
        same = len({d for ds in digests.values() for d in ds}) == 1
        text.append(
            "The weights after the same epochs are bit-identical in every one of these processes"
            " (the same SHA-256 digest), whatever its threads."
            if same
            else "The weights after the same epochs are not the same in all these processes"
            " (SHA-256 digests: "
            + "; ".join(f"{name} {', '.join(ds)}" for name, ds in digests.items())
            + ")."
        )
    return text


def since_whole_book(whole: dict, full_runs: dict[str, dict | None]) -> str:
    """What changed since the whole book's last run: chapters re-run since, chapters without a
    stored full run, chapters the run did not have."""
    rerun, unrecorded = [], []
    for name, run in full_runs.items():
        if not run:
            unrecorded.append(name)
        elif name in whole["chapters"] and run["seconds"] != whole["chapters"][name]:
            rerun.append(name)
    new = [name for name in full_runs if name not in whole["chapters"]]
    notes = [
        (rerun, "Re-run on their own since (the table shows their latest run)"),
        (unrecorded, "No stored full-mode run now"),
        (new, "Not in that run"),
    ]
    return "".join(f" {label}: {', '.join(names)}." for names, label in notes if names)


def whole_book_run() -> dict | None:
    """The last full-mode run of every chapter in one invocation, as ``tools/execute.py``
    recorded it (None if there was none)."""
    path = execute.WHOLE_BOOK_RUN
    return json.loads(path.read_text()) if path.is_file() else None


def gpu_expectation(full_runs: dict[str, dict | None]) -> list[str]:
    """What to expect on a GPU, beside the CPU times measured here (none of them is a GPU's)."""
    cnn = full_runs.get("03_first_networks")
    cnn_share = ""
    if cnn and cnn.get("slowest_cells"):
        cell_seconds = cnn["slowest_cells"][0][1]
        cnn_share = (
            f" (its training cell took {cell_seconds / 60:.1f} of the chapter's "
            f"{cnn['seconds'] / 60:.1f} minutes here)"
        )
    return [
        "None of these numbers come from a GPU; what follows is the order of magnitude to",
        "expect, not a measurement. Chapter 3's CNN" + cnn_share + " is convolution-heavy: a",
        "GPU typically trains it ten times faster or more. The other chapters train small",
        "dense networks at batches of 32 to 200, where a step is a few small matrix products and",
        "the fixed cost of launching each operation weighs as much as the arithmetic: expect",
        "their times within a factor of about two of the CPU times above, not ten.",
        "`.github/workflows/gpu.yml` validates every chapter in full mode on a GPU runner, and",
        "[Setting up](setup.md) says what else changes on a GPU (memory growth, determinism).",
    ]


def write(results: dict) -> None:
    """Write the measurements and the page generated from them (the page first: it can fail)."""
    text = page(results)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    PAGE.write_text(text, encoding="utf-8")


def refresh_page() -> None:
    """Rewrite the page from the measurements in the JSON and the chapters' stored full runs
    (``tools/execute.py`` calls it after a full run)."""
    if not RESULTS.is_file():
        raise ValueError(f"no {RESULTS.name} yet: run `make benchmark` first")
    results = json.loads(RESULTS.read_text())
    unknown = set(results.get("throughput", {})) - set(SETTINGS)
    if unknown:
        raise ValueError(
            f"{RESULTS.name} was measured with settings this script no longer has"
            f" ({', '.join(sorted(unknown))}): run `make benchmark`"
        )
    write({**results, "full_runs": stored_full_runs(), "whole_book_run": whole_book_run()})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--make-test", action="store_true", help="also time `make test`")
    parser.add_argument(
        "--make-test-only",
        action="store_true",
        help="time `make test` alone, keeping the other measurements of the JSON",
    )
    parser.add_argument(
        "--page-only",
        action="store_true",
        help="measure nothing: rewrite the page from the JSON, the chapters' stored full runs and"
        " book/whole_book_run.json",
    )
    parser.add_argument(  # the child of in_fresh_processes or first_output
        "--measure", choices=["matmul", *SETTINGS, *PREDICTIONS], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.measure:
        import helpers  # noqa: F401  (configures TensorFlow as a chapter has it)

        if args.measure in PREDICTIONS:
            value = first_prediction(args.measure)
        elif args.measure == "matmul":
            value = timed_when_told(matmul_products())
        else:
            value = timed_when_told(training_epochs(args.measure))
        print(json.dumps(value))
        return 0
    if args.page_only or args.make_test_only:
        try:
            refresh_page()
        except ValueError as error:
            parser.error(str(error))
        if args.make_test_only:  # the other measurements kept; its tests check the page
            write({**json.loads(RESULTS.read_text()), "make_test_seconds": time_make_test()})
    else:
        results = measure()
        write(results)
        if args.make_test:  # last: its tests check the page just written against the JSON
            write({**results, "make_test_seconds": time_make_test()})
    print(f"wrote {PAGE} and {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
