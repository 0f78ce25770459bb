"""Interactive explorers (ipywidgets) that leave a static figure behind on the published page.

An explorer draws the figure of its default setting; a person running the notebook also gets
controls, and the figure is redrawn on every change. Run unattended (``BOOK_BATCH=1``: the
book's execution, the tests), only the static figure is drawn, which is what the page shows.
The controls work with ipywidgets 7.7 (Colab's) and 8.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import clear_output, display

from helpers import diagnostics, env, training

#: Activation label -> (what ``build_mlp`` takes, the function itself for plotting).
ACTIVATIONS: dict[str, tuple[object, Callable]] = {
    "sigmoid": ("sigmoid", keras.activations.sigmoid),
    "tanh": ("tanh", keras.activations.tanh),
    "ReLU": ("relu", keras.activations.relu),
    "leaky ReLU 0.01": (
        functools.partial(keras.layers.LeakyReLU, negative_slope=0.01),
        functools.partial(keras.activations.leaky_relu, negative_slope=0.01),
    ),
    "ELU": ("elu", keras.activations.elu),
    "SELU": ("selu", keras.activations.selu),
    "GELU": ("gelu", keras.activations.gelu),
    "Swish": ("silu", keras.activations.silu),
    "Mish": ("mish", keras.activations.mish),
}

#: Initializer label -> what Keras takes as ``kernel_initializer``. The fixed-scale ones are
#: configurations, not initializer objects: each layer then builds its own initializer with its
#: own seed, whereas one unseeded object shared by all layers draws the same matrix for every
#: layer of the same shape (Keras 3 fixes an unseeded initializer's seed when it is created).
INITIALIZERS: dict[str, str | dict] = {
    "Glorot uniform": "glorot_uniform",
    "He normal": "he_normal",
    "LeCun normal": "lecun_normal",
    "N(0, 1)": {"class_name": "RandomNormal", "config": {"stddev": 1.0}},
    "N(0, 0.01)": {"class_name": "RandomNormal", "config": {"stddev": 0.01}},
    "truncated N(0, 0.1)": {"class_name": "TruncatedNormal", "config": {"stddev": 0.1}},
}

#: What the initializer explorer offers: ``VarianceScaling``'s scale, fan modes, distributions.
SCALES: dict[str, float] = {"1 (LeCun, Glorot)": 1.0, "2 (He)": 2.0}
FAN_MODES: tuple[str, ...] = ("fan_in", "fan_avg", "fan_out")
DISTRIBUTIONS: tuple[str, ...] = ("truncated_normal", "untruncated_normal", "uniform")
#: Layer-width patterns (first hidden width, last hidden width); the inputs have the first width.
#: With constant widths fan-in equals fan-out and the fan mode changes nothing.
SHAPES: dict[str, tuple[int, int]] = {
    "constant 100": (100, 100),
    "narrowing 400 → 25": (400, 25),
    "widening 25 → 400": (25, 400),
}


@dataclass
class DepthProfile:
    """What a signal does on its way through an untrained stack: per hidden layer, first first."""

    activation_std: np.ndarray  # std of each hidden layer's outputs on the batch
    gradient_norm: np.ndarray  # norm of the loss gradient w.r.t. each hidden layer's kernel


def choose(name: str, options: dict, what: str):
    """Return ``options[name]``; an unknown name gets an error that lists the choices."""
    if name not in options:
        raise ValueError(f"Unknown {what} {name!r}; choose one of {list(options)}.")
    return options[name]


def _check_depth(depth: int) -> None:
    if not 1 <= depth <= 200:
        raise ValueError(f"depth={depth} must be between 1 and 200 hidden layers.")


def _measure(
    make_layer, kernel_initializer, widths: list[int], n_inputs: int, seed: int
) -> DepthProfile:
    """Measure an untrained stack of ``widths`` on 256 standard-normal inputs (see depth_profile)."""
    training.reset(seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((256, n_inputs)).astype("float32")
    y = rng.integers(0, 10, 256)
    model = training.build_mlp(
        widths,
        activation=make_layer,
        kernel_initializer=kernel_initializer,
        n_inputs=n_inputs,
    )
    stats = diagnostics.activation_stats(model, X)
    norms = diagnostics.gradient_norms(model, X, y)
    depth = len(widths)
    outputs = [stats.get(f"activation{k}", stats[f"hidden{k}"]) for k in range(1, depth + 1)]
    return DepthProfile(
        activation_std=np.array([std for _, std in outputs]),
        gradient_norm=np.array([norms[f"hidden{k}"] for k in range(1, depth + 1)]),
    )


def depth_profile(
    activation: str, initializer: str, depth: int, width: int = 100, seed: int = 42
) -> DepthProfile:
    """Measure an untrained ``depth`` x ``width`` stack on 256 standard-normal inputs.

    The gradient is that of the cross-entropy against random labels of 10 classes: at the start of
    training, what a real batch would send back looks the same. Keras is reset with ``seed``
    first (``helpers.training.reset``), so the same setting always gives the same figure.
    """
    make_layer, _ = choose(activation, ACTIVATIONS, "activation")
    kernel_initializer = choose(initializer, INITIALIZERS, "initializer")
    _check_depth(depth)
    return _measure(make_layer, kernel_initializer, [width] * depth, width, seed)


def layer_widths(shape: str, depth: int) -> list[int]:
    """Return the hidden-layer widths of ``shape`` (a key of ``SHAPES``): geometric, first to last."""
    first, last = choose(shape, SHAPES, "shape")
    _check_depth(depth)
    return [int(round(w)) for w in np.geomspace(first, last, depth)]


def variance_scaling_profile(
    activation: str,
    scale: str,
    mode: str,
    distribution: str,
    depth: int,
    shape: str = "constant 100",
    seed: int = 42,
) -> DepthProfile:
    """Measure a stack initialized with ``VarianceScaling``; like :func:`depth_profile`.

    Args:
        activation: a key of ``ACTIVATIONS``.
        scale: a key of ``SCALES`` ("2 (He)" is scale 2).
        mode, distribution: one of ``FAN_MODES`` and ``DISTRIBUTIONS``.
        depth: the number of hidden layers, whose widths follow ``shape`` (a key of ``SHAPES``);
            the inputs have the first hidden layer's width.
    """
    make_layer, _ = choose(activation, ACTIVATIONS, "activation")
    factor = choose(scale, SCALES, "scale")
    choose(mode, dict.fromkeys(FAN_MODES), "fan mode")
    choose(distribution, dict.fromkeys(DISTRIBUTIONS), "distribution")
    widths = layer_widths(shape, depth)
    initializer = {  # a configuration: every layer builds its own, with its own seed
        "class_name": "VarianceScaling",
        "config": {"scale": factor, "mode": mode, "distribution": distribution},
    }
    return _measure(make_layer, initializer, widths, widths[0], seed)


def draw_activation_profile(
    activation: str, initializer: str, depth: int, profile: DepthProfile
) -> plt.Figure:
    """Draw the activation and its slope, then the per-layer output std and gradient norm."""
    _, function = choose(activation, ACTIVATIONS, "activation")
    z = tf.linspace(-5.0, 5.0, 201)
    with tf.GradientTape() as tape:
        tape.watch(z)
        values = function(z)
    slopes = tape.gradient(values, z)
    fig, (ax_f, ax_std, ax_grad) = plt.subplots(1, 3, figsize=(13, 3.8))
    ax_f.plot(z, values, label=activation)
    ax_f.plot(z, slopes, "--", label="slope")
    ax_f.set(title=f"{activation} and its slope", xlabel="$z$", ylim=(-2, 3))
    ax_f.legend(loc="upper left", fontsize=10)
    layers = np.arange(1, depth + 1)
    ax_std.semilogy(layers, np.maximum(profile.activation_std, 1e-30), "o-", markersize=3)
    ax_std.set(title="std of each layer's outputs", xlabel="hidden layer")
    ax_grad.semilogy(layers, np.maximum(profile.gradient_norm, 1e-30), "o-", markersize=3)
    ax_grad.set(title="gradient norm of each layer", xlabel="hidden layer (input side left)")
    fig.suptitle(f"{activation}, {initializer} initialization, {depth} hidden layers of 100")
    fig.tight_layout()
    return fig


def draw_initializer_profile(
    activation: str,
    scale: str,
    mode: str,
    distribution: str,
    depth: int,
    shape: str,
    profile: DepthProfile,
) -> plt.Figure:
    """Draw the layer widths, then the per-layer output std and gradient norm."""
    widths = layer_widths(shape, depth)
    fig, (ax_w, ax_std, ax_grad) = plt.subplots(1, 3, figsize=(13, 3.8))
    layers = np.arange(1, depth + 1)
    ax_w.plot(layers, widths, "o-", markersize=3, label="units (fan-out)")
    ax_w.plot(layers, [widths[0]] + widths[:-1], "--", label="inputs (fan-in)")
    ax_w.set(title="width of each layer", xlabel="hidden layer", yscale="log")
    ax_w.legend(loc="best", fontsize=10)
    ax_std.semilogy(layers, np.maximum(profile.activation_std, 1e-30), "o-", markersize=3)
    ax_std.set(title="std of each layer's outputs", xlabel="hidden layer")
    ax_grad.semilogy(layers, np.maximum(profile.gradient_norm, 1e-30), "o-", markersize=3)
    ax_grad.set(title="gradient norm of each layer", xlabel="hidden layer (input side left)")
    fig.suptitle(
        f"{activation}, VarianceScaling(scale {SCALES[scale]:g}, {mode}, {distribution}), "
        f"{depth} hidden layers, {shape}"
    )
    fig.tight_layout()
    return fig


#: The depths the explorers' sliders offer.
MIN_DEPTH, MAX_DEPTH = 2, 60


class Explorer:
    """Controls, an output area, and a figure redrawn on every change (the book's explorers).

    A subclass passes its ipywidgets controls (name -> widget) and implements :meth:`make_figure`,
    which draws the figure of the current :meth:`settings` and returns it.
    """

    def __init__(self, controls: dict, per_row: int = 3):
        self.controls = dict(controls)
        self.per_row = per_row
        self.output = ipywidgets.Output()
        self.figure: plt.Figure | None = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def settings(self) -> dict:
        """Return the current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def make_figure(self) -> plt.Figure:
        """Draw and return the figure of the current settings (what a subclass provides)."""
        raise NotImplementedError

    def draw(self) -> plt.Figure:
        """Replace the explorer's figure with the current settings' figure and return it."""
        if self.figure is not None:
            plt.close(self.figure)
        self.figure = self.make_figure()
        return self.figure

    def _on_change(self, change=None) -> None:
        with self.output:
            clear_output(wait=True)
            self.draw()
            plt.show()

    def show(self) -> None:
        """Display the explorer: the static figure when unattended, controls and figure otherwise."""
        if env.is_batch():
            self.draw()
            plt.show()
            return
        display(self.layout())
        self._on_change()

    def layout(self) -> ipywidgets.VBox:
        """Return the controls, ``per_row`` to a row, above the output area."""
        rows = list(self.controls.values())
        step = self.per_row
        boxes = [ipywidgets.HBox(rows[k : k + step]) for k in range(0, len(rows), step)]
        return ipywidgets.VBox([*boxes, self.output])


class _DepthExplorer(Explorer):
    """An explorer of untrained stacks: its controls plus a depth slider; measures, then draws."""

    def __init__(self, controls: dict, depth: int):
        if not MIN_DEPTH <= depth <= MAX_DEPTH:
            raise ValueError(f"depth={depth} must be between {MIN_DEPTH} and {MAX_DEPTH}.")
        depth_slider = ipywidgets.IntSlider(
            value=depth,
            min=MIN_DEPTH,
            max=MAX_DEPTH,
            step=1,
            description="depth",
            continuous_update=False,
        )
        self.profile: DepthProfile | None = None
        super().__init__({**controls, "depth": depth_slider})

    def _measure(self, **settings) -> DepthProfile:
        raise NotImplementedError

    def _draw(self, profile: DepthProfile, **settings) -> plt.Figure:
        raise NotImplementedError

    def make_figure(self) -> plt.Figure:
        """Measure the current setting and draw its figure."""
        self.profile = self._measure(**self.settings())
        return self._draw(self.profile, **self.settings())


def dropdown(options, value, description: str, what: str) -> ipywidgets.Dropdown:
    """Return a dropdown of ``options`` set to ``value``; an unknown value gets a clear error."""
    choose(value, dict.fromkeys(options), what)
    return ipywidgets.Dropdown(options=list(options), value=value, description=description)


class ActivationExplorer(_DepthExplorer):
    """Choose an activation, an initializer and a depth; see what an untrained stack does."""

    def __init__(
        self, activation: str = "sigmoid", initializer: str = "Glorot uniform", depth: int = 20
    ):
        controls = {
            "activation": dropdown(ACTIVATIONS, activation, "activation", "activation"),
            "initializer": dropdown(INITIALIZERS, initializer, "initializer", "initializer"),
        }
        super().__init__(controls, depth)

    def _measure(self, **settings) -> DepthProfile:
        return depth_profile(**settings)

    def _draw(self, profile: DepthProfile, **settings) -> plt.Figure:
        return draw_activation_profile(**settings, profile=profile)


class InitializerExplorer(_DepthExplorer):
    """Choose an activation, ``VarianceScaling``'s scale, fan mode and distribution, the layer
    widths and a depth; see each layer's output std and gradient norm in an untrained stack."""

    def __init__(
        self,
        activation: str = "ReLU",
        scale: str = "2 (He)",
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        shape: str = "narrowing 400 → 25",
        depth: int = 30,
    ):
        controls = {
            "activation": dropdown(ACTIVATIONS, activation, "activation", "activation"),
            "scale": dropdown(SCALES, scale, "scale", "scale"),
            "mode": dropdown(FAN_MODES, mode, "fan mode", "fan mode"),
            "distribution": dropdown(DISTRIBUTIONS, distribution, "distribution", "distribution"),
            "shape": dropdown(SHAPES, shape, "widths", "shape"),
        }
        super().__init__(controls, depth)

    def _measure(self, **settings) -> DepthProfile:
        return variance_scaling_profile(**settings)

    def _draw(self, profile: DepthProfile, **settings) -> plt.Figure:
        return draw_initializer_profile(**settings, profile=profile)
