"""Tests of helpers.plots: the book style, saving figures, function plots and learning curves."""

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # no display needed, whatever the developer's default backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from helpers import plots  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_pyplot():
    """Give every test matplotlib's settings as they were, and close the figures it opened."""
    with mpl.rc_context():
        yield
    plt.close("all")


@pytest.fixture
def installed_fonts(monkeypatch):
    """Return a function that makes matplotlib believe exactly these font families are installed."""

    def install(*names):
        fonts = [font_manager.FontEntry(fname=f"/fonts/{name}.ttf", name=name) for name in names]
        monkeypatch.setattr(font_manager.fontManager, "ttflist", fonts)

    return install


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def labelled_lines(ax):
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_use_book_style_sets_the_figure_style():
    family = list(mpl.rcParams["font.family"])
    plots.use_book_style()
    assert mpl.rcParams["figure.figsize"] == [7.0, 4.0]
    assert mpl.rcParams["axes.grid"] is True
    assert (mpl.rcParams["axes.labelsize"], mpl.rcParams["xtick.labelsize"]) == (14.0, 12.0)
    assert mpl.rcParams["font.family"] == family


def test_korean_font_follows_the_order_of_preference(installed_fonts):
    installed_fonts("DejaVu Sans", "Noto Sans KR", "NanumGothic")
    assert plots.korean_font() == "NanumGothic"


def test_korean_font_is_none_without_a_korean_font(installed_fonts):
    installed_fonts("DejaVu Sans")
    assert plots.korean_font() is None


def test_use_book_style_korean_selects_the_korean_font(installed_fonts):
    installed_fonts("UnDotum")
    plots.use_book_style(korean=True)
    assert mpl.rcParams["font.family"] == ["UnDotum"]
    assert mpl.rcParams["axes.unicode_minus"] is False


def test_use_book_style_korean_without_a_font_says_how_to_install_one(monkeypatch):
    monkeypatch.setattr(plots, "korean_font", lambda: None)
    with pytest.raises(RuntimeError, match=r"No Korean font found .*apt-get install fonts-nanum"):
        plots.use_book_style(korean=True)


def test_figure_saver_writes_a_png_in_the_chapter_folder(tmp_path):
    save_fig = plots.figure_saver("11_training", root=tmp_path)
    plt.figure(figsize=(4, 2))
    plt.plot([0, 1], [1, 0])
    path = save_fig("sigmoid", dpi=50)
    assert path == tmp_path / "11_training" / "sigmoid.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.imread(path).shape[:2] == (100, 200)  # 2 x 4 inches at 50 dpi


def test_figure_saver_defaults_to_an_images_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    plt.plot([0, 1])
    path = plots.figure_saver("ch")("curve", tight_layout=False)
    assert path == Path("images") / "ch" / "curve.png"
    assert (tmp_path / path).is_file()


def test_plot_functions_needs_at_least_one_function():
    with pytest.raises(ValueError, match="at least one function"):
        plots.plot_functions({})


def test_plot_functions_draws_each_function_with_its_label():
    functions = {"sigmoid": sigmoid, "ReLU": lambda z: np.maximum(z, 0)}
    ax = plots.plot_functions(functions, title="Activations", ylim=(-1, 2))
    assert len(ax.get_lines()) == 4  # the two functions and the two axes drawn in
    assert labelled_lines(ax) == ["sigmoid", "ReLU"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["sigmoid", "ReLU"]
    z, y = ax.get_lines()[2].get_data()
    assert len(z) == 200
    np.testing.assert_allclose(y, sigmoid(z))
    assert (ax.get_xlim(), ax.get_ylim(), ax.get_title()) == (
        (-5.0, 5.0),
        (-1.0, 2.0),
        "Activations",
    )


def test_plot_functions_uses_the_given_points_and_axes():
    _, ax = plt.subplots()
    returned = plots.plot_functions({"square": np.square}, z=[-2, 0, 1, 3], ax=ax)
    assert returned is ax
    assert ax.get_legend() is None  # a single function needs no legend
    np.testing.assert_array_equal(ax.get_lines()[2].get_ydata(), [4, 0, 1, 9])
    assert ax.get_xlim() == (-2.0, 3.0)


HISTORIES = {
    "SGD": {"loss": [0.9, 0.5, 0.4], "val_accuracy": [0.80, 0.85, 0.90]},
    "Adam": {"loss": [0.6, 0.3, 0.2], "val_accuracy": [0.88, 0.91, 0.93]},
}


def test_plot_learning_curves_draws_one_line_per_run():
    ax = plots.plot_learning_curves(HISTORIES, title="Optimizers")
    assert labelled_lines(ax) == ["SGD", "Adam"]
    epochs, values = ax.get_lines()[1].get_data()
    assert list(epochs) == [1, 2, 3]
    assert list(values) == [0.88, 0.91, 0.93]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == (
        "epoch",
        "val accuracy",
        "Optimizers",
    )


def test_plot_learning_curves_plots_the_metric_asked_for():
    ax = plots.plot_learning_curves(HISTORIES, metric="loss")
    assert list(ax.get_lines()[0].get_ydata()) == [0.9, 0.5, 0.4]
    assert ax.get_ylabel() == "loss"


def test_plot_learning_curves_missing_metric_lists_what_was_recorded():
    with pytest.raises(
        KeyError, match=r"Run 'SGD' has no 'accuracy'; it recorded \['loss', 'val_accuracy'\]"
    ):
        plots.plot_learning_curves(HISTORIES, metric="accuracy")


def test_plot_learning_curves_needs_at_least_one_history():
    with pytest.raises(ValueError, match="at least one history"):
        plots.plot_learning_curves({})


def test_plot_comparison_says_what_it_needs():
    with pytest.raises(
        KeyError, match="what Comparison.table\\(\\) and Comparison.summary\\(\\) return"
    ):
        plots.plot_comparison(pd.DataFrame({"contestant": ["a"]}), pd.DataFrame(), "val_accuracy")


@pytest.mark.parametrize(
    "metric, label",
    [
        ("val_accuracy", "val accuracy after the last epoch"),
        ("test_accuracy", "test accuracy after training"),  # early stopping restores its best
    ],
)
def test_plot_comparison_says_when_the_score_was_measured(metric, label):
    runs = pd.DataFrame({"contestant": ["a", "a"], f"final {metric}": [0.5, 0.6]})
    summary = pd.DataFrame({"mean": [0.55], "sd": [0.07]}, index=["a"])
    ax = plots.plot_comparison(runs, summary, metric)
    assert ax.get_xlabel() == label
    plt.close("all")
