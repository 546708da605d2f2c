"""Shaken by a shift: accuracy when every test digit is moved, turned, scaled, or drawn thinner
or thicker.

The transforms are NumPy on a batch, each image handled alike: a whole-pixel shift fills with
black; a turn or a scale about the image's centre samples the original bilinearly, black
beyond its edge (as `scipy.ndimage.affine_transform` with order 1 and mode "grid-constant",
against which the tests check them); thinner and thicker are grey erosion and dilation with a
3x3 cross, black beyond the edge. Each curve reads up to `MAX_CURVE_DIGITS` test digits, the
split's first, so every model is measured on the same ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.errors import UserError

MAX_CURVE_DIGITS = 1000
SHIFTS = (0, 1, 2, 3, 4, 5, 6)  # pixels, each in the four directions
DIRECTIONS = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}  # (rows, columns)
TURNS = (-45, -30, -15, 0, 15, 30, 45)  # degrees, positive anticlockwise
SCALES = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4)
THICKNESSES = (-1, 0, 1, 2)  # erosions (negative) or dilations with the cross
KINDS = ("shift", "turn", "scale", "thickness")
KIND_TITLES = {
    "noise": "Noise made to fool it",
    "shift": "Moved by some pixels",
    "turn": "Turned",
    "scale": "Made smaller or larger",
    "thickness": "Drawn thinner or thicker",
}
SETTING_TITLES = {
    "shift": "pixels moved (a quarter of the digits each way: left, right, up, down)",
    "turn": "degrees turned (positive: anticlockwise)",
    "scale": "size (1: as drawn)",
    "thickness": "pixels thinner (negative) or thicker on each side",
}
CROSS = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
_CENTRE = (IMAGE_SIZE - 1) / 2


@dataclass(frozen=True)
class Curve:
    """Accuracy at each setting of one change, on `n` test digits."""

    kind: str  # "noise", or one of KINDS
    title: str
    setting: str  # what the settings are, in words
    settings: tuple[float, ...]
    accuracy: tuple[float, ...]
    n: int

    def at(self, setting: float) -> float:
        """The accuracy at one of the settings."""
        return self.accuracy[self.settings.index(setting)]

    def summary(self) -> dict:
        return {
            "settings": [float(s) for s in self.settings],
            "accuracy": [round(float(a), 6) for a in self.accuracy],
            "n": self.n,
        }


def checked_sample(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first `MAX_CURVE_DIGITS` test images as [0, 1] floats, with their labels as integers."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or labels.shape != images.shape[:1]:
        raise UserError(f"expected images (n, {IMAGE_SIZE}, {IMAGE_SIZE}) with n labels, not {images.shape}")
    if len(labels) == 0:
        raise UserError("there are no test digits to measure on")
    return to_model_input(images[:MAX_CURVE_DIGITS]), labels[:MAX_CURVE_DIGITS].astype(np.int64)


def shifted(images: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Every image moved by whole pixels (down and right positive), black where nothing came in."""
    images = np.asarray(images)
    out = np.zeros_like(images)
    height, width = images.shape[-2:]
    if abs(rows) >= height or abs(columns) >= width:
        return out
    target_rows, source_rows = _span(rows, height)
    target_columns, source_columns = _span(columns, width)
    out[..., target_rows, target_columns] = images[..., source_rows, source_columns]
    return out


def turned(images: np.ndarray, degrees: float) -> np.ndarray:
    """Every image turned about its centre by `degrees`, anticlockwise as seen."""
    angle = np.deg2rad(degrees)
    cos, sin = np.cos(angle), np.sin(angle)
    # Output (row, column) to input: rows grow downwards, so anticlockwise on screen reads so.
    return _resampled(images, np.array([[cos, sin], [-sin, cos]]))


def scaled(images: np.ndarray, factor: float) -> np.ndarray:
    """Every image made `factor` times as large about its centre."""
    if not factor > 0:
        raise UserError(f"a scale must be above 0, not {factor}")
    return _resampled(images, np.eye(2) / factor)


def thickened(images: np.ndarray, steps: int) -> np.ndarray:
    """Strokes grown by `steps` pixels on each side (grey dilation), or thinned for negative steps."""
    out = to_model_input(np.asarray(images))
    pick = np.maximum if steps > 0 else np.minimum
    for _ in range(abs(steps)):
        out = pick.reduce([shifted(out, dy, dx) for dy, dx in CROSS])
    return out


def transformed(images: np.ndarray, kind: str, setting: float) -> np.ndarray:
    """The batch changed by one setting of `kind`; a shift moves the digits in turn left, right,
    up and down (the first digit left, the second right, ...), so each direction has a quarter."""
    if kind == "shift":
        images = np.asarray(images)
        out = np.empty_like(images)
        for turn, (rows, columns) in enumerate(DIRECTIONS.values()):
            out[turn :: len(DIRECTIONS)] = shifted(
                images[turn :: len(DIRECTIONS)], rows * int(setting), columns * int(setting)
            )
        return out
    if kind == "turn":
        return turned(images, setting)
    if kind == "scale":
        return scaled(images, setting)
    if kind == "thickness":
        return thickened(images, int(setting))
    raise UserError(f"unknown change {kind!r}: use one of {', '.join(KINDS)}")


def robustness_curves(
    model,
    images: np.ndarray,
    labels: np.ndarray,
    kinds: tuple[str, ...] = KINDS,
    on_progress: Callable[[float], None] | None = None,
) -> list[Curve]:
    """One curve per kind of change, on up to `MAX_CURVE_DIGITS` test digits."""
    from mnist_app.learning.evaluation import predict_probabilities

    images, labels = checked_sample(images, labels)
    settings = {"shift": SHIFTS, "turn": TURNS, "scale": SCALES, "thickness": THICKNESSES}
    work = (
        [(kind, s) for kind in kinds for s in settings[kind]] if all(k in settings for k in kinds) else None
    )
    if work is None:
        raise UserError(f"unknown change among {kinds!r}: use {', '.join(KINDS)}")
    accuracy: dict[str, list[float]] = {kind: [] for kind in kinds}
    for done, (kind, setting) in enumerate(work, start=1):
        answers = predict_probabilities(model, transformed(images, kind, setting)).argmax(axis=1)
        accuracy[kind].append(float((answers == labels).mean()))
        if on_progress is not None:
            on_progress(done / len(work))
    return [
        Curve(
            kind,
            KIND_TITLES[kind],
            SETTING_TITLES[kind],
            tuple(settings[kind]),
            tuple(accuracy[kind]),
            len(labels),
        )
        for kind in kinds
    ]


def _span(offset: int, size: int) -> tuple[slice, slice]:
    """The target and source slices of a shift by `offset` along an axis of `size`."""
    if offset >= 0:
        return slice(offset, size), slice(0, size - offset)
    return slice(0, size + offset), slice(-offset, size)


def _resampled(images: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Each output pixel read from the input at `matrix @ (pixel - centre) + centre`, bilinearly,
    black beyond the edge."""
    images = to_model_input(np.asarray(images))
    height, width = images.shape[-2:]
    grid = np.stack(np.indices((height, width)), axis=-1).reshape(-1, 2) - _CENTRE
    source = grid @ np.asarray(matrix, np.float64).T + _CENTRE
    low = np.floor(source).astype(np.int64)
    fraction = (source - low).astype(np.float32)
    padded = np.pad(images, [(0, 0)] * (images.ndim - 2) + [(1, 1), (1, 1)])
    rows = np.clip(low[:, 0] + 1, 0, height + 1)
    columns = np.clip(low[:, 1] + 1, 0, width + 1)
    inside = (low[:, 0] >= -1) & (low[:, 0] < height) & (low[:, 1] >= -1) & (low[:, 1] < width)
    rows_next, columns_next = np.clip(rows + 1, 0, height + 1), np.clip(columns + 1, 0, width + 1)
    fy, fx = fraction[:, 0], fraction[:, 1]
    value = (
        padded[..., rows, columns] * (1 - fy) * (1 - fx)
        + padded[..., rows, columns_next] * (1 - fy) * fx
        + padded[..., rows_next, columns] * fy * (1 - fx)
        + padded[..., rows_next, columns_next] * fy * fx
    )
    return (value * inside).reshape(images.shape).astype(np.float32)
