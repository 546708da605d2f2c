"""Loss and accuracy curves: the points training sends, and the history a saved model keeps.

No TensorFlow here: the Compare page reads a model's history from its description alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

SPLITS = ("train", "validation")
HISTORY_KEY = "curve"
HISTORY_COLUMNS = ("epoch", "split", "loss", "accuracy", "seconds")
# A saved history stays small (the description is capped at 1 MiB): past this many points the
# training points are thinned evenly; every epoch's validation point is kept up to the same cap.
MAX_HISTORY_POINTS = 2_000


@dataclass(frozen=True)
class CurvePoint:
    """One point of a curve; `epoch` is fractional (1.5 = half way through the second).

    `seconds` counts from the start of training, so runs of different speeds can be laid
    against the clock as well as against epochs.
    """

    epoch: float
    split: str
    loss: float
    accuracy: float
    seconds: float = math.nan


def _thinned(points: list[CurvePoint], limit: int) -> list[CurvePoint]:
    if len(points) <= limit:
        return points
    step = len(points) / limit
    kept = [points[int(i * step)] for i in range(limit - 1)]
    return [*kept, points[-1]]


def history(curve: list[CurvePoint]) -> dict:
    """The curve as a saved model's description keeps it: columns of plain numbers.

    NaN (a figure Keras did not report) is stored as null, which JSON allows.
    """
    validation = _thinned([p for p in curve if p.split == "validation"], MAX_HISTORY_POINTS // 2)
    train = _thinned([p for p in curve if p.split != "validation"], MAX_HISTORY_POINTS - len(validation))
    points = sorted(train + validation, key=lambda p: (p.epoch, p.split))

    def number(value: float, digits: int) -> float | None:
        return None if math.isnan(value) else round(float(value), digits)

    return {
        "epoch": [number(p.epoch, 4) for p in points],
        "split": [p.split for p in points],
        "loss": [number(p.loss, 6) for p in points],
        "accuracy": [number(p.accuracy, 6) for p in points],
        "seconds": [number(p.seconds, 3) for p in points],
    }


def _figure(value: object) -> float | None:
    """A saved figure: null is NaN (not reported); a finite number >= 0 is itself; else None."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def from_history(saved: object) -> list[CurvePoint] | None:
    """The curve a description keeps, or None when it keeps none or one that does not add up.

    Descriptions come from files anyone can write: every column is checked, not trusted.
    """
    if not isinstance(saved, dict) or not all(isinstance(saved.get(c), list) for c in HISTORY_COLUMNS):
        return None
    columns = [saved[c] for c in HISTORY_COLUMNS]
    if len({len(column) for column in columns}) != 1 or not columns[0]:
        return None
    if len(columns[0]) > MAX_HISTORY_POINTS or not all(split in SPLITS for split in saved["split"]):
        return None

    points = []
    for epoch, split, loss, accuracy, seconds in zip(*columns, strict=True):
        figures = [_figure(epoch), _figure(loss), _figure(accuracy), _figure(seconds)]
        if any(figure is None for figure in figures) or math.isnan(figures[0]):
            return None
        epoch, loss, accuracy, seconds = figures
        if not 0 <= accuracy <= 1 and not math.isnan(accuracy):
            return None
        points.append(CurvePoint(epoch, split, loss, accuracy, seconds))
    return points


# How many of the latest stretches between training points one plotted point averages.
RECENT_STRETCHES = 3


def recent(curve: list[CurvePoint]) -> list[CurvePoint]:
    """The training points as averages over the latest batches, carried across epochs.

    Keras reports a training figure as the average of the epoch so far, which restarts at
    every epoch: plotted as it is, the curve drops off a cliff at each whole epoch. Two
    points of one epoch give the average of the batches between them (`a` over the first
    fraction `f` of the epoch and `b` over `g` make `(b*g - a*f) / (g - f)` between), and
    each plotted point averages the latest `RECENT_STRETCHES` such stretches, whichever
    epoch they fell in. Thinned points (a saved history) still give exact averages.
    """
    out, stretches, last = [], [], (-1, 0.0, 0.0, 0.0)  # (epoch index, fraction, loss, accuracy)
    for point in curve:
        if point.split == "validation":
            out.append(point)
            continue
        index = math.ceil(point.epoch) - 1
        fraction = point.epoch - index
        start = last if last[0] == index else (index, 0.0, 0.0, 0.0)
        width = fraction - start[1]
        if width <= 1e-9:
            continue
        loss = (point.loss * fraction - start[2] * start[1]) / width
        accuracy = (point.accuracy * fraction - start[3] * start[1]) / width
        stretches = [*stretches[-(RECENT_STRETCHES - 1) :], (width, loss, accuracy)]
        total = sum(w for w, _, _ in stretches)
        out.append(
            CurvePoint(
                point.epoch,
                point.split,
                sum(w * v for w, v, _ in stretches) / total,
                min(1.0, max(0.0, sum(w * a for w, _, a in stretches) / total)),
                point.seconds,
            )
        )
        last = (index, fraction, point.loss, point.accuracy)
    return out


def gap(curve: list[CurvePoint]) -> float | None:
    """The latest validation accuracy minus the training accuracy around it (`recent`), or None."""
    validation = [p for p in curve if p.split == "validation" and not math.isnan(p.accuracy)]
    if not validation:
        return None
    last = validation[-1]
    train = [
        p
        for p in recent(curve)
        if p.split == "train" and p.epoch <= last.epoch and not math.isnan(p.accuracy)
    ]
    return last.accuracy - train[-1].accuracy if train else None


def gap_sentences(runs: dict[str, list[CurvePoint]]) -> list[str]:
    """What a gap between a run's training and validation accuracy means, in a learner's words."""
    sentences = []
    for name, curve in runs.items():
        difference = gap(curve)
        if difference is None:
            continue
        points = f"{abs(difference) * 100:.0f} percentage points"
        if difference > 0.03:
            sentences.append(
                f"{name} scores {points} higher on the test digits than while it trains. Its "
                "training figure averages its latest batches, read while it was still learning; "
                "and in training, dropout (where the network has it) switches part of it off and "
                "augmentation (where it is on) turns and shifts the digits at random, which makes "
                "training harder on purpose. The test reads plain digits with the whole network, "
                "as it is at the end of the epoch."
            )
        elif difference < -0.05:
            sentences.append(
                f"{name} scores {points} higher on its training digits than on the test digits: "
                "it is starting to learn its training images by heart (over-fitting). More images, "
                "dropout or augmentation close that gap."
            )
    return sentences


def frame(runs: dict[str, list[CurvePoint]]) -> pd.DataFrame:
    """One long table of several runs' curves, for charts coloured by run and dashed by split;
    training figures as averages over the latest batches (`recent`), with no cliff at each epoch."""
    rows = [
        (name, p.split, p.epoch, p.seconds, p.loss, p.accuracy)
        for name, curve in runs.items()
        for p in recent(curve)
    ]
    return pd.DataFrame(rows, columns=["model", "split", "epoch", "seconds", "loss", "accuracy"])
