"""The book's figure style, saving figures, and the plots several chapters draw."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager

#: Font families that can draw Hangul, in order of preference.
KOREAN_FONTS = ("NanumBarunGothic", "NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "UnDotum")


def korean_font() -> str | None:
    """Return the first installed font family that can draw Korean, or None."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in KOREAN_FONTS if name in installed), None)


def use_book_style(korean: bool = False) -> None:
    """Set the book's figure style; with ``korean=True`` also a Hangul-capable font.

    Raises:
        RuntimeError: when Korean is asked for and no Korean font is installed.
    """
    mpl.rcParams.update(
        {
            "axes.labelsize": 14,
            "axes.titlesize": 14,
            "xtick.labelsize": 12,
            "ytick.labelsize": 12,
            "legend.fontsize": 12,
            "figure.figsize": (7, 4),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.4,
        }
    )
    if korean:
        font = korean_font()
        if font is None:
            raise RuntimeError(
                f"No Korean font found (looked for {', '.join(KOREAN_FONTS)}). Install one, e.g. "
                "`apt-get install fonts-nanum` (Colab: `!apt-get -qq install fonts-nanum`), then restart."
            )
        mpl.rcParams["font.family"] = font
        mpl.rcParams["axes.unicode_minus"] = False


def figure_saver(chapter: str, root: str | Path = "images") -> Callable[..., Path]:
    """Return ``save_fig(fig_id)``, which saves the current figure to ``<root>/<chapter>/<fig_id>.png``."""
    folder = Path(root) / chapter

    def save_fig(fig_id: str, tight_layout: bool = True, dpi: int = 150) -> Path:
        """Save the current figure as ``<fig_id>.png`` in this chapter's image folder and return the path."""
        folder.mkdir(parents=True, exist_ok=True)
        if tight_layout:
            plt.tight_layout()
        path = folder / f"{fig_id}.png"
        plt.savefig(path, format="png", dpi=dpi)
        return path

    return save_fig


def plot_functions(
    functions: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    z: np.ndarray | None = None,
    title: str = "",
    ax: plt.Axes | None = None,
    ylim: tuple[float, float] | None = None,
) -> plt.Axes:
    """Plot several functions of one variable on shared axes, with the x and y axes drawn in.

    Args:
        functions: legend label -> function taking and returning a NumPy array.
        z: points to evaluate at; by default 200 points from -5 to 5.
        title: the plot's title.
        ax: axes to draw on; a new figure when None.
        ylim: the y range; matplotlib's choice when None.
    """
    if not functions:
        raise ValueError("plot_functions needs at least one function to plot.")
    z = np.linspace(-5, 5, 200) if z is None else np.asarray(z)
    ax = ax or plt.figure().gca()
    ax.axhline(0, color="k", linewidth=0.8)
    ax.axvline(0, color="k", linewidth=0.8)
    for label, function in functions.items():
        ax.plot(z, function(z), linewidth=2, label=label)
    ax.set(xlabel="$z$", title=title, xlim=(z.min(), z.max()))
    if ylim is not None:
        ax.set_ylim(ylim)
    if len(functions) > 1:
        ax.legend()
    return ax


def plot_learning_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    metric: str = "val_accuracy",
    title: str = "",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Plot one metric per epoch for several training runs (Keras ``History.history`` dicts).

    Raises:
        KeyError: when a run did not record ``metric``; the message lists the metrics it has.
    """
    if not histories:
        raise ValueError("plot_learning_curves needs at least one history to plot.")
    for label, history in histories.items():
        if metric not in history:
            raise KeyError(f"Run {label!r} has no {metric!r}; it recorded {sorted(history)}.")
    ax = ax or plt.figure().gca()
    for label, history in histories.items():
        values = history[metric]
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set(xlabel="epoch", ylabel=metric.replace("_", " "), title=title)
    ax.legend()
    return ax


def plot_comparison(
    runs: pd.DataFrame,
    summary: pd.DataFrame,
    metric: str,
    ax: plt.Axes | None = None,
    title: str = "",
) -> plt.Axes:
    """Plot a comparison: one dot per run, and each contestant's mean ± sd as a bar, best on top.

    Args:
        runs: one row per run with columns ``contestant`` and ``final <metric>``.
        summary: indexed by contestant, best first, with columns ``mean`` and ``sd``.
    """
    column = f"final {metric}"
    if column not in runs or not {"mean", "sd"} <= set(summary.columns):
        raise KeyError(
            f"plot_comparison needs runs with a {column!r} column and a summary with 'mean' and "
            "'sd' (what Comparison.table() and Comparison.summary() return)."
        )
    ax = ax or plt.figure(figsize=(7, 0.45 * len(summary) + 1.2)).gca()
    names = list(summary.index)[::-1]  # the best on top
    positions = {name: y for y, name in enumerate(names)}
    ax.scatter(
        runs[column],
        runs["contestant"].map(positions),
        color="tab:blue",
        alpha=0.6,
        label="one seed",
        zorder=3,
    )
    ax.errorbar(
        summary.loc[names, "mean"],
        range(len(names)),
        xerr=summary.loc[names, "sd"].fillna(0),
        fmt="D",
        color="black",
        capsize=4,
        label="mean ± sd",
        zorder=4,
    )
    ax.set_yticks(range(len(names)), names)
    # test_* metrics are measured once after training (for early stopping: of the restored weights)
    when = "after training" if metric.startswith("test_") else "after the last epoch"
    ax.set(xlabel=f"{metric.replace('_', ' ')} {when}", title=title)
    ax.legend(loc="best", fontsize=10)
    return ax
