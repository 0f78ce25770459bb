"""Reproducible resets, a model builder and training runs that become rows of comparison tables."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import pandas as pd

from helpers import env, plots

#: The seed the last :func:`reset` set; :func:`train` records it in the run it returns (a run
#: trained later, without a reset in between, continues from that seed's random state).
_seed_in_use: int | None = None


def reset(seed: int = 42) -> None:
    """Start an experiment afresh: clear Keras' state and seed Python, NumPy and TensorFlow.

    The TensorFlow 2 successor of the sources' ``reset_graph()``.
    """
    global _seed_in_use
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    _seed_in_use = int(seed)


def seed_in_use() -> int | None:
    """Return the seed the last :func:`reset` set (None before the first)."""
    return _seed_in_use


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
    activation: str | Callable[[], keras.layers.Layer] = "relu",
    kernel_initializer: str | dict | keras.initializers.Initializer = "glorot_uniform",
    n_inputs: int = 28 * 28,
    n_outputs: int = 10,
    name: str = "mlp",
) -> keras.Sequential:
    """Build the sources' fully connected classifier: ``n_inputs`` -> hidden layers -> softmax.

    ``activation`` is a Keras activation name (``"relu"``), or something that makes an activation
    layer when called with no argument: a layer class such as ``keras.layers.PReLU``, or
    ``functools.partial(keras.layers.LeakyReLU, negative_slope=0.01)``. A fresh layer follows each
    hidden layer, so the model can be saved and loaded (a ``lambda`` activation could not).
    ``kernel_initializer`` applies to the hidden layers; the softmax output layer keeps Keras'
    default (Glorot uniform). An initializer object is re-created for every hidden layer, with the
    next seed when it has one: Keras 3 fixes an unseeded initializer's seed when the object is
    made, so one object shared by several layers would give them all the same random matrix.
    """
    if not n_hidden or any(units < 1 for units in n_hidden):
        raise ValueError(f"n_hidden={tuple(n_hidden)} must list at least one positive layer size.")
    layers: list[keras.layers.Layer] = [keras.Input(shape=(n_inputs,))]
    for index, units in enumerate(n_hidden, start=1):
        dense_activation = activation if isinstance(activation, str) else None
        layers.append(
            keras.layers.Dense(
                units,
                activation=dense_activation,
                kernel_initializer=_initializer_for_layer(kernel_initializer, index),
                name=f"hidden{index}",
            )
        )
        if dense_activation is None:
            layers.append(_activation_layer(activation, name=f"activation{index}"))
    layers.append(keras.layers.Dense(n_outputs, activation="softmax", name="outputs"))
    return keras.Sequential(layers, name=name)


def _initializer_for_layer(
    initializer: str | dict | keras.initializers.Initializer, index: int
) -> str | dict | keras.initializers.Initializer:
    """Return hidden layer ``index``'s own initializer (names and configurations stay as given)."""
    if not isinstance(initializer, keras.initializers.Initializer):
        return initializer
    config = initializer.get_config()
    if config.get("seed") is not None:
        config["seed"] += index - 1
    return type(initializer).from_config(config)


def _activation_layer(make: Callable[..., keras.layers.Layer], name: str) -> keras.layers.Layer:
    problem = (
        f"activation={make!r} is neither an activation name nor a maker of activation layers; "
        'pass a name such as "relu", a layer class such as keras.layers.PReLU, or '
        "functools.partial(keras.layers.LeakyReLU, negative_slope=0.01)."
    )
    if not callable(make):
        raise TypeError(problem)
    try:
        layer = make(name=name)
    except TypeError as error:
        raise TypeError(problem) from error
    if not isinstance(layer, keras.layers.Layer):
        raise TypeError(problem)
    return layer


@dataclass
class Run:
    """One training run: its name, the per-epoch history, and how long it took.

    ``evaluation`` holds metrics measured once after training (``test_accuracy``, ``test_loss``),
    ``model`` the trained model when the run kept it (:func:`compare` does), ``epoch_seconds``
    how long each epoch took, its validation included, and ``seed`` the seed it started from.
    """

    name: str
    history: dict[str, list[float]]
    seconds: float
    setup: dict = field(default_factory=dict)
    evaluation: dict[str, float] = field(default_factory=dict)
    model: keras.Model | None = field(default=None, repr=False)
    epoch_seconds: list[float] = field(default_factory=list, repr=False)
    seed: int | None = None

    def values(self, metric: str = "val_accuracy") -> list[float]:
        """Return the per-epoch values of ``metric``."""
        if metric not in self.history:
            raise KeyError(
                f"Run {self.name!r} has no {metric!r}; it recorded {sorted(self.history)}."
            )
        return self.history[metric]

    def final(self, metric: str = "val_accuracy") -> float:
        """Return ``metric`` at the end of the run: measured after training, or the last epoch's."""
        if metric in self.evaluation:
            return self.evaluation[metric]
        if metric.startswith("test_"):
            raise KeyError(
                f"Run {self.name!r} was not evaluated on test data; pass test_data to compare()."
            )
        return self.values(metric)[-1]

    @property
    def epochs(self) -> int:
        """The number of epochs trained (fewer than asked when a callback stopped the run early)."""
        return len(self.history.get("loss", []))

    def seconds_per_epoch(self) -> float:
        """Return the median time of an epoch after the first, validation included.

        The first epoch also traces the model's graph, a one-off cost that would make a short run
        look slow per epoch; the median resists the odd epoch slowed by another job.
        """
        if not self.epoch_seconds:
            raise ValueError(
                f"Run {self.name!r} has no epoch times; train it with train() or compare()."
            )
        steady = self.epoch_seconds[1:] or self.epoch_seconds
        return float(np.median(steady))

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

    @property
    def diverged(self) -> bool:
        """True when the training loss ended as NaN or infinity: the weights are lost for good.

        Its accuracy is then not a score of the technique: a NaN network predicts class 0 for
        every input, so it scores the share of class 0.
        """
        losses = self.history.get("loss", [])
        return bool(losses) and not np.isfinite(losses[-1])

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
    _check_data(train_data, valid_data)
    history, seconds, epoch_seconds = _timed_fit(
        model, train_data, valid_data, epochs, batch_size, [EpochLog(every=log_every)]
    )
    return Run(name, history, seconds, dict(setup), epoch_seconds=epoch_seconds, seed=seed_in_use())


#: Validation and test data are evaluated in batches of at least this many examples: the same
#: accuracy, in fewer and larger matrix products (about a tenth faster for a small MLP on a CPU).
EVAL_BATCH_SIZE = 1000


def _timed_fit(
    model: keras.Model,
    train_data: tuple[np.ndarray, np.ndarray],
    valid_data: tuple[np.ndarray, np.ndarray],
    epochs: int,
    batch_size: int,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> tuple[dict[str, list[float]], float, list[float]]:
    """Fit quietly; return the per-epoch history as plain floats, the seconds it took in all, and
    the seconds of each epoch."""
    timer = _EpochTimer()
    start = time.perf_counter()
    history = model.fit(
        *train_data,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=valid_data,
        validation_batch_size=max(batch_size, EVAL_BATCH_SIZE),
        verbose=0,
        callbacks=[timer, *callbacks],
    )
    seconds = time.perf_counter() - start
    values = {key: [float(v) for v in values] for key, values in history.history.items()}
    return values, seconds, timer.seconds


class _EpochTimer(keras.callbacks.Callback):
    """Record how long each epoch takes, its validation included."""

    def on_train_begin(self, logs=None):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


# --- the comparison protocol -----------------------------------------------------------------

#: The seeds of a comparison: three in full mode, one in quick mode.
FULL_SEEDS, QUICK_SEEDS = (42, 43, 44), (42,)


def default_seeds() -> tuple[int, ...]:
    """Return the seeds a comparison uses in the current run mode (3 in full mode, 1 in quick)."""
    return QUICK_SEEDS if env.is_quick() else FULL_SEEDS


@dataclass(frozen=True)
class Contestant:
    """One technique in a comparison, at its best: its model, optimizer and input preprocessing.

    Args:
        build: makes a fresh, uncompiled model (called once per seed, after the seed is set).
        optimizer: makes a fresh optimizer; None uses the comparison's shared optimizer.
        preprocess: maps inputs to what this model wants (e.g. standardization for SELU); it is
            applied to the training, validation and test inputs alike.
        callbacks: makes fresh Keras callbacks for one run (e.g. early stopping, a schedule).
        loss: this contestant's training loss (e.g. with label smoothing); None uses the
            comparison's shared loss. Scores are measured with the same metrics for everyone.
    """

    build: Callable[[], keras.Model]
    optimizer: Callable[[], keras.optimizers.Optimizer] | None = None
    preprocess: Callable[[np.ndarray], np.ndarray] | None = None
    callbacks: Callable[[], Sequence[keras.callbacks.Callback]] | None = None
    loss: str | keras.losses.Loss | None = None


@dataclass
class Comparison:
    """The runs of a comparison, by contestant (one run per seed), scored on ``metric``.

    A run's score is ``metric`` at the end of the budget (the last epoch): every contestant gets
    the same budget, and no run is picked by its validation score. When a contestant's callback
    picks (early stopping that restores its best epoch), score on ``test_accuracy``: data that no
    callback saw.
    """

    metric: str
    runs: dict[str, list[Run]]
    epochs: int | None = None  # the budget; runs that stopped early show it in the report

    def scores(self, name: str) -> np.ndarray:
        """Return the final ``metric`` of each of ``name``'s runs, in seed order."""
        if name not in self.runs:
            raise KeyError(f"No contestant {name!r}; the contestants are {list(self.runs)}.")
        return np.array([run.final(self.metric) for run in self.runs[name]])

    def table(self) -> pd.DataFrame:
        """Return one row per run: contestant, seed, final and best metric, seconds."""
        rows = [
            {
                "contestant": name,
                "seed": run.setup["seed"],
                f"final {self.metric}": run.final(self.metric),
                "epochs": run.epochs,
                "seconds": run.seconds,
                "diverged": run.diverged,
            }
            for name, runs in self.runs.items()
            for run in runs
        ]
        table = pd.DataFrame(rows)
        return table if table["diverged"].any() else table.drop(columns="diverged")

    def stopped_early(self) -> bool:
        """True when a run trained fewer epochs than the budget (a callback stopped it)."""
        return self.epochs is not None and any(
            run.epochs < self.epochs for runs in self.runs.values() for run in runs
        )

    def diverged(self, name: str) -> int:
        """Return how many of ``name``'s runs diverged (their loss ended as NaN or infinity)."""
        self.scores(name)  # a clear error for a name that is not a contestant
        return sum(run.diverged for run in self.runs[name])

    def summary(self) -> pd.DataFrame:
        """Return mean ± standard deviation of the final metric per contestant, best first."""
        rows = []
        for name, runs in self.runs.items():
            scores = self.scores(name)
            rows.append(
                {
                    "contestant": name,
                    "mean": scores.mean(),
                    "sd": scores.std(ddof=1) if len(scores) > 1 else float("nan"),
                    "seeds": len(scores),
                    "epochs": float(np.mean([run.epochs for run in runs])),
                    "seconds per run": float(np.mean([run.seconds for run in runs])),
                }
            )
        table = pd.DataFrame(rows).set_index("contestant")
        return table.sort_values("mean", ascending=self.metric.endswith("loss"))

    def report(self) -> pd.DataFrame:
        """Return :meth:`summary` for reading: "mean ± sd" of the metric, seeds, seconds per run."""
        summary = self.summary()
        spread = summary["sd"].map(lambda sd: "" if np.isnan(sd) else f" ± {sd:.4f}")
        report = pd.DataFrame(
            {
                f"{self.metric} (mean ± sd)": summary["mean"].map("{:.4f}".format) + spread,
                "seeds": summary["seeds"],
                "seconds per run": summary["seconds per run"].round(1),
            }
        )
        if self.stopped_early():
            report.insert(2, "epochs (mean)", summary["epochs"].round(1))
        diverged = {name: self.diverged(name) for name in summary.index}
        if any(diverged.values()):  # say so: a NaN network's accuracy is not a score
            report["diverged runs"] = pd.Series(diverged)
        return report

    def tie(self, a: str, b: str) -> bool:
        """Return True when ``a`` and ``b`` differ by less than twice the larger standard deviation.

        With a single seed there is no spread to judge by, so every pair counts as a tie.
        """
        sa, sb = self.scores(a), self.scores(b)
        if len(sa) < 2 or len(sb) < 2:
            return True
        spread = max(sa.std(ddof=1), sb.std(ddof=1))
        return bool(abs(sa.mean() - sb.mean()) < 2 * spread)

    def ranking(self) -> str:
        """Return the contestants best first, with ">" only where the spread separates them.

        A ">" stands between two neighbours only when every contestant above it is clearly ahead
        of every contestant below it (no pair across it is a :meth:`tie`); everywhere else "≈".
        """
        names = list(self.summary().index)
        text = names[0]
        for cut in range(1, len(names)):
            separated = not any(
                self.tie(above, below) for above in names[:cut] for below in names[cut:]
            )
            text += (" > " if separated else " ≈ ") + names[cut]
        return text

    def verdict(self, a: str, b: str) -> str:
        """Return "a > b", "b > a" or "a ≈ b" (a tie), as the spread decides."""
        if self.tie(a, b):
            return f"{a} ≈ {b}"
        first, second = (a, b) if self.scores(a).mean() > self.scores(b).mean() else (b, a)
        if self.metric.endswith("loss"):
            first, second = second, first
        return f"{first} > {second}"

    def plot(self, ax=None, title: str = "", omit: Sequence[str] = ()):
        """Draw each run as a dot and each contestant's mean ± sd as an interval; return the axes.

        ``omit`` leaves contestants out of the plot, e.g. one so far behind that the others'
        spreads would shrink to nothing on a common axis (say so in the caption).
        """
        for name in omit:
            self.scores(name)  # a clear error for a name that is not a contestant
        runs, summary = self.table(), self.summary()
        runs = runs[~runs["contestant"].isin(omit)]
        return plots.plot_comparison(
            runs, summary.drop(index=list(omit)), self.metric, ax=ax, title=title
        )


def compare(
    contestants: Mapping[str, Contestant | Callable[[], keras.Model]],
    train_data: tuple[np.ndarray, np.ndarray],
    valid_data: tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    batch_size: int,
    test_data: tuple[np.ndarray, np.ndarray] | None = None,
    optimizer: Callable[[], keras.optimizers.Optimizer] | None = None,
    loss: str = "sparse_categorical_crossentropy",
    metric: str = "val_accuracy",
    seeds: Sequence[int] | None = None,
    steps_per_execution: int = 100,
) -> Comparison:
    """Train every contestant on the same data and budget over several seeds (the book's protocol).

    Each run resets Keras and seeds everything with its seed, builds a fresh model, compiles it
    with the contestant's optimizer (or the shared one, by default SGD 0.01) and
    ``steps_per_execution`` (faster on a CPU, the same weights), and trains it for
    ``epochs`` (or until a contestant's callback stops it). One line per run is printed. Each
    run keeps its trained model (``run.model``). Returns the :class:`Comparison`.

    Args:
        contestants: name -> :class:`Contestant`, or simply a function that builds the model.
        train_data, valid_data: ``(X, y)`` pairs, the same for every contestant.
        test_data: an ``(X, y)`` pair every trained model is evaluated on once, after training;
            it adds the metrics ``test_accuracy`` and ``test_loss``.
        metric: what scores a run: ``val_accuracy`` (default), ``val_loss``, ``accuracy``,
            ``loss``, and with ``test_data`` ``test_accuracy`` or ``test_loss``.
        seeds: one run per seed; by default 3 seeds in full mode and 1 in quick mode.
    """
    if not contestants:
        raise ValueError("compare needs at least one contestant: {name: Contestant(build=...)}.")
    known_metrics = ("val_accuracy", "val_loss", "accuracy", "loss")
    if test_data is not None:
        known_metrics += ("test_accuracy", "test_loss")
    if metric not in known_metrics:
        hint = "" if test_data is not None else " (test_* metrics need test_data)"
        raise ValueError(f"Unknown metric {metric!r}; choose one of {known_metrics}{hint}.")
    seeds = tuple(default_seeds() if seeds is None else seeds)
    if not seeds:
        raise ValueError("compare needs at least one seed, e.g. seeds=(42, 43, 44).")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs={epochs} and batch_size={batch_size} must be positive.")
    _check_data(train_data, valid_data)
    if test_data is not None:
        _check_data(train_data, test_data, "test")
    make_shared = optimizer or (lambda: keras.optimizers.SGD(learning_rate=0.01))
    runs: dict[str, list[Run]] = {}
    width = max(len(name) for name in contestants)
    for name, contestant in contestants.items():
        if not isinstance(contestant, Contestant):
            contestant = Contestant(build=contestant)
        prepare = contestant.preprocess or (lambda X: X)
        X_train, X_valid = prepare(train_data[0]), prepare(valid_data[0])
        runs[name] = []
        for seed in seeds:
            reset(seed)
            model = _build_and_compile(
                name,
                contestant,
                contestant.optimizer or make_shared,
                contestant.loss or loss,
                steps_per_execution,
            )
            callbacks = contestant.callbacks() if contestant.callbacks else ()
            history, seconds, epoch_seconds = _timed_fit(
                model,
                (X_train, train_data[1]),
                (X_valid, valid_data[1]),
                epochs,
                batch_size,
                callbacks,
            )
            evaluation = {}
            if test_data is not None:
                scores = model.evaluate(
                    prepare(test_data[0]),
                    test_data[1],
                    batch_size=max(batch_size, EVAL_BATCH_SIZE),
                    verbose=0,
                    return_dict=True,
                )
                evaluation = {f"test_{key}": float(value) for key, value in scores.items()}
            run = Run(
                name, history, seconds, {"seed": seed}, evaluation, model, epoch_seconds, seed
            )
            runs[name].append(run)
            stopped = f"  stopped after {run.epochs} epochs" if run.epochs < epochs else ""
            print(
                f"{name:<{width}}  seed {seed}  {metric} {run.final(metric):.4f}"
                f"  ({run.seconds:.0f} s)"
                + stopped
                + ("  diverged (loss not finite)" if run.diverged else "")
            )
    return Comparison(metric, runs, epochs)


def _check_data(
    train_data: tuple[np.ndarray, np.ndarray],
    other_data: tuple[np.ndarray, np.ndarray],
    other: str = "validation",
) -> None:
    for split, (X, y) in (("training", train_data), (other, other_data)):
        if len(X) != len(y):
            raise ValueError(f"{len(X)} {split} inputs but {len(y)} labels; they must match.")
    if np.shape(train_data[0])[1:] != np.shape(other_data[0])[1:]:
        raise ValueError(
            f"Training inputs of shape {np.shape(train_data[0])} and {other} inputs of shape "
            f"{np.shape(other_data[0])} do not match; give both sets the same features."
        )


def _build_and_compile(
    name: str,
    contestant: Contestant,
    make_optimizer: Callable[[], keras.optimizers.Optimizer],
    loss: str,
    steps_per_execution: int,
) -> keras.Model:
    try:
        model = contestant.build()
        model.compile(
            loss=loss,
            optimizer=make_optimizer(),
            metrics=["accuracy"],
            steps_per_execution=steps_per_execution,
        )
    except Exception as error:
        raise ValueError(
            f"Contestant {name!r} could not be built and compiled: {error}. Its build function "
            "must return a fresh, uncompiled Keras model and its optimizer a fresh optimizer."
        ) from error
    return model
