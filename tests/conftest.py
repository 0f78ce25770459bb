"""Fixtures shared by the tests; the maintainer tools in tools/ are importable from every test."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """Run a test as on a fresh machine: no ``BOOK_*`` variables and an empty Keras home."""
    for name in ("BOOK_QUICK", "BOOK_BATCH", "BOOK_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
