"""Learning-rate tools written in chapter 9 and used again later: the 1cycle schedule and a finder."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from helpers import training


@keras.saving.register_keras_serializable(package="book")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """1cycle: up to max_rate and down again, then a short final decay."""

    def __init__(self, max_rate, total_steps, up_share=0.45):
        if not 0 < up_share < 0.5:
            raise ValueError(f"up_share={up_share} must be between 0 and 0.5 (up, then down).")
        if total_steps < 2:
            raise ValueError(f"total_steps={total_steps} must be at least 2.")
        self.max_rate = max_rate
        self.total_steps = total_steps
        self.up_share = up_share

    def __call__(self, step):
        t = keras.ops.cast(step, "float32")
        peak, low = self.max_rate, self.max_rate / 10
        up = self.up_share * self.total_steps
        tail = max(self.total_steps - 2 * up, 1.0)
        rising = low + (peak - low) * t / up
        falling = peak - (peak - low) * (t - up) / up
        last = low - (low - peak / 1000) * keras.ops.minimum((t - 2 * up) / tail, 1.0)
        return keras.ops.where(t < up, rising, keras.ops.where(t < 2 * up, falling, last))

    def get_config(self):
        return {
            "max_rate": self.max_rate,
            "total_steps": self.total_steps,
            "up_share": self.up_share,
        }


def find_learning_rate(
    build: Callable[[], keras.Model],
    X: np.ndarray,
    y: np.ndarray,
    optimizer: Callable[[float], keras.optimizers.Optimizer] | None = None,
    batch_size: int = 128,
    lowest: float = 1e-5,
    highest: float = 10,
    seed: int = 42,
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch at an exponentially growing rate; return the rates and the losses.

    Args:
        build: makes a fresh, uncompiled model with a softmax output.
        X, y: the training data (sparse labels); one pass over it, stopped early when the loss
            has exploded (above four times its lowest value, or not finite).
        optimizer: makes the optimizer from a learning rate; by default SGD with momentum 0.9.
    """
    n_steps = len(X) // batch_size
    if n_steps < 2:
        raise ValueError(
            f"{len(X)} examples make {n_steps} batch(es) of {batch_size}: the finder needs at "
            "least two steps; give it more data or a smaller batch."
        )
    if not 0 < lowest < highest:
        raise ValueError(f"Need 0 < lowest < highest, got lowest={lowest}, highest={highest}.")
    training.reset(seed)
    model = build()
    make = optimizer or (lambda rate: keras.optimizers.SGD(rate, momentum=0.9))
    opt = make(lowest)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    rates = np.geomspace(lowest, highest, n_steps)
    opt.build(model.trainable_variables)

    @tf.function
    def train_step(X_batch, y_batch, rate):
        opt.learning_rate.assign(rate)
        with tf.GradientTape() as tape:
            loss = loss_fn(y_batch, model(X_batch, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply(grads, model.trainable_variables)
        return loss

    order = np.random.default_rng(seed).permutation(len(X))
    losses = []
    for k, rate in enumerate(rates):
        batch = order[k * batch_size : (k + 1) * batch_size]
        loss = float(train_step(X[batch], y[batch], tf.constant(rate, "float32")))
        losses.append(loss)
        if not np.isfinite(loss) or loss > 4 * min(losses):
            break  # the loss has exploded: the rest says nothing
    return rates[: len(losses)], np.array(losses)
