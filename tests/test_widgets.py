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


def test_variance_scaling_profile_keeps_relu_at_he_scale_and_loses_it_below():
    he = widgets.variance_scaling_profile("ReLU", "2 (He)", "fan_in", "truncated_normal", 20)
    lecun = widgets.variance_scaling_profile(
        "ReLU", "1 (LeCun, Glorot)", "fan_in", "truncated_normal", 20
    )
    assert he.activation_std.shape == he.gradient_norm.shape == (20,)
    assert 0.2 < he.activation_std[-1] / he.activation_std[0] < 5
    assert lecun.activation_std[-1] < 0.01 * lecun.activation_std[0]


def test_the_fan_mode_matters_only_when_the_widths_change():
    def last_std(mode, shape):
        profile = widgets.variance_scaling_profile(
            "tanh", "1 (LeCun, Glorot)", mode, "uniform", 10, shape=shape
        )
        return profile.activation_std[-1]

    np.testing.assert_allclose(
        last_std("fan_in", "constant 100"), last_std("fan_out", "constant 100"), rtol=1e-6
    )
    narrowing = "narrowing 400 → 25"  # fan-out < fan-in: fan_out's weights are larger
    assert last_std("fan_out", narrowing) > 1.3 * last_std("fan_in", narrowing)


def test_layer_widths_run_geometrically_from_first_to_last():
    assert widgets.layer_widths("narrowing 400 → 25", 5) == [400, 200, 100, 50, 25]
    assert widgets.layer_widths("constant 100", 3) == [100, 100, 100]
    with pytest.raises(ValueError, match="Unknown shape 'funnel'"):
        widgets.layer_widths("funnel", 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(scale="3"), "Unknown scale '3'"),
        (dict(mode="FAN_IN"), "Unknown fan mode 'FAN_IN'"),
        (dict(distribution="normal"), "Unknown distribution 'normal'"),
        (dict(depth=1), "depth=1 must be between 2 and 60"),
    ],
)
def test_initializer_explorer_rejects_bad_defaults(kwargs, message):
    with pytest.raises(ValueError, match=message):
        widgets.InitializerExplorer(**kwargs)


def test_initializer_explorer_redraws_when_a_control_changes():
    explorer = widgets.InitializerExplorer(depth=4)
    assert explorer.settings() == {
        "activation": "ReLU",
        "scale": "2 (He)",
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "shape": "narrowing 400 → 25",
        "depth": 4,
    }
    explorer.controls["mode"].value = "fan_out"  # what the dropdown does when a reader picks
    assert "fan_out" in explorer.figure._suptitle.get_text()
    explorer.controls["depth"].value = 6
    assert explorer.profile.activation_std.shape == (6,)
    assert len(explorer.figure.axes) == 3
    plt.close("all")


def test_initializer_explorer_unattended_draws_only_the_default_figure(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BATCH", "1")
    explorer = widgets.InitializerExplorer(depth=3)
    explorer.show()
    assert explorer.profile.gradient_norm.shape == (3,)
    assert "VBox" not in capsys.readouterr().out
    plt.close("all")


def test_the_tutorials_initializer_can_be_explored():
    profile = widgets.depth_profile("ReLU", "truncated N(0, 0.1)", depth=3)
    assert profile.activation_std.shape == (3,)


def test_every_layer_draws_its_own_weights():
    # one unseeded initializer object shared by the layers would repeat the same matrix
    for name in widgets.INITIALIZERS:
        widgets.training.reset()
        model = widgets.training.build_mlp(
            [20] * 3, kernel_initializer=widgets.INITIALIZERS[name], n_inputs=20
        )
        kernels = [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
        assert not np.array_equal(kernels[1], kernels[2]), name


def test_explorers_lay_out_their_controls_three_to_a_row_without_empty_rows():
    activation = widgets.ActivationExplorer(depth=3).layout()  # three controls: one row
    assert len(activation.children) == 2 and activation.children[-1] is not None
    assert [len(box.children) for box in activation.children[:-1]] == [3]
    initializer = widgets.InitializerExplorer(depth=3).layout()  # six controls: two rows
    assert [len(box.children) for box in initializer.children[:-1]] == [3, 3]
    assert isinstance(initializer.children[-1], widgets.ipywidgets.Output)
