"""The small package every chapter of the book imports.

``import helpers`` comes first in a chapter: it quiets TensorFlow's start-up chatter, then loads
the rooms of the package: ``env``, ``data``, ``plots``, ``training``, ``diagnostics``, ``results``.
"""

import numpy as np

from helpers import env  # sets TF_CPP_MIN_LOG_LEVEL before TensorFlow is imported

with env.quiet_native_stderr():
    import keras
    import tensorflow as tf

    env.gpu_devices()  # the first device query is where TensorFlow reports its CUDA probing

from helpers import data, diagnostics, plots, results, training  # noqa: E402

__all__ = ["data", "diagnostics", "env", "plots", "results", "training", "setup"]


def setup(seed: int = 42) -> None:
    """Prepare a chapter: report versions and run mode, seed everything, deterministic ops, figure style."""
    print(env.describe())
    tf.config.experimental.enable_op_determinism()
    training.reset(seed)  # deterministic ops refuse to run unseeded, the first fit included
    with env.quiet_native_stderr():
        _first_fit()
    training.reset(seed)  # and the chapter starts from the seed, whatever the first fit drew
    plots.use_book_style()


def _first_fit() -> None:
    """Fit a one-weight model once, so that TensorFlow's one-time notice stays out of the chapters.

    With op determinism on, TensorFlow 2.21 logs a harmless "E0000 ... use_unbounded_threadpool"
    line to stderr on the first Keras fit fed with NumPy arrays; it is logged once per process.
    """
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((1, 1)), np.zeros((1, 1)), verbose=0)
