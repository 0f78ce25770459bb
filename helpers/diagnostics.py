"""Measurements inside a network: per-layer gradient norms and activation statistics."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def _check_batch(model: keras.Model, X: np.ndarray) -> None:
    expected = model.inputs[0].shape[1:] if model.inputs else None
    if expected is not None and tuple(np.shape(X)[1:]) != tuple(expected):
        raise ValueError(
            f"Inputs of shape {np.shape(X)} do not fit model {model.name!r}, which takes (batch, *{tuple(expected)})."
        )


def gradient_norms(
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    loss: keras.losses.Loss | None = None,
) -> dict[str, float]:
    """Return the L2 norm of the loss gradient for each layer's kernel, first layer first.

    Args:
        model: a built Keras model whose layers with weights have a ``kernel``.
        X, y: one batch of inputs and integer labels.
        loss: the loss to differentiate; sparse categorical cross-entropy when None.
    """
    _check_batch(model, X)
    loss = loss or keras.losses.SparseCategoricalCrossentropy()
    kernels = {layer.name: layer.kernel for layer in model.layers if hasattr(layer, "kernel")}
    if not kernels:
        raise ValueError(f"Model {model.name!r} has no layer with a kernel to measure.")
    with tf.GradientTape() as tape:
        value = loss(y, model(X, training=True))
    grads = tape.gradient(value, list(kernels.values()))
    return {name: float(tf.norm(grad)) for name, grad in zip(kernels, grads)}


def activation_stats(model: keras.Model, X: np.ndarray) -> dict[str, tuple[float, float]]:
    """Return ``(mean, std)`` of every layer's output on a batch, first layer first."""
    _check_batch(model, X)
    probe = keras.Model(model.inputs[0], [layer.output for layer in model.layers])
    outputs = probe(X, training=False)
    return {
        layer.name: (float(np.mean(out)), float(np.std(out)))
        for layer, out in zip(model.layers, outputs)
    }
