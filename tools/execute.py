"""Execute chapters in full or quick mode, store their outputs, and report each chapter's run time.

    python tools/execute.py --mode full chapters/04_activations.ipynb   # one chapter
    python tools/execute.py --mode full --jobs 2 chapters/*.ipynb     # what `make execute` runs
    python tools/execute.py --mode quick --no-write chapters/*.ipynb    # a smoke test

Chapters run unattended (BOOK_BATCH=1: compact training logs, no progress bars) with their own
folder as the working directory, exactly as a reader runs them.

``--jobs 2`` runs two chapters at once, the longest first, each kernel on half the cores'
threads (``TF_NUM_INTRAOP_THREADS``). The page "How fast is this book?" measures why: at batch
50 the book's standard MLP trains almost as fast on one thread as on two, so two trainings side
by side get more done, and its weights come out bit-identical either way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
#: The last full-mode run of every chapter in one invocation (`make execute`): its wall time.
WHOLE_BOOK_RUN = ROOT / "book" / "whole_book_run.json"


def chapters() -> list[Path]:
    """The book's chapter notebooks, in order."""
    return sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def execute(
    notebook: Path,
    quick: bool,
    write: bool,
    timeout: int,
    threads: int | None = None,
    jobs: int = 1,
) -> float:
    """Run every cell of ``notebook``; store the outputs (and the run's time) when ``write``.

    ``threads`` sets TensorFlow's intra-op threads (None: TensorFlow's default, every core);
    ``jobs`` says how many chapters ran at once, for the record. Returns the seconds the run
    took.
    """
    kernel_env = {**os.environ, "BOOK_QUICK": "1" if quick else "0", "BOOK_BATCH": "1"}
    if threads:
        kernel_env["TF_NUM_INTRAOP_THREADS"] = str(threads)
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
        record_timing=True,  # per-cell times, summarized below and then dropped
        # The page shows explorers as static figures; a saved widget state would make the book
        # load require.js and the widget manager from a CDN for nothing.
        store_widget_state=False,
    )
    load = os.getloadavg()[0]
    start = time.perf_counter()
    client.execute(env=kernel_env)
    seconds = time.perf_counter() - start
    cell_seconds = {}
    for index, cell in enumerate(nb.cells):
        timing = cell.metadata.pop("execution", None)  # kept out of the stored notebook
        if timing and "iopub.status.busy" in timing and "shell.execute_reply" in timing:
            begin, end = (
                datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                for key in ("iopub.status.busy", "shell.execute_reply")
            )
            cell_seconds[index] = (end - begin).total_seconds()
    slowest = sorted(cell_seconds.items(), key=lambda item: -item[1])[:5]
    if write:
        # the run's time beside its outputs, for tools/benchmark.py ("How fast is this book?")
        nb.metadata["book_run"] = {
            "mode": "quick" if quick else "full",
            "seconds": round(seconds, 1),
            "load_before": round(load, 2),
            "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d"),
            "intra_op_threads": kernel_env.get("TF_NUM_INTRAOP_THREADS"),  # None: the default
            "jobs": jobs,  # chapters that ran at once
            # where the time goes: [cell index, seconds] of the five slowest cells
            "slowest_cells": [[index, round(secs, 1)] for index, secs in slowest],
        }
        nbformat.write(nb, notebook)
    return seconds


def threads_per_job(jobs: int) -> int | None:
    """TensorFlow's intra-op threads for each of ``jobs`` processes side by side: their share of
    the cores (None for one job: TensorFlow's default, every core)."""
    return None if jobs == 1 else max(1, (os.cpu_count() or 1) // jobs)


def longest_first(notebooks: list[Path], mode: str) -> list[Path]:
    """The chapters in order of their last recorded run in ``mode``, the longest first (so that
    with several jobs no long chapter starts last); unrecorded ones first of all."""

    def recorded_seconds(path: Path) -> float:
        run = nbformat.read(path, as_version=4).metadata.get("book_run") or {}
        return run["seconds"] if run.get("mode") == mode else float("inf")

    return sorted(notebooks, key=recorded_seconds, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--mode", choices=["full", "quick"], default="full")
    parser.add_argument(
        "--no-write", action="store_true", help="run only; leave the stored outputs alone"
    )
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one cell may take")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="chapters run at once, each on its share of the cores, the longest recorded full-mode"
        " run first (quick runs are not recorded: in quick mode the order given)",
    )
    args = parser.parse_args()
    missing = [str(path) for path in args.notebooks if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: run at least one chapter at a time")
    # the caller's choice of threads stands
    threads = None if "TF_NUM_INTRAOP_THREADS" in os.environ else threads_per_job(args.jobs)
    kernel_threads = os.environ.get("TF_NUM_INTRAOP_THREADS", threads and str(threads))
    started = datetime.now().astimezone()
    start = time.perf_counter()
    times, failures = {}, {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        running = {
            pool.submit(
                execute,
                notebook,
                args.mode == "quick",
                not args.no_write,
                args.timeout,
                threads,
                args.jobs,
            ): notebook
            for notebook in longest_first(args.notebooks, args.mode)
        }
        print(
            f"running {len(running)} chapter(s) in {args.mode} mode, {args.jobs} at a time ...",
            flush=True,
        )
        for done in as_completed(running):
            notebook = running[done]
            try:
                times[notebook] = done.result()
            except Exception as error:  # the others go on; the failures are listed at the end
                failures[notebook] = error
                print(f"{notebook}: FAILED ({type(error).__name__})\n{error}", flush=True)
            else:
                print(f"{notebook}: {times[notebook]:.0f} s", flush=True)
    wall = time.perf_counter() - start
    print(
        f"total: {wall:.0f} s for {len(times)} chapter(s) in {args.mode} mode, {args.jobs} at a "
        f"time (their own times add up to {sum(times.values()):.0f} s)"
    )
    if args.mode == "full" and not args.no_write:
        ran = {path.resolve(): seconds for path, seconds in times.items()}
        if not failures and all(path.resolve() in ran for path in chapters()):
            record = {path: ran[path.resolve()] for path in chapters()}
            record_whole_book(started, wall, args.jobs, kernel_threads, record)
        refresh_generated_pages()
    if failures:
        print(f"{len(failures)} chapter(s) failed: {', '.join(map(str, failures))}")
        return 1
    return 0


def record_whole_book(
    started: datetime, wall: float, jobs: int, threads: str | None, times: dict[Path, float]
) -> None:
    """Write WHOLE_BOOK_RUN: the wall time of a run of every chapter, and each chapter's time."""
    record = {
        "date": started.strftime("%Y-%m-%d"),
        "seconds": round(wall, 1),
        "jobs": jobs,
        "intra_op_threads": threads,  # as each chapter's record has it (None: the default)
        "chapters": {path.stem: round(seconds, 1) for path, seconds in sorted(times.items())},
    }
    WHOLE_BOOK_RUN.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{WHOLE_BOOK_RUN}: the whole book's run recorded", flush=True)


def refresh_generated_pages() -> None:
    """Rewrite the pages generated from the chapters' stored outputs and runs: the results page
    and "How fast is this book?"."""
    # here, not at the top: they import TensorFlow, which the tools importing execute do not need
    import benchmark  # tools/ is on the path: this script's own folder
    import results_page

    if results_page.update():
        print(f"{results_page.PAGE}: table rewritten from the chapters' new outputs")
    try:
        benchmark.refresh_page()
    except ValueError as error:
        print(f"{benchmark.PAGE} not refreshed: {error}")
    else:
        print(f"{benchmark.PAGE}: the chapters' full-mode times rewritten")


if __name__ == "__main__":
    sys.exit(main())
