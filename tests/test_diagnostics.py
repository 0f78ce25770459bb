"""Tests of helpers.diagnostics: per-layer gradient norms and activation statistics."""

import re
from pathlib import Path
import warnings

import keras
import nbformat
import numpy as np
import tensorflow as tf
import pytest

from helpers import diagnostics, training


def batch(n=32, n_inputs=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, n_inputs), dtype=np.float32), np.arange(n) % 10


def softmax_regression():
    """One softmax layer with zero weights: every class gets probability 1/4, so gradients are known."""
    return keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, activation="softmax", kernel_initializer="zeros", name="only"),
        ],
        name="softmax_regression",
    )


def first_to_last_ratio(activation, kernel_initializer):
    training.reset(42)
    model = training.build_mlp(
        (20,) * 8, activation=activation, kernel_initializer=kernel_initializer, n_inputs=20
    )
    norms = list(diagnostics.gradient_norms(model, *batch(128)).values())
    return norms[0] / norms[-1]


def test_gradient_norms_gives_one_positive_float_per_dense_layer_in_order():
    norms = diagnostics.gradient_norms(training.build_mlp((16, 8), n_inputs=20), *batch())
    assert list(norms) == ["hidden1", "hidden2", "outputs"]
    assert all(type(norm) is float and norm > 0 for norm in norms.values())


def test_gradient_norms_matches_the_cross_entropy_gradient_by_hand():
    X = np.array([[1, 2, 3], [0, -1, 4]], dtype=np.float32)
    y = np.array([2, 0])
    gradient = (
        X.T @ (np.full((2, 4), 0.25) - np.eye(4)[y]) / len(X)
    )  # d(mean cross-entropy)/d(kernel)
    norms = diagnostics.gradient_norms(softmax_regression(), X, y)
    assert norms == {"only": pytest.approx(np.linalg.norm(gradient), rel=1e-5)}


def test_gradient_norms_differentiates_the_loss_given():
    X, _ = batch(8, n_inputs=3)
    y = np.arange(8) % 4
    model = softmax_regression()
    mean = diagnostics.gradient_norms(model, X, y)["only"]
    total = diagnostics.gradient_norms(
        model, X, y, loss=keras.losses.SparseCategoricalCrossentropy(reduction="sum")
    )
    assert total["only"] == pytest.approx(8 * mean, rel=1e-5)


def test_gradients_vanish_in_a_deep_sigmoid_net():
    # Initializers are named, not built here: an initializer object built before reset()
    # would draw its seed from whatever ran earlier, making the measurement order-dependent.
    assert first_to_last_ratio("sigmoid", "glorot_uniform") < 1e-3
    assert first_to_last_ratio("relu", "he_normal") > 0.3  # the cure keeps them alive


@pytest.mark.parametrize("shape", [(8, 19), (20,), (8, 20, 1)])
@pytest.mark.parametrize("measure", ["gradient_norms", "activation_stats"])
def test_measurements_reject_inputs_of_the_wrong_shape(shape, measure):
    model = training.build_mlp((4,), n_inputs=20)
    arguments = (np.zeros(shape, np.float32), np.zeros(8, np.int64))[
        : 2 if measure == "gradient_norms" else 1
    ]
    message = re.escape(
        f"Inputs of shape {shape} do not fit model 'mlp', which takes (batch, *(20,))."
    )
    with pytest.raises(ValueError, match=message):
        getattr(diagnostics, measure)(model, *arguments)


def test_gradient_norms_needs_a_layer_with_a_kernel():
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Activation("relu")], name="kernelless"
    )
    with pytest.raises(
        ValueError, match="Model 'kernelless' has no layer with a kernel to measure"
    ):
        diagnostics.gradient_norms(model, np.ones((2, 4), np.float32), np.zeros(2, np.int64))


def test_activation_stats_gives_mean_and_std_of_every_layer():
    X, _ = batch(16, n_inputs=3)
    model = training.build_mlp(
        (3,), activation="linear", kernel_initializer="identity", n_inputs=3, n_outputs=4
    )
    stats = diagnostics.activation_stats(model, X)
    assert list(stats) == ["hidden1", "outputs"]
    assert stats["hidden1"] == (pytest.approx(X.mean(), rel=1e-6), pytest.approx(X.std(), rel=1e-6))
    assert stats["outputs"][0] == pytest.approx(0.25)  # softmax rows sum to 1 over 4 classes


def test_activation_stats_includes_activation_layers():
    model = training.build_mlp((6, 5), activation=keras.layers.PReLU, n_inputs=20)
    stats = diagnostics.activation_stats(model, batch()[0])
    assert list(stats) == ["hidden1", "activation1", "hidden2", "activation2", "outputs"]
    assert all(type(mean) is float and std > 0 for mean, std in stats.values())


def test_activation_stats_emits_no_warning():  # Keras warns when the probe is built on a list of inputs
    model = training.build_mlp((4,), n_inputs=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diagnostics.activation_stats(model, batch()[0])


# --- the function chapter 04 teaches is the one helpers keeps -----------------------------------

CHAPTER_04 = Path(__file__).resolve().parents[1] / "chapters" / "04_activations.ipynb"


def function_taught_in(notebook: Path, name: str):
    """Return the function ``name`` as the chapter defines it, run from the chapter's own cell."""
    cells = [
        cell.source
        for cell in nbformat.read(notebook, as_version=4).cells
        if cell.cell_type == "code" and f"def {name}(" in cell.source
    ]
    assert len(cells) == 1, f"{notebook.name} should define {name} in exactly one cell"
    namespace = {"keras": keras, "np": np, "tf": tf}
    exec(cells[0], namespace)
    return namespace[name]


@pytest.mark.parametrize(
    "activation, loss",
    [("tanh", None), (keras.layers.PReLU, keras.losses.SparseCategoricalCrossentropy())],
)
def test_chapter_04_teaches_the_gradient_norms_helpers_keeps(activation, loss):
    taught = function_taught_in(CHAPTER_04, "gradient_norms")
    training.reset(7)
    model = training.build_mlp((12, 8), activation=activation, n_inputs=20)
    X, y = batch()
    assert taught(model, X, y, loss) == diagnostics.gradient_norms(model, X, y, loss)
