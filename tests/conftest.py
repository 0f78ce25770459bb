"""Fixtures shared by the tests; the maintainer tools in tools/ are importable from every test."""

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))  # book_site, the pages of the book


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The book built as `make book` builds it (warnings are errors), once per test session.

    When pytest-xdist runs the tests in several workers (`make test`), the first worker that needs
    the site builds it into the run's shared temporary folder and the others wait for it and
    reuse it.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _build_book(tmp_path_factory.mktemp("book"))
    shared = tmp_path_factory.getbasetemp().parent  # one folder per run, shared by its workers
    html = shared / "book" / "_build" / "html"
    with open(shared / "book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not html.is_dir():
            _build_book(shared / "book")
    return html


def _build_book(out: Path) -> Path:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--path-output",
            str(out),
            "--warningiserror",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
    )
    assert (
        result.returncode == 0
    ), f"the book does not build cleanly:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return out / "_build" / "html"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """Run a test as on a fresh machine: no ``BOOK_*`` variables and an empty Keras home."""
    for name in ("BOOK_QUICK", "BOOK_BATCH", "BOOK_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))


def pytest_collection_modifyitems(config, items):
    """Order the files for `make test`'s two workers, which pytest-xdist (``--dist loadfile
    --no-loadscope-reorder``) hands out whole in this order: a file that needs the built site,
    the slowest chapter, then the other files that need the site, the other chapters slowest
    first (by their quick-mode times on the page "How fast is this book?"), and the unit tests.
    One worker builds the site (the ``site`` fixture) while the other starts the slowest chapter,
    instead of both waiting for the build, and no long chapter starts last. (``--dist loadgroup``
    could keep the site's files on one worker, but pytest 9.2 breaks it: pytest-xdist#1386.)"""
    benchmark = ROOT / "book" / "benchmark.json"
    quick = (
        json.loads(benchmark.read_text()).get("quick_seconds", {}) if benchmark.is_file() else {}
    )
    by_file: dict[Path, list] = {}
    for item in items:
        by_file.setdefault(item.path, []).append(item)
    site = [
        path
        for path, its in by_file.items()
        if any("site" in getattr(i, "fixturenames", ()) for i in its)
    ]
    chapters = sorted(
        (path for path in by_file if path.suffix == ".ipynb"),
        key=lambda path: -quick.get(path.stem, 0.0),
    )
    others = [path for path in by_file if path not in site and path not in chapters]
    order = site[:1] + chapters[:1] + site[1:] + chapters[1:] + others
    items[:] = [item for path in order for item in by_file[path]]
