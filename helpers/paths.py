"""Optimizers on 2-D loss surfaces: the surfaces, the paths Keras' optimizers take, an explorer.

A path is what a real Keras optimizer does to a 2-D variable ``w = (x, y)`` on a surface, step by
step, so the figures show the library's update rules, not a re-implementation. The explorer
(ipywidgets 7.7 and 8) draws the path of the optimizer, learning rate and momentum you choose;
run unattended (``BOOK_BATCH=1``), it draws only the figure of its default setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from helpers import widgets


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface ``f(x, y)``, written with operators that work on NumPy and TensorFlow."""

    name: str
    f: Callable
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def __call__(self, x, y):
        return self.f(x, y)


#: The book's three surfaces: a long narrow valley, a saddle point, and Rosenbrock's banana.
SURFACES: dict[str, Surface] = {
    "ill-conditioned quadratic": Surface(
        "ill-conditioned quadratic",
        lambda x, y: 0.5 * (x**2 + 25.0 * y**2),
        start=(-4.5, 1.5),
        minima=((0.0, 0.0),),
        xlim=(-5.0, 5.0),
        ylim=(-2.0, 2.0),
    ),
    "saddle": Surface(
        "saddle",
        lambda x, y: 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4,
        start=(-2.5, 0.001),
        minima=((0.0, -1.0), (0.0, 1.0)),
        xlim=(-3.0, 3.0),
        ylim=(-1.8, 1.8),
    ),
    "Rosenbrock": Surface(
        "Rosenbrock",
        lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2,
        start=(-1.5, 2.0),
        minima=((1.0, 1.0),),
        xlim=(-2.0, 2.0),
        ylim=(-1.0, 3.0),
    ),
}


def _with_momentum(make: Callable, uses: str | None) -> Callable:
    make.momentum_argument = uses  # which argument the explorer's momentum knob sets
    return make


#: Optimizer label -> ``make(learning_rate, momentum)``. The momentum knob is ``momentum`` for
#: SGD with momentum and Nesterov, ``beta_1`` for the Adam family and Lion; SGD, AdaGrad and
#: RMSprop have no momentum here (``momentum_argument`` is None) and ignore it.
OPTIMIZERS: dict[str, Callable[[float, float], keras.optimizers.Optimizer]] = {
    "SGD": _with_momentum(lambda lr, m: keras.optimizers.SGD(lr), None),
    "momentum": _with_momentum(lambda lr, m: keras.optimizers.SGD(lr, momentum=m), "momentum"),
    "Nesterov": _with_momentum(
        lambda lr, m: keras.optimizers.SGD(lr, momentum=m, nesterov=True), "momentum"
    ),
    "AdaGrad": _with_momentum(lambda lr, m: keras.optimizers.Adagrad(lr), None),
    "RMSprop": _with_momentum(lambda lr, m: keras.optimizers.RMSprop(lr), None),
    "Adam": _with_momentum(lambda lr, m: keras.optimizers.Adam(lr, beta_1=m), "beta_1"),
    "AdamW": _with_momentum(lambda lr, m: keras.optimizers.AdamW(lr, beta_1=m), "beta_1"),
    "Nadam": _with_momentum(lambda lr, m: keras.optimizers.Nadam(lr, beta_1=m), "beta_1"),
    "Adamax": _with_momentum(lambda lr, m: keras.optimizers.Adamax(lr, beta_1=m), "beta_1"),
    "Lion": _with_momentum(lambda lr, m: keras.optimizers.Lion(lr, beta_1=m), "beta_1"),
}

#: The explorer's learning-rate slider: powers of ten from 10**MIN to 10**MAX.
MIN_LOG_LR, MAX_LOG_LR = -4, 0


def make_optimizer(
    optimizer: str, learning_rate: float, momentum: float = 0.9
) -> keras.optimizers.Optimizer:
    """Return a fresh Keras optimizer named by a key of ``OPTIMIZERS``."""
    make = widgets.choose(optimizer, OPTIMIZERS, "optimizer")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate={learning_rate} must be positive.")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum={momentum} must be in [0, 1).")
    return make(learning_rate, momentum)


def trajectory(
    surface: str | Surface,
    optimizer: str | keras.optimizers.Optimizer,
    learning_rate: float = 0.01,
    momentum: float = 0.9,
    steps: int = 100,
    start: tuple[float, float] | None = None,
) -> np.ndarray:
    """Return the ``(steps + 1, 2)`` points a Keras optimizer visits on ``surface``, start first.

    ``optimizer`` is a key of ``OPTIMIZERS`` (made with ``learning_rate`` and ``momentum``) or a
    fresh optimizer object. The loop runs in one ``tf.function``. A path that diverges holds
    NaN or infinite points from where it left the floating-point range.
    """
    if isinstance(surface, str):
        surface = widgets.choose(surface, SURFACES, "surface")
    if steps < 1:
        raise ValueError(f"steps={steps} must be a positive number of steps.")
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, learning_rate, momentum)
    w = tf.Variable(np.array(start or surface.start, dtype="float32"))
    optimizer.build([w])

    @tf.function
    def run():
        points = tf.TensorArray(tf.float32, size=steps + 1)
        points = points.write(0, w.read_value())
        for i in tf.range(steps):
            with tf.GradientTape() as tape:
                loss = surface(w[0], w[1])
            optimizer.apply([tape.gradient(loss, w)], [w])
            points = points.write(i + 1, w.read_value())
        return points.stack()

    return run().numpy()


def losses(surface: str | Surface, path: np.ndarray) -> np.ndarray:
    """Return the surface's value at every point of ``path``."""
    if isinstance(surface, str):
        surface = widgets.choose(surface, SURFACES, "surface")
    path = np.asarray(path, dtype="float64")
    with np.errstate(all="ignore"):
        return surface(path[:, 0], path[:, 1])


def draw_surface(surface: str | Surface, ax=None, resolution: int = 200):
    """Draw the surface's contours (log-spaced levels), its start and minima; return the axes."""
    if isinstance(surface, str):
        surface = widgets.choose(surface, SURFACES, "surface")
    ax = ax or plt.gca()
    x = np.linspace(*surface.xlim, resolution)
    y = np.linspace(*surface.ylim, resolution)
    X, Y = np.meshgrid(x, y)
    Z = surface(X, Y)
    shifted = Z - Z.min() + 1e-3  # log levels need positive values (the saddle dips below 0)
    levels = np.geomspace(shifted.min(), shifted.max(), 25)
    ax.contour(X, Y, shifted, levels=levels, cmap="Greys", linewidths=0.7, alpha=0.8)
    ax.plot(*surface.start, "ko", markersize=6)
    for minimum in surface.minima:
        ax.plot(*minimum, "k*", markersize=12)
    ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="$x$", ylabel="$y$", title=surface.name)
    return ax


def draw_paths(surface: str | Surface, paths: dict[str, np.ndarray], ax=None):
    """Draw ``paths`` (label -> points) over the surface's contours; return the axes."""
    ax = draw_surface(surface, ax=ax)
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1.2, label=label)
    if paths:
        ax.legend(loc="best", fontsize=9)
    return ax


class OptimizerExplorer(widgets.Explorer):
    """Choose a surface, an optimizer, its learning rate and momentum; see the path it takes."""

    def __init__(
        self,
        surface: str = "ill-conditioned quadratic",
        optimizer: str = "momentum",
        learning_rate: float = 0.01,
        momentum: float = 0.9,
        steps: int = 100,
    ):
        if not 10.0**MIN_LOG_LR <= learning_rate <= 10.0**MAX_LOG_LR:
            raise ValueError(
                f"learning_rate={learning_rate} must be between 1e{MIN_LOG_LR} and "
                f"1e{MAX_LOG_LR}."
            )
        if not 0 <= momentum <= 0.99:
            raise ValueError(f"momentum={momentum} must be between 0 and 0.99.")
        self.steps = steps
        controls = {
            "surface": widgets.dropdown(SURFACES, surface, "surface", "surface"),
            "optimizer": widgets.dropdown(OPTIMIZERS, optimizer, "optimizer", "optimizer"),
            "learning_rate": ipywidgets.FloatLogSlider(
                value=learning_rate,
                base=10,
                min=MIN_LOG_LR,
                max=MAX_LOG_LR,
                step=0.01,
                description="learning rate",
                continuous_update=False,
            ),
            "momentum": ipywidgets.FloatSlider(
                value=momentum,
                min=0.0,
                max=0.99,
                step=0.01,
                description="momentum",
                continuous_update=False,
            ),
        }
        self.path: np.ndarray | None = None
        super().__init__(controls, per_row=2)

    def make_figure(self) -> plt.Figure:
        """Compute the current setting's path and draw it with its loss curve."""
        s = self.settings()
        self.path = trajectory(
            s["surface"], s["optimizer"], s["learning_rate"], s["momentum"], self.steps
        )
        uses = OPTIMIZERS[s["optimizer"]].momentum_argument
        knob = f", {uses} {s['momentum']:.2f}" if uses else ""
        label = f"{s['optimizer']}, lr {s['learning_rate']:.2g}{knob}"
        fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.2))
        draw_paths(s["surface"], {label: self.path}, ax=ax_path)
        values = losses(s["surface"], self.path)
        floor = min(values.min(), 0.0) if np.isfinite(values).all() else 0.0
        ax_loss.semilogy(values - floor + 1e-8)
        ax_loss.set(
            title=(
                "loss along the path (shifted to stay positive)"
                if floor < 0
                else "loss along the path"
            ),
            xlabel="step",
            ylabel="loss",
        )
        fig.suptitle(f"{label} on the {s['surface']} surface, {self.steps} steps")
        fig.tight_layout()
        return fig
