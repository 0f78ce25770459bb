"""Tests of helpers.paths: surfaces, optimizer trajectories, and the explorer without a front end."""

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import paths

pytestmark = pytest.mark.usefixtures("clean_env")


def test_surfaces_have_their_minima_where_they_say():
    for surface in paths.SURFACES.values():
        values = [surface(*minimum) for minimum in surface.minima]
        x = np.linspace(*surface.xlim, 101)
        X, Y = np.meshgrid(x, np.linspace(*surface.ylim, 101))
        assert max(values) <= surface(X, Y).min() + 1e-9, surface.name


def test_trajectory_starts_at_the_start_and_has_one_point_per_step():
    path = paths.trajectory("Rosenbrock", "Adam", learning_rate=0.01, steps=7)
    assert path.shape == (8, 2)
    np.testing.assert_allclose(path[0], paths.SURFACES["Rosenbrock"].start)


def test_trajectory_is_the_keras_optimizers_own_path():
    # the same steps taken by hand, one apply() at a time, in eager mode
    surface = paths.SURFACES["ill-conditioned quadratic"]
    import tensorflow as tf

    w = tf.Variable(np.array(surface.start, dtype="float32"))
    optimizer = keras.optimizers.Nadam(0.1)
    expected = [w.numpy().copy()]
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = surface(w[0], w[1])
        optimizer.apply([tape.gradient(loss, w)], [w])
        expected.append(w.numpy().copy())
    path = paths.trajectory(surface, "Nadam", learning_rate=0.1, momentum=0.9, steps=5)
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-6, atol=1e-7)


def test_plain_gradient_descent_on_a_quadratic_follows_the_formula():
    # f = (x**2 + 25 y**2) / 2: each SGD step multiplies x by 1 - lr and y by 1 - 25 lr
    path = paths.trajectory("ill-conditioned quadratic", "SGD", learning_rate=0.02, steps=4)
    x0, y0 = paths.SURFACES["ill-conditioned quadratic"].start
    np.testing.assert_allclose(path[-1], [x0 * 0.98**4, y0 * 0.5**4], rtol=1e-5)


def test_momentum_escapes_the_saddle_faster_than_sgd():
    sgd = paths.trajectory("saddle", "SGD", learning_rate=0.1, steps=30)
    momentum = paths.trajectory("saddle", "momentum", learning_rate=0.1, steps=30)
    assert abs(momentum[-1, 1]) > 10 * abs(sgd[-1, 1])


def test_a_learning_rate_too_large_diverges_to_non_finite_points():
    path = paths.trajectory("ill-conditioned quadratic", "SGD", learning_rate=0.5, steps=200)
    assert not np.isfinite(path[-1]).all() or np.abs(path[-1]).max() > 1e6


def test_the_momentum_knob_sets_the_right_argument():
    assert paths.make_optimizer("Nesterov", 0.1, 0.5).momentum == 0.5
    assert paths.make_optimizer("Nesterov", 0.1, 0.5).nesterov
    assert paths.make_optimizer("Adam", 0.1, 0.8).beta_1 == 0.8
    assert paths.make_optimizer("Lion", 0.1, 0.8).beta_1 == 0.8
    assert paths.OPTIMIZERS["RMSprop"].momentum_argument is None


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: paths.trajectory("bowl", "SGD"), "Unknown surface 'bowl'"),
        (lambda: paths.trajectory("saddle", "sgd"), "Unknown optimizer 'sgd'"),
        (lambda: paths.trajectory("saddle", "SGD", steps=0), "steps=0 must be"),
        (lambda: paths.make_optimizer("Adam", 0.0), "learning_rate=0.0 must be positive"),
        (lambda: paths.make_optimizer("Adam", 0.1, 1.0), r"momentum=1.0 must be in \[0, 1\)"),
        (lambda: paths.OptimizerExplorer(learning_rate=5.0), "learning_rate=5.0 must be"),
        (lambda: paths.OptimizerExplorer(surface="bowl"), "Unknown surface 'bowl'"),
    ],
)
def test_bad_settings_are_rejected_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_losses_evaluate_the_surface_along_a_path():
    path = np.array([[1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(paths.losses("Rosenbrock", path), [0.0, 1.0])


def test_explorer_redraws_when_a_control_changes():
    explorer = paths.OptimizerExplorer(steps=10)
    assert explorer.settings() == {
        "surface": "ill-conditioned quadratic",
        "optimizer": "momentum",
        "learning_rate": 0.01,
        "momentum": 0.9,
    }
    explorer.controls["optimizer"].value = "Adam"  # what the dropdown does when a reader picks
    assert "Adam" in explorer.figure._suptitle.get_text()
    assert "beta_1 0.90" in explorer.figure._suptitle.get_text()
    explorer.controls["surface"].value = "saddle"
    assert explorer.path.shape == (11, 2)
    np.testing.assert_allclose(explorer.path[0], paths.SURFACES["saddle"].start)
    explorer.controls["learning_rate"].value = 0.1
    assert "lr 0.1" in explorer.figure._suptitle.get_text()
    explorer.controls["optimizer"].value = "AdaGrad"  # no momentum: the title does not claim one
    assert "0.90" not in explorer.figure._suptitle.get_text()
    assert len(explorer.figure.axes) == 2
    plt.close("all")


def test_explorer_unattended_draws_only_the_default_figure(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BATCH", "1")
    explorer = paths.OptimizerExplorer(steps=5)
    explorer.show()
    assert explorer.path.shape == (6, 2)
    assert "VBox" not in capsys.readouterr().out  # no controls on the published page
    plt.close("all")


def test_explorer_lays_out_its_controls_two_to_a_row():
    layout = paths.OptimizerExplorer().layout()
    assert [len(box.children) for box in layout.children[:-1]] == [2, 2]
    assert isinstance(layout.children[-1], paths.ipywidgets.Output)
