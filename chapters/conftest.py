"""Before nbval runs the chapters: stop once, with one clear message, when data is missing.

Without it, a machine that has neither the datasets nor a connection would see
every training cell of every chapter fail on its own.
"""

import pytest

WHERE = (
    "Offline, copy the original *-ubyte.gz files (MNIST from Yann LeCun's site "
    "or a mirror, Fashion-MNIST from zalandoresearch/fashion-mnist on GitHub) "
    "into $BOOK_DATA_DIR/mnist/ and $BOOK_DATA_DIR/fashion-mnist/, or run once "
    "where the download works."
)


def pytest_collection_finish(session):
    if not any(item.path.suffix == ".ipynb" for item in session.items):
        return
    from helpers import data

    problems = []
    for name in data.DATASETS:
        # the local files, else Keras' download (cached for the chapters)
        try:
            data.load_dataset(name)
        except (FileNotFoundError, ValueError) as error:
            problems.append(f"- {error}")
    if problems:
        pytest.exit(
            "The chapters need MNIST and Fashion-MNIST, and this machine can "
            "neither find nor download them:\n"
            + "\n".join(problems)
            + "\n"
            + WHERE,
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
