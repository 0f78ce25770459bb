"""Reproducible resets, a model builder and training runs that become rows of comparison tables."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import keras
import numpy as np

from helpers import env


def reset(seed: int = 42) -> None:
    """Start an experiment afresh: clear Keras' state and seed Python, NumPy and TensorFlow.

    The TensorFlow 2 successor of the sources' ``reset_graph()``.
    """
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)


class EpochLog(keras.callbacks.Callback):
    """Print one compact line every ``every`` epochs, below a live progress bar when someone watches.

    Use it with ``model.fit(..., verbose=0)``: the published page then shows a short log instead of
    thousands of progress-bar lines, while an interactive session (``BOOK_BATCH`` unset) also sees
    a bar advancing epoch by epoch with the latest epoch's metrics.
    """

    def __init__(
        self, every: int = 1, metrics: Sequence[str] = ("loss", "accuracy", "val_accuracy")
    ):
        super().__init__()
        if every < 1:
            raise ValueError(f"every={every} must be a positive number of epochs.")
        self.every = every
        self.metrics = tuple(metrics)
        self._bar: keras.utils.Progbar | None = None

    def on_train_begin(self, logs=None):
        epochs = self.params.get("epochs")
        watched = not env.is_batch()
        self._bar = (
            keras.utils.Progbar(epochs, unit_name="epoch", stateful_metrics=self.metrics)
            if watched
            else None
        )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = [(name, logs[name]) for name in self.metrics if name in logs]
        last = epoch + 1 == self.params.get("epochs")
        if self._bar is not None:
            self._bar.update(epoch + 1, values=shown, finalize=last)
        if epoch % self.every == 0 or last:
            below_bar = "\n" if self._bar is not None and not last else ""
            print(
                below_bar
                + f"epoch {epoch:>3}  "
                + "  ".join(f"{name} {value:.4f}" for name, value in shown)
            )


def build_mlp(
    n_hidden: Sequence[int] = (300, 100),
    activation: str | keras.layers.Layer = "relu",
    kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
    n_inputs: int = 28 * 28,
    n_outputs: int = 10,
    name: str = "mlp",
) -> keras.Sequential:
    """Build the sources' fully connected classifier: ``n_inputs`` -> hidden layers -> softmax.

    ``activation`` is a Keras activation name or function, or a layer class such as
    ``keras.layers.PReLU`` (a fresh instance follows each hidden layer). ``kernel_initializer``
    applies to the hidden layers; the softmax output layer keeps Keras' default (Glorot uniform).
    """
    if not n_hidden or any(units < 1 for units in n_hidden):
        raise ValueError(f"n_hidden={tuple(n_hidden)} must list at least one positive layer size.")
    layers: list[keras.layers.Layer] = [keras.Input(shape=(n_inputs,))]
    for index, units in enumerate(n_hidden, start=1):
        if isinstance(activation, type):
            layers.append(
                keras.layers.Dense(
                    units, kernel_initializer=kernel_initializer, name=f"hidden{index}"
                )
            )
            layers.append(activation(name=f"activation{index}"))
        else:
            layers.append(
                keras.layers.Dense(
                    units,
                    activation=activation,
                    kernel_initializer=kernel_initializer,
                    name=f"hidden{index}",
                )
            )
    layers.append(keras.layers.Dense(n_outputs, activation="softmax", name="outputs"))
    return keras.Sequential(layers, name=name)


@dataclass
class Run:
    """One training run: its name, the per-epoch history, and how long it took."""

    name: str
    history: dict[str, list[float]]
    seconds: float
    setup: dict = field(default_factory=dict)

    def values(self, metric: str = "val_accuracy") -> list[float]:
        """Return the per-epoch values of ``metric``."""
        if metric not in self.history:
            raise KeyError(
                f"Run {self.name!r} has no {metric!r}; it recorded {sorted(self.history)}."
            )
        return self.history[metric]

    def best(self, metric: str = "val_accuracy") -> tuple[int, float]:
        """Return ``(epoch, value)`` of the best (highest) value of ``metric``, epochs counted from 0."""
        values = self.values(metric)
        epoch = int(np.argmax(values))
        return epoch, float(values[epoch])

    def at(self, epoch: int, metric: str = "val_accuracy") -> float:
        """Return ``metric`` after ``epoch`` (counted from 0, as the sources print it)."""
        values = self.values(metric)
        if not 0 <= epoch < len(values):
            raise IndexError(
                f"Run {self.name!r} trained {len(values)} epochs; epoch {epoch} does not exist."
            )
        return float(values[epoch])

    def row(self, metric: str = "val_accuracy") -> dict:
        """Return a row for a comparison table: set-up, best and final ``metric``, seconds."""
        epoch, value = self.best(metric)
        return {
            "run": self.name,
            **self.setup,
            f"best {metric}": round(value, 4),
            "best epoch": epoch,
            f"final {metric}": round(self.values(metric)[-1], 4),
            "seconds": round(self.seconds, 1),
        }


def train(
    name: str,
    model: keras.Model,
    train_data: tuple[np.ndarray, np.ndarray],
    valid_data: tuple[np.ndarray, np.ndarray],
    epochs: int,
    batch_size: int,
    log_every: int = 5,
    **setup,
) -> Run:
    """Fit a compiled model with a compact log and return the :class:`Run` (history and time).

    ``setup`` keywords (e.g. ``optimizer="SGD 0.01"``) are stored and become columns of ``Run.row()``.
    """
    if not model.compiled:
        raise ValueError(
            f"Model {model.name!r} is not compiled; call model.compile(...) before train()."
        )
    X_train, y_train = train_data
    if len(X_train) != len(y_train):
        raise ValueError(
            f"{len(X_train)} training inputs but {len(y_train)} labels; they must match."
        )
    start = time.perf_counter()
    history = model.fit(
        X_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=valid_data,
        verbose=0,
        callbacks=[EpochLog(every=log_every)],
    )
    seconds = time.perf_counter() - start
    return Run(
        name,
        {key: [float(v) for v in values] for key, values in history.history.items()},
        seconds,
        dict(setup),
    )
