"""Run mode and environment: quick/full switch, data folder, Colab/GPU detection, versions.

Every environment variable the book reads is read here, and only here:

- ``BOOK_QUICK=1`` turns quick mode on: the same code on small data subsets.
- ``BOOK_DATA_DIR`` names a folder to look in first for datasets.
- ``BOOK_BATCH=1`` says nobody is watching (CI, the execution tool): no progress bars.
- ``TF_NUM_INTRAOP_THREADS``, TensorFlow's own, is read to report the threads it allows.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

# TensorFlow reads this when it is first imported; `import helpers` comes before it. Level 3 keeps
# only fatal C++ messages: TensorFlow 2.21 logs harmless "E0000 ... use_unbounded_threadpool"
# lines when Keras feeds NumPy arrays under op determinism. Real errors still raise exceptions.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={os.environ[name]!r} is not understood; use 1 (on) or 0 (off).")


def is_quick() -> bool:
    """Return True when ``BOOK_QUICK`` asks for quick mode (small data subsets)."""
    return _flag("BOOK_QUICK")


def is_batch() -> bool:
    """Return True when ``BOOK_BATCH`` says the notebook runs unattended (no progress bars)."""
    return _flag("BOOK_BATCH")


def data_dir() -> Path | None:
    """Return the folder named by ``BOOK_DATA_DIR``, or None when it is not set."""
    value = os.environ.get("BOOK_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else None


def keras_cache_dir() -> Path:
    """Return Keras' own download cache (``$KERAS_HOME/datasets``, by default ``~/.keras/datasets``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "datasets"


def in_colab() -> bool:
    """Return True when running inside Google Colab."""
    return "google.colab" in sys.modules


def _gpus() -> list:
    """Return TensorFlow's physical GPU devices (empty on a CPU-only machine)."""
    import tensorflow as tf

    return tf.config.list_physical_devices("GPU")


def gpu_devices() -> list[str]:
    """Return the names of the GPUs TensorFlow can see (empty on a CPU-only machine)."""
    return [gpu.name for gpu in _gpus()]


def device() -> str:
    """Return what trains the models here: the GPUs by name, or the CPU and its number of cores,
    with TensorFlow's threads when ``TF_NUM_INTRAOP_THREADS`` limits them (as ``make execute``
    does to run two chapters at once)."""
    import tensorflow as tf

    gpus = _gpus()
    if not gpus:
        threads = os.environ.get("TF_NUM_INTRAOP_THREADS", "").strip()
        limited = f", TensorFlow on {threads} thread{'s' * (threads != '1')}" if threads else ""
        return f"CPU, {os.cpu_count()} cores{limited}"
    details = tf.config.experimental.get_device_details
    return "GPU: " + ", ".join(details(gpu).get("device_name", gpu.name) for gpu in gpus)


def enable_memory_growth() -> list[str]:
    """Let TensorFlow take GPU memory as it needs it, not all at once; return the GPUs' names.

    It must run before TensorFlow first uses a GPU (``import helpers`` does it); later, the setting
    can no longer change, and a warning says so instead of failing the chapter.
    """
    import warnings

    import tensorflow as tf

    gpus = _gpus()
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError as error:  # the GPU was initialized already
            warnings.warn(
                f"Could not let {gpu.name} grow its memory ({error}); TensorFlow keeps its "
                "default of taking most of it. Restart the runtime and import helpers first.",
                stacklevel=2,
            )
    return [gpu.name for gpu in gpus]


def versions(
    packages: tuple[str, ...] = ("numpy", "tensorflow", "keras", "matplotlib")
) -> dict[str, str]:
    """Return the Python version and the installed version of each package (the ``%watermark`` cell)."""
    report = {"python": platform.python_version()}
    for name in packages:
        try:
            report[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            report[name] = "not installed"
    return report


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what C++ code writes to the process' stderr (TensorFlow's start-up log lines).

    TensorFlow prints oneDNN and CUDA notices before its logging is configured, so
    ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them; the file descriptor is pointed at /dev/null instead.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def describe() -> str:
    """Return a short report of versions, run mode and hardware, one item per line."""
    lines = [f"{name:<11} {version}" for name, version in versions().items()]
    gpus = gpu_devices()
    lines.append(f"{'mode':<11} {'quick (small data subsets)' if is_quick() else 'full'}")
    lines.append(f"{'platform':<11} {'Colab' if in_colab() else platform.system()}")
    lines.append(f"{'GPUs':<11} {', '.join(gpus) if gpus else 'none (running on the CPU)'}")
    return "\n".join(lines)
