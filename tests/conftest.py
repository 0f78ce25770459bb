"""Fixtures shared by the tests; the maintainer tools in tools/ are importable from every test."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))  # book_site, the pages of the book


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The book built as `make book` builds it (warnings are errors), once per test session."""
    out = tmp_path_factory.mktemp("book")
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
