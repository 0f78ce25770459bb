"""MNIST and Fashion-MNIST: local IDX files first, then the normal Keras download.

Files are looked for in ``$BOOK_DATA_DIR/<folder>/`` and then in Keras' cache
(``~/.keras/datasets/<folder>/``), verified against the published MD5 checksums and parsed
from the original IDX format. When neither folder has them, Keras downloads the data as usual.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

from helpers import env

Arrays = tuple[np.ndarray, np.ndarray]

#: The original IDX files of each dataset, with their MD5 checksums.
DATASETS: dict[str, dict] = {
    "mnist": {
        "folder": "mnist",
        "files": {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    },
    "fashion_mnist": {
        "folder": "fashion-mnist",
        "files": {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    },
}

#: How many examples each split keeps in quick mode (the first ones, so the subset is fixed).
QUICK_SIZES = {"train": 4000, "valid": 1000, "test": 1000}

_IDX_DTYPES = {0x08: np.uint8}


def _spec(name: str) -> dict:
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)}.")
    return DATASETS[name]


def md5sum(path: Path) -> str:
    """Return the hexadecimal MD5 digest of a file."""
    digest = hashlib.md5()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_idx(path: Path) -> np.ndarray:
    """Parse a gzip-compressed IDX file (the MNIST format) into a NumPy array.

    Raises:
        ValueError: when the file is not a complete IDX file of unsigned bytes.
    """
    try:
        raw = gzip.decompress(Path(path).read_bytes())
    except (OSError, EOFError) as error:
        raise ValueError(
            f"{path} is not a readable gzip file ({error}); delete it and fetch it again."
        ) from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(
            f"{path} does not start with an IDX header of unsigned bytes; is it an MNIST file?"
        )
    header_size = 4 + 4 * raw[3]
    if len(raw) < header_size:
        raise ValueError(
            f"{path} is truncated inside its IDX header; delete it and fetch it again."
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=raw[3], offset=4))
    expected = header_size + int(np.prod(shape))
    if len(raw) != expected:
        raise ValueError(
            f"{path} does not match its IDX header: shape {shape} needs {expected} bytes, "
            f"the file holds {len(raw)}; delete it and fetch it again."
        )
    return (
        np.frombuffer(raw, dtype=_IDX_DTYPES[raw[2]], offset=header_size).reshape(shape).copy()
    )  # writable


def search_folders(name: str) -> list[Path]:
    """Return the folders searched, in order, for a dataset's IDX files."""
    folder = _spec(name)["folder"]
    roots = [root for root in (env.data_dir(), env.keras_cache_dir()) if root is not None]
    return [root / folder for root in roots]


def find_local_files(name: str) -> Path | None:
    """Return the first folder holding all of a dataset's IDX files, verified, or None.

    Raises:
        ValueError: when a file is present but its checksum is wrong (corrupt or truncated).
    """
    files = _spec(name)["files"]
    for folder in search_folders(name):
        if not all((folder / file).is_file() for file in files):
            continue
        for file, expected in files.items():
            actual = md5sum(folder / file)
            if actual != expected:
                raise ValueError(
                    f"{folder / file} is corrupt or truncated: MD5 {actual}, expected {expected}. "
                    "Delete it and copy or download the original file again."
                )
        return folder
    return None


def _download_with_keras(name: str) -> tuple[Arrays, Arrays]:
    import keras

    loader = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}[name]
    try:
        return loader.load_data()
    except Exception as error:  # Keras raises several kinds when offline
        folders = ", ".join(str(folder) for folder in search_folders(name))
        expected = ", ".join(_spec(name)["files"])
        raise FileNotFoundError(
            f"{name} was not found in {folders} and the download failed ({error}). "
            f"Set BOOK_DATA_DIR to a folder whose '{_spec(name)['folder']}/' subfolder holds {expected}."
        ) from error


def load_dataset(name: str = "mnist") -> tuple[Arrays, Arrays]:
    """Load a dataset as Keras does: ``(X_train, y_train), (X_test, y_test)``, uint8 images.

    Local IDX files (``BOOK_DATA_DIR``, then Keras' cache) come first; otherwise Keras downloads.
    """
    folder = find_local_files(name)
    if folder is None:
        return _download_with_keras(name)
    arrays = [read_idx(folder / file) for file in _spec(name)["files"]]
    X_train, y_train, X_test, y_test = arrays
    if len(X_train) != len(y_train) or len(X_test) != len(y_test):
        raise ValueError(
            f"{folder}: images and labels disagree in number; the files do not belong together."
        )
    return (X_train, y_train), (X_test, y_test)


def load_splits(
    name: str = "mnist",
    n_valid: int = 5000,
    flatten: bool = True,
    scale: bool = True,
    quick: bool | None = None,
) -> tuple[Arrays, Arrays, Arrays]:
    """Return ``(X_train, y_train), (X_valid, y_valid), (X_test, y_test)`` as the sources split them.

    Args:
        name: ``"mnist"`` or ``"fashion_mnist"``.
        n_valid: how many of the first training images become the validation set (the sources' 5,000).
        flatten: reshape each 28x28 image into a vector of 784 values.
        scale: convert to float32 in [0, 1]; otherwise keep uint8 pixels.
        quick: keep only the first ``QUICK_SIZES`` examples of each split; None follows ``BOOK_QUICK``.
    """
    (X_train_full, y_train_full), (X_test, y_test) = load_dataset(name)
    if not 0 < n_valid < len(X_train_full):
        raise ValueError(f"n_valid={n_valid} must be between 1 and {len(X_train_full) - 1}.")
    splits = {
        "train": (X_train_full[n_valid:], y_train_full[n_valid:]),
        "valid": (X_train_full[:n_valid], y_train_full[:n_valid]),
        "test": (X_test, y_test),
    }
    if env.is_quick() if quick is None else quick:
        splits = {
            key: (X[: QUICK_SIZES[key]], y[: QUICK_SIZES[key]]) for key, (X, y) in splits.items()
        }
    return tuple((_prepare(X, flatten, scale), y.astype(np.int64)) for X, y in splits.values())


def _prepare(X: np.ndarray, flatten: bool, scale: bool) -> np.ndarray:
    if flatten:
        X = X.reshape(len(X), -1)
    if scale:
        X = X.astype(np.float32) / 255.0
    return X
