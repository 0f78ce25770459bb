"""Before nbval runs the chapters: stop once, with one clear message, when the data is missing.

Without it, a machine that has neither the datasets nor a connection would see every training
cell of every chapter fail on its own.
"""

import pytest


def pytest_collection_finish(session):
    if not any(item.path.suffix == ".ipynb" for item in session.items):
        return
    from helpers import data

    problems = []
    for name in data.DATASETS:
        try:
            data.load_dataset(
                name
            )  # the local files, else Keras' download (cached for later)
        except (FileNotFoundError, ValueError) as error:
            problems.append(f"- {error}")
    if problems:
        pytest.exit(
            "The chapters need MNIST and Fashion-MNIST, and this machine can neither find nor "
            "download them:\n"
            + "\n".join(problems)
            + "\nOffline, copy the original "
            "*-ubyte.gz files (MNIST from Yann LeCun's site or a mirror, Fashion-MNIST from "
            "zalandoresearch/fashion-mnist on GitHub) into $BOOK_DATA_DIR/mnist/ and "
            "$BOOK_DATA_DIR/fashion-mnist/, or run once where the download works.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
