"""Measure how fast the book runs and write the page "How fast is this book?" (book/benchmark.md).

    python tools/benchmark.py               # throughput + every chapter in quick mode
    python tools/benchmark.py --make-test   # ... and time `make test` too (about 12 minutes)
    python tools/benchmark.py --page-only   # rewrite the page from book/benchmark.json

What it measures, on this machine:
- training throughput of the book's standard MLP (784-300-100-10 ReLU, SGD, MNIST's 55,000
  training images): Keras' and TensorFlow's defaults (batch 32, one step per call) against the
  book's settings (batch 50 as the sources, ``steps_per_execution=100``, one inter-op thread as
  ``import helpers`` sets on a CPU), each setting in a fresh process (threads are set once per
  process), taking turns and keeping each one's fastest epoch, so all see the same machine;
  each child also reports the inter-op threads it ran with (checked against the setting) and a
  digest of the trained weights (the page says whether the thread settings change them);
- the same MLP's arithmetic (6 FLOPs per weight per example: forward, and the two matrix
  products of the backward pass) divided by the machine's matmul limit, measured by running
  exactly those matrix products at batch 50 in a compiled loop (the best of both thread
  settings);
- the time to a new network's first outputs on 5,000 images: ``model.predict`` after
  ``compile(steps_per_execution=100)``, the same after ``steps_per_execution=1``, and calling
  the model;
- each chapter's time in quick mode (run here, outputs not stored) and in full mode (as stored by
  the last full run, ``tools/execute.py``, with the load the machine had then).

The results go to ``book/benchmark.json`` and the page is generated from it (never typed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import nbformat

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
    """Forward (2 per weight) plus backward (4 per weight: input and weight gradients)."""
    weights = sum(a * b for a, b in zip(LAYERS, LAYERS[1:]))
    return 6 * weights


def matmul_limit(repeats: int = 3, steps: int = 2000) -> float:
    """FLOP/s of the MLP's own matrix products at batch 50, alone in a compiled loop (the best of
    ``repeats``): the most a training step of this MLP could reach on this machine."""
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
            for x, w, g in zip(inputs, weights, grads):
                total += tf.reduce_sum(x @ w)  # forward
                total += tf.reduce_sum(g @ tf.transpose(w))  # gradient of the input
                total += tf.reduce_sum(tf.transpose(x) @ g)  # gradient of the weights
        return total

    loop(tf.constant(10))  # trace and warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        loop(tf.constant(steps)).numpy()
        best = min(best, time.perf_counter() - start)
    return steps * BATCH * flops_per_example() / best


class Setting(NamedTuple):
    """One way of training the MLP whose throughput is measured."""

    label: str
    batch: int
    steps_per_execution: int
    jit_compile: bool
    #: TensorFlow's inter-op threads: 0 = TensorFlow's default, None = what `import helpers` sets
    inter_op_threads: int | None


SETTINGS = {
    "defaults": Setting(
        "Keras' and TensorFlow's defaults (batch 32, 1 step per call)", 32, 1, False, 0
    ),
    "book_default_threads": Setting(
        "batch 50, steps_per_execution=100, TensorFlow's default threads", BATCH, 100, False, 0
    ),
    "book": Setting(
        "the book (batch 50, steps_per_execution=100, one inter-op thread)", BATCH, 100, False, None
    ),
    "book_xla": Setting("the book, compiled by XLA (jit_compile=True)", BATCH, 100, True, None),
}


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


def one_setting(key: str, repeats: int = 2) -> dict:
    """Examples per second of one epoch of ``fit`` under ``SETTINGS[key]`` (the best of
    ``repeats``, after a warm-up that traces the step), and a digest of the trained weights."""
    import hashlib

    from helpers import data

    setting = SETTINGS[key]
    (X, y), _, _ = data.load_splits("mnist", quick=False)
    model = standard_mlp(setting.steps_per_execution, setting.jit_compile)
    model.fit(X[:5000], y[:5000], batch_size=setting.batch, epochs=1, verbose=0)  # trace
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(X, y, batch_size=setting.batch, epochs=1, verbose=0)
        best = min(best, time.perf_counter() - start)
    import tensorflow as tf

    digest = hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()
    return {
        "examples_per_s": len(X) / best,
        "weights": digest[:16],
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def in_fresh_process(what: str, inter_op_threads: int | None) -> float | dict:
    """Measure ``what`` ("matmul", a key of SETTINGS or of PREDICTIONS) in a new Python process,
    which imports helpers first, with the given inter-op threads (None: what helpers sets)."""
    child_env = {k: v for k, v in os.environ.items() if k != "TF_NUM_INTEROP_THREADS"}
    if inter_op_threads is not None:
        child_env["TF_NUM_INTEROP_THREADS"] = str(inter_op_threads)
    done = subprocess.run(
        [sys.executable, __file__, "--measure", what],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
    )
    if done.returncode or not done.stdout.strip():
        raise SystemExit(f"Measuring {what!r} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])  # what the child printed last


def throughput(rounds: int = 3) -> dict[str, dict]:
    """Each of SETTINGS measured by :func:`one_setting` in its own process; the settings take
    turns for ``rounds`` rounds, so that every one sees the same machine, and keep their best."""
    best = {}
    for _ in range(rounds):
        for key, setting in SETTINGS.items():
            rate = in_fresh_process(key, setting.inter_op_threads)
            expected = 1 if setting.inter_op_threads is None else setting.inter_op_threads
            if rate["inter_op_threads"] != expected:
                raise SystemExit(
                    f"Setting {key!r} ran with {rate['inter_op_threads']} inter-op threads, not "
                    f"{expected}, so its row would be mislabelled (on a GPU machine helpers "
                    "leaves the threads alone: measure on a CPU-only one)."
                )
            if key not in best or rate["examples_per_s"] > best[key]["examples_per_s"]:
                best[key] = rate
    return best


def chapters() -> list[Path]:
    return sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def quick_times() -> dict[str, float]:
    """Run every chapter in quick mode (outputs not stored); return the seconds of each."""
    sys.path.insert(0, str(ROOT / "tools"))
    import execute

    return {
        path.stem: execute.execute(path, quick=True, write=False, timeout=3600)
        for path in chapters()
    }


def stored_full_runs() -> dict[str, dict | None]:
    """The full-mode run each chapter's stored outputs come from (None where none was recorded)."""
    runs = {}
    for path in chapters():
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


def measure(with_make_test: bool) -> dict:
    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    # first: a failing `make test` stops the benchmark before the long measurements
    make_test = time_make_test() if with_make_test else previous.get("make_test_seconds")
    # the best of TensorFlow's default threads and helpers' one inter-op thread
    limit = max(in_fresh_process("matmul", threads) for threads in (0, None))
    rates = throughput()
    predictions = {how: in_fresh_process(how, None) for how in PREDICTIONS}
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
        "make_test_seconds": make_test,
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
        f"The book's standard network (784-300-100-10, ReLU, SGD) for one epoch of MNIST's 55,000",
        f"training images. Each example costs {results['flops_per_example']:,} floating-point",
        "operations (2 per weight forward, 4 backward). The machine's limit for this network is",
        f"the speed of its own matrix products at batch {BATCH}, run alone in a compiled loop",
        "(the faster of TensorFlow's default threads and one inter-op thread):",
        f"**{results['matmul_limit_gflops']:.1f} GFLOP/s**.",
        "",
        "| settings | examples per second | GFLOP/s | share of the matmul limit |",
        "|---|---|---|---|",
    ]
    rates = results["throughput"]
    for key, rate in rates.items():
        share = rate["gflops"] / results["matmul_limit_gflops"]
        lines.append(
            f"| {SETTINGS[key].label} | {rate['examples_per_s']:,.0f} | {rate['gflops']:.1f} "
            f"| {share:.0%} |"
        )
    default, book = rates["defaults"], rates["book"]
    book_share = book["gflops"] / results["matmul_limit_gflops"]
    target = TARGETS["share_of_matmul_limit"]
    lines += [
        "",
        f"The book's settings train **{book['examples_per_s'] / default['examples_per_s']:.1f}×**"
        " as many examples per second as the defaults on this machine (every setting measured",
        "in the same run, each in a fresh process, taking turns, each keeping its fastest epoch).",
        "Keras runs one Python-level call per batch by default; `steps_per_execution` runs many",
        "batches per call, which is where most of the difference comes from on a CPU (chapter 3",
        "shows that the weights stay bit-identical).",
    ]
    if "book_default_threads" in rates:
        default_threads = rates["book_default_threads"]
        threads = book["examples_per_s"] / default_threads["examples_per_s"]
        digests = {default_threads.get("weights"), book.get("weights")}
        lines += [
            "The book's row differs from the row with TensorFlow's default threads only by one"
            f" inter-op thread, which `import helpers` sets on a CPU: **{threads:.2f}×** on its",
            (
                "own. By default TensorFlow schedules independent operations on a second pool of"
                " threads; for a chain of small operations that each use every core already, the"
                " hand-overs cost more than they gain."
                if threads >= 1
                else "own: slower, so in this run the setting did not pay for itself."
            )
            + (
                ""
                if None in digests
                else (
                    " The weights after the same epochs are bit-identical under both thread"
                    " settings (the same SHA-256 digest)."
                    if len(digests) == 1
                    else " The weights after the same epochs differ between the two thread"
                    " settings."
                )
            ),
        ]
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
            " every weight, each a separate pass over memory. XLA (the last row) fuses such"
            " operations into fewer passes; its row shows how much of the gap that closes here."
        ),
        "",
        "## Chapters",
        "",
        "Quick mode is what `make test` validates; full mode produces the outputs the book shows.",
        "Full-mode times are those of the run whose outputs are stored, with the machine's load",
        "average at its start (a load above the number of cores means other work shared them).",
        "",
        "| chapter | quick mode (s) | full mode (min) | load then | full run on |",
        "|---|---|---|---|---|",
    ]
    full_total = 0.0
    for name, quick in results["quick_seconds"].items():
        run = results["full_runs"].get(name)
        if run:
            full_total += run["seconds"]
            full = f"{run['seconds'] / 60:.1f} | {run['load_before']} | {run['date']}"
        else:
            full = "not recorded | – | –"
        lines.append(f"| {name} | {quick:.0f} | {full} |")
    quick_total = sum(results["quick_seconds"].values())
    recorded = sum(1 for run in results["full_runs"].values() if run)
    lines += [
        "",
        f"Quick mode, every chapter: **{quick_total / 60:.1f} minutes**. Full mode, the "
        f"{recorded} chapters with a recorded run: **{full_total / 60:.1f} minutes** (target for "
        f"the whole book: ≤ {TARGETS['full_minutes']} minutes on two cores).",
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--make-test", action="store_true", help="also time `make test`")
    parser.add_argument("--page-only", action="store_true", help="rewrite the page from the JSON")
    parser.add_argument(  # the child of in_fresh_process
        "--measure", choices=["matmul", *SETTINGS, *PREDICTIONS], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.measure:
        import helpers  # noqa: F401  (sets the threads as a chapter has them)

        if args.measure == "matmul":
            value = matmul_limit()
        elif args.measure in PREDICTIONS:
            value = first_prediction(args.measure)
        else:
            value = one_setting(args.measure)
        print(json.dumps(value))
        return 0
    if args.page_only:
        results = json.loads(RESULTS.read_text())
    else:
        results = measure(args.make_test)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    PAGE.write_text(page(results), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
