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


def frame(runs: dict[str, list[CurvePoint]]) -> pd.DataFrame:
    """One long table of several runs' curves, for charts coloured by run and dashed by split."""
    rows = [
        (name, p.split, p.epoch, p.seconds, p.loss, p.accuracy) for name, curve in runs.items() for p in curve
    ]
    return pd.DataFrame(rows, columns=["model", "split", "epoch", "seconds", "loss", "accuracy"])
