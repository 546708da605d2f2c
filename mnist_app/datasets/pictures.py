"""Arrays as pictures a learner can read: enlarged pixels, feature maps, units as bars, colour maps, overlays.

Pure NumPy (and matplotlib's colour maps): the pages hand the results to `st.image`, which
shows a ready array far faster than drawing a matplotlib figure on every canvas stroke.
"""

from __future__ import annotations

import math

import numpy as np

DIVERGING = "bwr"  # blue negative, white zero, red positive
HEAT = "inferno"
DIGIT_BRIGHTNESS = 0.55
# A heat map's colours reach full strength at this percentile of its pixels' sizes (those not
# zero), so that a few extreme pixels do not leave the rest of the map too faint to see.
FITTED_PERCENTILE = 95
# A bar chart of a layer's units: bars in Streamlit's first chart colour, the marked ones in its red.
BAR = (0, 104, 201)
MARKED = (255, 75, 75)
AXIS = (160, 160, 160)
BACKGROUND = (255, 255, 255)
FRAME = (140, 140, 140)


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


def fitted_limit(values: np.ndarray, percentile: float = FITTED_PERCENTILE) -> float:
    """Where a map's colours reach full strength: a high percentile of its values' sizes, among
    those not zero (a pixel off the ink, or far from what a layer looked at, counts for nothing)."""
    sizes = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    sizes = sizes[sizes > 0]
    return max(float(np.percentile(sizes, percentile)), 1e-12) if sizes.size else 1e-12


def attribution_scale(attribution: np.ndarray) -> tuple[str, float, float]:
    """Colour map and limits for an attribution, fitted to it (see `fitted_limit`): diverging
    around zero if any value is negative."""
    limit = fitted_limit(attribution)
    if float(np.min(attribution)) < 0:
        return DIVERGING, -limit, limit
    return HEAT, 0.0, limit


def unit_bars(values: np.ndarray, marked=(), height: int = 72, width: int = 800) -> np.ndarray:
    """A dense layer's units as a bar chart (RGB): one bar per unit, in the layer's order, as
    tall as its activation (below the grey line if negative); the `marked` units in red, with a
    tick above. Neighbouring bars are not neighbouring pixels, so this must not look like an image.
    """
    values = np.nan_to_num(np.asarray(values, dtype=np.float64).ravel())
    count = len(values)
    step = max(1, width // max(count, 1))
    bar = step - 1 if step >= 3 else step
    tick = 8
    top, bottom = max(float(values.max(initial=0.0)), 0.0), min(float(values.min(initial=0.0)), 0.0)
    span = max(top - bottom, 1e-12)
    zero = tick + round(top / span * (height - 1))
    picture = np.empty((tick + height, max(count * step, 1), 3), np.uint8)
    picture[:] = BACKGROUND
    marked = set(int(unit) for unit in marked)
    # Marked units drawn last, and 3 pixels wide where bars are thinner, so they show.
    for unit in sorted(range(count), key=lambda unit: unit in marked):
        end = tick + round((top - values[unit]) / span * (height - 1))
        rows = slice(min(end, zero), max(end, zero) + 1)
        left, right = unit * step, unit * step + bar
        if unit in marked and bar < 3:
            left, right = max(left - 1, 0), left + 2
        picture[rows, left:right] = MARKED if unit in marked else BAR
    picture[zero, :] = AXIS
    for unit in marked:
        middle = unit * step + bar // 2
        for row in range(tick - 2):
            reach = (tick - 2 - row) // 2
            picture[row, max(middle - reach, 0) : middle + reach + 1] = MARKED
    return picture


def framed(picture: np.ndarray, border: int = 2, colour=FRAME, margin: int = 0) -> np.ndarray:
    """A picture (RGB) in a thin grey frame, and `margin` pixels of the page's white around it,
    so that tiles whose edges are white (a diverging map's zero) stand apart from each other."""
    picture = np.asarray(picture, dtype=np.uint8)
    height, width = picture.shape[:2]
    out = np.empty((height + 2 * border, width + 2 * border, 3), np.uint8)
    out[:] = colour
    out[border : border + height, border : border + width] = picture
    return np.pad(out, ((margin, margin), (margin, margin), (0, 0)), constant_values=255) if margin else out


def stacked(pictures: list[np.ndarray], gap: int = 6) -> np.ndarray:
    """RGB pictures one above the other, each centred, on the page's white."""
    width = max(picture.shape[1] for picture in pictures)
    rows = []
    for picture in pictures:
        left = (width - picture.shape[1]) // 2
        rows.append(
            np.pad(picture, ((0, gap), (left, width - picture.shape[1] - left), (0, 0)), constant_values=255)
        )
    return np.concatenate(rows)[: -gap or None]


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
