"""The sources' published results, and putting this book's re-runs beside them.

Numbers the prose quotes are handed to the book with :func:`glue` (myst-nb's glue), so the page
always shows what the last run produced.
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
from IPython import get_ipython
from IPython.display import display as show


@dataclass(frozen=True)
class Published:
    """One result the source notebooks printed."""

    number: int
    experiment: str
    source: str
    setup: str
    figure: str  # as printed, e.g. "valid 0.9786 (epoch 35)"
    values: tuple[float, ...]  # the accuracies (two for #7's variants), none for other results

    @property
    def value(self) -> float | None:
        """The accuracy (the first variant's for #7), None where the result is not one."""
        return self.values[0] if self.values else None


#: The table of ``seed_results.md``: what the sources printed, by result number.
PUBLISHED: dict[int, Published] = {
    p.number: p
    for p in [
        Published(
            1,
            "leaky ReLU MLP",
            "000",
            "784-300-100-10, leaky ReLU α=0.01, SGD lr 0.01, batch 50, 40 epochs",
            "valid 0.9786 (epoch 35)",
            (0.9786,),
        ),
        Published(
            2,
            "SELU MLP",
            "000",
            "same net with SELU, inputs standardized, 40 epochs",
            "valid 0.9700 (epoch 35)",
            (0.9700,),
        ),
        Published(
            3,
            "batch norm + ELU + He init",
            "000",
            "784-300-100-10, BN momentum 0.9 before each ELU and on the logits, SGD 0.01, batch 200, 20 epochs",
            "valid 0.9742",
            (0.9742,),
        ),
        Published(
            4,
            "gradient clipping by value 1.0",
            "000",
            "784-300-50-50-50-50-50-10 ReLU, SGD 0.01, batch 200, 20 epochs",
            "valid 0.9614",
            (0.9614,),
        ),
        Published(
            5,
            "reuse: continue training the saved model of #4",
            "000",
            "20 more epochs",
            "valid 0.9710",
            (0.9710,),
        ),
        Published(
            6,
            "reuse hidden 1-3 of #4, new hidden4 (20 units) + outputs",
            "000",
            "all layers trainable, 20 epochs",
            "valid 0.9672",
            (0.9672,),
        ),
        Published(
            7,
            "same with hidden 1-2 frozen",
            "000",
            "20 epochs",
            "valid 0.9604 / 0.9580 (two variants)",
            (0.9604, 0.9580),
        ),
        Published(
            8,
            "same with frozen layers' outputs cached",
            "000",
            "20 epochs; identical results to #7's second variant, faster",
            "valid 0.9580",
            (0.9580,),
        ),
        Published(
            9,
            "exponential learning-rate decay",
            "000",
            "784-300-50-10 ReLU, momentum 0.9, lr 0.1 decayed ×0.1 every 10,000 steps, batch 50, 5 epochs",
            "valid 0.9798",
            (0.9798,),
        ),
        Published(
            10,
            "ℓ1 regularization by hand",
            "000",
            "784-300-10, scale 0.001, SGD 0.01, batch 200, 20 epochs",
            "valid 0.9052",
            (0.9052,),
        ),
        Published(
            11,
            "ℓ1 through layer regularizers",
            "000",
            "784-300-50-10, scale 0.001 on all layers, 20 epochs",
            "valid 0.9214",
            (0.9214,),
        ),
        Published(
            12,
            "dropout 0.5 on inputs and hidden layers",
            "000",
            "784-300-50-10, momentum 0.9, lr 0.01, batch 50, 20 epochs",
            "valid 0.9742",
            (0.9742,),
        ),
        Published(
            13,
            "max-norm 1.0 by hand",
            "000",
            "784-300-50-10, momentum 0.9, lr 0.01, batch 50, 20 epochs",
            "valid 0.9844",
            (0.9844,),
        ),
        Published(
            14, "max-norm as a reusable regularizer", "000", "same", "valid 0.9826", (0.9826,)
        ),
        Published(
            15,
            "reuse weights from another framework",
            "000",
            "a 2-3 ReLU layer with W=[[1,2,3],[4,5,6]], b=[7,8,9], input [[10, 11]]",
            "[[61, 83, 105]] exactly",
            (),
        ),
        Published(
            16,
            "SELU depth demo",
            "000",
            "100 layers of 100 units, NumPy, seed 42, 500 inputs",
            "layer 0: −0.26 < mean < 0.27, 0.74 < std < 1.27; stays in about that band to layer 90",
            (),
        ),
        Published(
            17,
            "softmax regression, buggy loss",
            "001",
            "`-sum(y*log(y))` on predictions, SGD 0.01, 1000 steps of 50",
            "test 0.098 (the bug)",
            (0.098,),
        ),
        Published(
            18,
            "deep CNN",
            "001",
            "conv32-pool-conv64-pool-fc1024-dropout, Adam 1e-4, 20,000 steps of 50",
            "the tutorial's own figure is about 0.992 test",
            (0.992,),
        ),
        Published(
            19,
            "first Keras network",
            "003",
            "784-512-10, rmsprop, batch 128, 5 epochs",
            "train 0.9890, test 0.9790",
            (0.9790,),
        ),
        Published(
            20,
            "network from scratch",
            "003",
            "same shapes, weights uniform [0, 0.1), SGD lr 1e-3 by hand, 10 epochs",
            "test 0.82",
            (0.82,),
        ),
    ]
}


def published(number: int) -> Published:
    """Return published result ``number`` (1-20 in ``seed_results.md``)."""
    if number not in PUBLISHED:
        raise KeyError(
            f"There is no published result #{number}; they are numbered 1 to {max(PUBLISHED)}."
        )
    return PUBLISHED[number]


class WholeTextTable(pd.DataFrame):
    """A table that shows every cell's whole text: pandas cuts cells at 50 characters by default,
    which would hide the end of a long set-up or deviation."""

    @property
    def _constructor(self):
        return WholeTextTable

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.expand_frame_repr", False):
            return super().__repr__()

    def _repr_html_(self) -> str | None:
        with pd.option_context("display.max_colwidth", None):
            return super()._repr_html_()


@dataclass(frozen=True)
class Rerun:
    """This book's re-run of one published result.

    Args:
        measured: what the value is, e.g. ``"valid, epoch 35"``.
        value: the accuracy; a tuple of accuracies for a result with variants; or text for a
            result that is not an accuracy (an output, a range).
        deviation: how the re-run's set-up deviates from the source's, ``"none"`` when it does not.
        training: how long it trained, e.g. ``"40 epochs"``; ``"none"`` for a computation.
        seeds: the seeds set (``helpers.training.reset``) before the runs behind the value.
        seconds: how long the training took (a tuple for variants), None when nothing was
            trained.
    """

    measured: str
    value: float | tuple[float, ...] | str
    deviation: str
    training: str = "none"
    seeds: tuple[int, ...] = ()
    seconds: float | tuple[float, ...] | None = None

    def __post_init__(self):
        what = f"Re-run {self.measured!r}"
        if not self.deviation.strip():
            raise ValueError(
                f"{what} names no deviation from the source's set-up; "
                "write 'none' when the set-up is the same."
            )
        if not (isinstance(self.value, str) or _are_numbers(self.value)):
            raise TypeError(
                f"{what} has the value {self.value!r}; give a number, a tuple of numbers (one per "
                "variant) or text."
            )
        if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in self.seeds):
            raise TypeError(
                f"{what} has the seeds {self.seeds!r}; seeds are whole numbers: start each run "
                "with helpers.training.reset(seed)."
            )
        if self.seconds is not None and not _are_numbers(self.seconds):
            raise TypeError(f"{what} has the seconds {self.seconds!r}; give a number or a tuple.")
        if isinstance(self.seconds, tuple) and len(self.times()) != len(self.values()):
            raise ValueError(
                f"{what} has {len(self.values())} value(s) but {len(self.times())} time(s); "
                "give one time per variant."
            )

    @classmethod
    def of_run(cls, run, measured: str, value: float, deviation: str) -> Rerun:
        """Describe a re-run made by one :class:`helpers.training.Run` (epochs, seed, time)."""
        return cls(measured, value, deviation, f"{run.epochs} epochs", (run.seed,), run.seconds)

    def values(self) -> tuple[float, ...]:
        """Return the accuracies (none for a textual result), as plain floats."""
        return () if isinstance(self.value, str) else _floats(self.value)

    def times(self) -> tuple[float, ...]:
        """Return the training times in seconds (none when nothing was trained)."""
        return () if self.seconds is None else _floats(self.seconds)

    def shown(self) -> str:
        """Return the value as the book shows it: ``measured`` followed by the figures."""
        if isinstance(self.value, str):
            return f"{self.measured} {self.value}"
        return f"{self.measured} " + " / ".join(f"{value:.4f}" for value in self.values())


def _are_numbers(value) -> bool:
    """True for a real number or a non-empty tuple of them (NumPy's included)."""
    items = value if isinstance(value, tuple) else (value,)
    return bool(items) and all(
        isinstance(n, numbers.Real) and not isinstance(n, bool) for n in items
    )


def _floats(value: float | tuple[float, ...]) -> tuple[float, ...]:
    """Return one number or a tuple of them as a tuple of plain floats (not NumPy's)."""
    return tuple(float(n) for n in value) if isinstance(value, tuple) else (float(value),)


def difference(number: int, values: tuple[float, ...]) -> str:
    """Return each re-run accuracy minus published result ``number``'s, variant by variant, for
    reading: "+0.0014", "+0.0000 / +0.0024"; "" when the result is not an accuracy."""
    gaps = zip(values, published(number).values)
    # rounded first, so that a float32 a hair below the figure does not print -0.0000
    return " / ".join(f"{round(mine - theirs, 4) + 0.0:+.4f}" for mine, theirs in gaps)


def duration(times: tuple[float, ...] | list[float]) -> str:
    """Return training times for reading: "40 s", "14.8 min", "12 s / 9 s"; "—" for none."""
    shown = [f"{t:.0f} s" if t < 120 else f"{t / 60:.1f} min" for t in times]
    return " / ".join(shown) or "—"


def beside_published(reruns: dict[int, Rerun]) -> WholeTextTable:
    """Return a table of published figures beside this book's re-runs, and glue each re-run.

    Each re-run is glued as ``rerun_<number>``, a JSON record of its figures, training, seeds,
    time and this machine's device, which ``tools/results_page.py`` collects into the book's
    results page.
    """
    if not reruns:
        raise ValueError(
            "beside_published needs at least one re-run: {number: Rerun(measured, value, "
            "deviation, ...)}."
        )
    from helpers import env  # here, so that loading this module alone does not import TensorFlow

    device = env.device()
    rows = []
    for number, rerun in reruns.items():
        source = published(number)
        if not isinstance(rerun, Rerun):
            raise TypeError(
                f"Re-run #{number} is {rerun!r}; describe it with helpers.results.Rerun(...) or "
                "Rerun.of_run(run, ...)."
            )
        rows.append(
            {
                "#": number,
                "experiment": source.experiment,
                "published": source.figure,
                "this book": rerun.shown(),
                "difference": difference(number, rerun.values()),
                "training": rerun.training,
                "seeds": ", ".join(map(str, rerun.seeds)) or "—",
                "time": duration(rerun.times()),
                "deviation from the source": rerun.deviation,
            }
        )
        record = {
            "measured": rerun.measured,
            "values": list(rerun.values()),
            "shown": rerun.shown(),
            "deviation": rerun.deviation,
            "training": rerun.training,
            "seeds": [int(seed) for seed in rerun.seeds],
            "seconds": [round(t, 1) for t in rerun.times()],
            "device": device if rerun.times() else "—",
        }
        glue(f"rerun_{number}", json.dumps(record, ensure_ascii=False))
    return WholeTextTable(rows).set_index("#")


def glue(name: str, value, display: bool = False) -> None:
    """Hand ``value`` to the book under ``name`` (myst-nb's ``glue``), for prose to quote it.

    The value is also printed as ``name = value``, so that a reader on Colab or in plain Jupyter,
    where ``{glue:text}`` placeholders stay unfilled, finds every quoted number in the outputs.
    With ``display=True`` the value itself is displayed instead (a table, a figure).
    NumPy scalars are stored as plain Python numbers, so that format specs such as ``:.4f`` apply.
    """
    if isinstance(value, np.generic):
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # on Colab, where myst-nb is not installed
        myst_glue = None
    if myst_glue is not None and get_ipython() is not None:
        myst_glue(name, value, display=display)
    elif display:
        show(value)
    if not display:
        # six significant digits: at least as many as any format the prose quotes it with
        print(f"{name} = {value:.6g}" if isinstance(value, float) else f"{name} = {value}")
