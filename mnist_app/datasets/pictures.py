"""Arrays as pictures a learner can read: enlarged pixels, tiles of units, colour maps, overlays.

Pure NumPy (and matplotlib's colour maps): the pages hand the results to `st.image`, which
shows a ready array far faster than drawing a matplotlib figure on every canvas stroke.
"""

from __future__ import annotations

import math

import numpy as np

DIVERGING = "bwr"  # blue negative, white zero, red positive
HEAT = "inferno"
DIGIT_BRIGHTNESS = 0.55


def enlarge(image: np.ndarray, zoom: int) -> np.ndarray:
    """Blow pixels up into blocks, so the browser shows them sharp rather than blurred."""
    image = np.asarray(image)
    return np.repeat(np.repeat(image, zoom, axis=0), zoom, axis=1)


def to_grey(values: np.ndarray) -> np.ndarray:
    """Values stretched to 0..255 (uint8); a constant map is black, NaN (padding) too."""
    values = np.asarray(values, dtype=np.float32)
    if values.size == 0:
        return np.zeros(values.shape, np.uint8)
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if not high - low > 1e-12:
        return np.zeros(values.shape, np.uint8)
    return np.nan_to_num(np.round((values - low) / (high - low) * 255)).astype(np.uint8)


def colorize(values: np.ndarray, cmap: str, low: float, high: float) -> np.ndarray:
    """Values painted with a matplotlib colour map between `low` and `high` (RGB uint8)."""
    from matplotlib import colormaps

    span = max(high - low, 1e-12)
    scaled = np.clip((np.asarray(values, dtype=np.float32) - low) / span, 0.0, 1.0)
    return (colormaps[cmap](scaled)[..., :3] * 255).astype(np.uint8)


def symmetric_limit(values: np.ndarray) -> float:
    """The largest magnitude: a diverging map centred on zero spans -limit..limit."""
    return max(float(np.abs(values).max(initial=0.0)), 1e-12)


def diverging(values: np.ndarray, limit: float | None = None) -> np.ndarray:
    """Weights as colour: blue negative, white zero, red positive, on a scale centred on zero."""
    limit = symmetric_limit(values) if limit is None else limit
    return colorize(values, DIVERGING, -limit, limit)


def overlay(
    digit: np.ndarray, heat: np.ndarray, low: float, high: float, cmap: str = HEAT, strength: float = 0.7
) -> np.ndarray:
    """A map laid over the grey digit, as opaque as it is strong, so the digit shows through.

    Strength is the size of a value against the scale's larger end: for a signed map on a
    diverging scale both strong negatives and strong positives show, zero leaves the digit.
    """
    grey = np.asarray(digit, dtype=np.float32)
    grey = grey / 255.0 if grey.max(initial=0.0) > 1.0 else grey
    # The digit dimmed, so that white ink is not mistaken for a diverging map's white zero.
    base = np.repeat(grey[..., None], 3, axis=-1) * 255.0 * DIGIT_BRIGHTNESS
    heat = np.asarray(heat, dtype=np.float32)
    colour = colorize(heat, cmap, low, high).astype(np.float32)
    reach = max(abs(low), abs(high), 1e-12)
    weight = strength * np.clip(
        np.abs(heat) / reach if low < 0 else (heat - low) / max(high - low, 1e-12), 0, 1
    )
    return np.round(base * (1 - weight[..., None]) + colour * weight[..., None]).astype(np.uint8)


def attribution_scale(attribution: np.ndarray) -> tuple[str, float, float]:
    """Colour map and limits for an attribution: diverging around zero if any value is negative."""
    if float(np.min(attribution)) < 0:
        limit = symmetric_limit(attribution)
        return DIVERGING, -limit, limit
    return HEAT, 0.0, max(float(np.max(attribution)), 1e-12)


def colour_scale(cmap: str, width: int = 256, height: int = 14) -> np.ndarray:
    """A horizontal bar of the colour map, low on the left: the key beside a heat map."""
    ramp = np.tile(np.linspace(0.0, 1.0, width, dtype=np.float32), (height, 1))
    return colorize(ramp, cmap, 0.0, 1.0)


def square_tile(vector: np.ndarray) -> np.ndarray:
    """A layer's units laid out as a square (784 -> 28x28, 100 -> 10x10); the rest padded with NaN."""
    vector = np.asarray(vector, dtype=np.float32).ravel()
    side = math.ceil(math.sqrt(len(vector)))
    tile = np.full(side * side, np.nan, np.float32)
    tile[: len(vector)] = vector
    return tile.reshape(side, side)


def montage(maps: np.ndarray, columns: int | None = None, gap: int = 1) -> np.ndarray:
    """Every channel of a (height, width, channels) activation as one grid of small grey images.

    Each map is stretched on its own, so a weak map still shows its shape; the gaps are a
    mid grey so the maps' edges stay visible.
    """
    maps = np.asarray(maps, dtype=np.float32)
    height, width, channels = maps.shape
    columns = columns or math.ceil(math.sqrt(channels))
    rows = math.ceil(channels / columns)
    grid = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), 128, np.uint8)
    for channel in range(channels):
        row, column = divmod(channel, columns)
        top, left = row * (height + gap), column * (width + gap)
        grid[top : top + height, left : left + width] = to_grey(maps[..., channel])
    return grid


def png_data_url(image: np.ndarray) -> str:
    """A small picture as a `data:` URL, for an image column in a table."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
