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

#: Initializer label -> what Keras takes as ``kernel_initializer``.
INITIALIZERS: dict[str, str | keras.initializers.Initializer] = {
    "Glorot uniform": "glorot_uniform",
    "He normal": "he_normal",
    "LeCun normal": "lecun_normal",
    "N(0, 1)": keras.initializers.RandomNormal(stddev=1.0),
    "N(0, 0.01)": keras.initializers.RandomNormal(stddev=0.01),
}


@dataclass
class DepthProfile:
    """What a signal does on its way through an untrained stack: per hidden layer, first first."""

    activation_std: np.ndarray  # std of each hidden layer's outputs on the batch
    gradient_norm: np.ndarray  # norm of the loss gradient w.r.t. each hidden layer's kernel


def _choice(name: str, options: dict, what: str):
    if name not in options:
        raise ValueError(f"Unknown {what} {name!r}; choose one of {list(options)}.")
    return options[name]


def depth_profile(
    activation: str, initializer: str, depth: int, width: int = 100, seed: int = 42
) -> DepthProfile:
    """Measure an untrained ``depth`` x ``width`` stack on 256 standard-normal inputs.

    The gradient is that of the cross-entropy against random labels of 10 classes: at the start of
    training, what a real batch would send back looks the same. Keras is reset with ``seed``
    first (``helpers.training.reset``), so the same setting always gives the same figure.
    """
    make_layer, _ = _choice(activation, ACTIVATIONS, "activation")
    kernel_initializer = _choice(initializer, INITIALIZERS, "initializer")
    if not 1 <= depth <= 200:
        raise ValueError(f"depth={depth} must be between 1 and 200 hidden layers.")
    training.reset(seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((256, width)).astype("float32")
    y = rng.integers(0, 10, 256)
    model = training.build_mlp(
        [width] * depth,
        activation=make_layer,
        kernel_initializer=kernel_initializer,
        n_inputs=width,
    )
    stats = diagnostics.activation_stats(model, X)
    norms = diagnostics.gradient_norms(model, X, y)
    outputs = [stats.get(f"activation{k}", stats[f"hidden{k}"]) for k in range(1, depth + 1)]
    return DepthProfile(
        activation_std=np.array([std for _, std in outputs]),
        gradient_norm=np.array([norms[f"hidden{k}"] for k in range(1, depth + 1)]),
    )


def draw_activation_profile(
    activation: str, initializer: str, depth: int, profile: DepthProfile
) -> plt.Figure:
    """Draw the activation and its slope, then the per-layer output std and gradient norm."""
    _, function = _choice(activation, ACTIVATIONS, "activation")
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


#: The depths the explorer's slider offers.
MIN_DEPTH, MAX_DEPTH = 2, 60


class ActivationExplorer:
    """Choose an activation, an initializer and a depth; see what an untrained stack does."""

    def __init__(
        self, activation: str = "sigmoid", initializer: str = "Glorot uniform", depth: int = 20
    ):
        _choice(activation, ACTIVATIONS, "activation")
        _choice(initializer, INITIALIZERS, "initializer")
        if not MIN_DEPTH <= depth <= MAX_DEPTH:
            raise ValueError(f"depth={depth} must be between {MIN_DEPTH} and {MAX_DEPTH}.")
        self.controls = {
            "activation": ipywidgets.Dropdown(
                options=list(ACTIVATIONS), value=activation, description="activation"
            ),
            "initializer": ipywidgets.Dropdown(
                options=list(INITIALIZERS), value=initializer, description="initializer"
            ),
            "depth": ipywidgets.IntSlider(
                value=depth,
                min=MIN_DEPTH,
                max=MAX_DEPTH,
                step=1,
                description="depth",
                continuous_update=False,
            ),
        }
        self.output = ipywidgets.Output()
        self.profile: DepthProfile | None = None
        self.figure: plt.Figure | None = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def settings(self) -> dict:
        """Return the current activation, initializer and depth."""
        return {name: control.value for name, control in self.controls.items()}

    def draw(self) -> plt.Figure:
        """Measure the current setting and draw its figure."""
        if self.figure is not None:
            plt.close(self.figure)
        self.profile = depth_profile(**self.settings())
        self.figure = draw_activation_profile(**self.settings(), profile=self.profile)
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
        display(ipywidgets.VBox([ipywidgets.HBox(list(self.controls.values())), self.output]))
        self._on_change()
