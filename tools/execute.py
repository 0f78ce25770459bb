"""Execute chapters in full or quick mode, store their outputs, and report each chapter's run time.

    python tools/execute.py --mode full chapters/04_activations.ipynb   # what `make execute` runs
    python tools/execute.py --mode quick --no-write chapters/*.ipynb    # a smoke test

Chapters run unattended (BOOK_BATCH=1: compact training logs, no progress bars) with their own
folder as the working directory, exactly as a reader runs them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import results_page  # tools/ is on the path: this script's own folder


def execute(notebook: Path, quick: bool, write: bool, timeout: int) -> float:
    """Run every cell of ``notebook``; store the outputs (and the run's time) when ``write``.

    Returns the seconds the run took.
    """
    kernel_env = {**os.environ, "BOOK_QUICK": "1" if quick else "0", "BOOK_BATCH": "1"}
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
            # where the time goes: [cell index, seconds] of the five slowest cells
            "slowest_cells": [[index, round(secs, 1)] for index, secs in slowest],
        }
        nbformat.write(nb, notebook)
    return seconds


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
    args = parser.parse_args()
    missing = [str(path) for path in args.notebooks if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    times = {}
    for notebook in args.notebooks:
        print(f"{notebook}: running in {args.mode} mode ...", flush=True)
        times[notebook] = execute(notebook, args.mode == "quick", not args.no_write, args.timeout)
        print(f"{notebook}: {times[notebook]:.0f} s", flush=True)
    print(f"total: {sum(times.values()):.0f} s for {len(times)} chapter(s) in {args.mode} mode")
    if args.mode == "full" and not args.no_write and results_page.update():
        print(f"{results_page.PAGE}: table rewritten from the chapters' new outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
