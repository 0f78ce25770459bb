"""The small package every chapter of the book imports.

``import helpers`` comes first in a chapter: it quiets TensorFlow's start-up chatter, configures
GPU memory growth before TensorFlow starts, then loads the rooms of the package: ``env``,
``data``, ``plots``, ``training``, ``diagnostics``, ``results``, ``widgets``, ``paths``,
``schedules``.
"""

from helpers import env  # sets TF_CPP_MIN_LOG_LEVEL before TensorFlow is imported

with env.quiet_native_stderr():
    import tensorflow as tf

    tf.config.list_physical_devices("GPU")  # where TensorFlow probes CUDA, noisily

# outside the quiet block, so that its warning reaches the reader
env.enable_memory_growth()  # before any GPU is used

from helpers import (  # noqa: E402
    data,
    diagnostics,
    paths,
    plots,
    results,
    schedules,
    training,
    widgets,
)

__all__ = [
    "data",
    "diagnostics",
    "env",
    "paths",
    "plots",
    "results",
    "schedules",
    "training",
    "widgets",
    "setup",
]


def setup(seed: int = 42) -> None:
    """Prepare a chapter: report versions and run mode, seed everything, deterministic ops, figure style."""
    print(env.describe())
    tf.get_logger().setLevel("ERROR")  # no retracing notices when a chapter builds many models
    tf.config.experimental.enable_op_determinism()
    training.reset(seed)
    plots.use_book_style()
