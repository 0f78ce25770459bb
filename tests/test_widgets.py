"""Tests of helpers.widgets: the explorers' measurements and callbacks, without a front end."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import widgets

pytestmark = pytest.mark.usefixtures("clean_env")


def test_depth_profile_measures_every_hidden_layer():
    profile = widgets.depth_profile("ReLU", "He normal", depth=6)
    assert profile.activation_std.shape == profile.gradient_norm.shape == (6,)
    assert np.all(profile.activation_std > 0) and np.all(profile.gradient_norm > 0)


def test_depth_profile_is_reproducible():
    first = widgets.depth_profile("tanh", "N(0, 1)", depth=4)
    again = widgets.depth_profile("tanh", "N(0, 1)", depth=4)
    np.testing.assert_array_equal(first.gradient_norm, again.gradient_norm)


def test_depth_profile_shows_the_textbook_effects():
    # sigmoid + Glorot: the gradient fades towards the input; ReLU + He keeps its order of magnitude
    sigmoid = widgets.depth_profile("sigmoid", "Glorot uniform", depth=10).gradient_norm
    relu = widgets.depth_profile("ReLU", "He normal", depth=10).gradient_norm
    assert sigmoid[0] / sigmoid[-1] < 1e-3
    assert 0.1 < relu[0] / relu[-1] < 10
    # ReLU at LeCun's scale halves the variance at every layer: the signal collapses
    lecun = widgets.depth_profile("ReLU", "LeCun normal", depth=20).activation_std
    assert lecun[-1] < 0.01 * lecun[0]


def test_layer_makers_such_as_leaky_relu_are_measured_after_their_activation():
    profile = widgets.depth_profile("leaky ReLU 0.01", "He normal", depth=3)
    assert profile.activation_std.shape == (3,)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(activation="softsign", initializer="He normal", depth=3),
            "Unknown activation 'softsign'",
        ),
        (
            dict(activation="ReLU", initializer="orthogonal", depth=3),
            "Unknown initializer 'orthogonal'",
        ),
        (dict(activation="ReLU", initializer="He normal", depth=0), "depth=0 must be between"),
    ],
)
def test_depth_profile_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        widgets.depth_profile(**kwargs)


def test_explorer_redraws_when_a_control_changes():
    explorer = widgets.ActivationExplorer(depth=5)
    assert explorer.settings() == {
        "activation": "sigmoid",
        "initializer": "Glorot uniform",
        "depth": 5,
    }
    explorer.controls["depth"].value = 7  # what the slider does when a reader drags it
    assert explorer.profile is not None and explorer.profile.gradient_norm.shape == (7,)
    explorer.controls["activation"].value = "SELU"
    assert "SELU" in explorer.figure.axes[0].get_title()
    assert len(explorer.figure.axes) == 3
    plt.close("all")


def test_explorer_unattended_draws_only_the_default_figure(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BATCH", "1")
    explorer = widgets.ActivationExplorer(depth=4)
    explorer.show()
    assert explorer.profile.gradient_norm.shape == (4,)
    assert "VBox" not in capsys.readouterr().out  # no controls on the published page
    plt.close("all")


def test_explorer_rejects_an_unknown_default():
    with pytest.raises(ValueError, match="Unknown activation 'relu'"):
        widgets.ActivationExplorer(activation="relu")


def test_explorer_rejects_a_depth_its_slider_cannot_show():
    with pytest.raises(ValueError, match="depth=100 must be between 2 and 60"):
        widgets.ActivationExplorer(depth=100)
