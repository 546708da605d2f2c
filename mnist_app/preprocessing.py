"""Turn a drawing, photo or scan of a digit into the 28x28 image a model trained on MNIST expects.

MNIST's digits were scaled to fit a 20x20 box, keeping their aspect ratio, and centred by
their centre of mass in a 28x28 field, light ink on dark. A drawing resized naively to 28x28
is read wrong about half the time; prepared the same way as MNIST it is read right.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from mnist_app.data import IMAGE_SIZE
from mnist_app.errors import UserError

DIGIT_BOX = 20
INK_THRESHOLD = 0.25
MIN_CONTRAST = 0.25
MIN_DIGIT_FRACTION = 0.08
MAX_SIDE = 512
MAX_PIXELS = 50_000_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class ImageError(UserError):
    """An image file that cannot be read as a picture; the message is meant for the user."""


@dataclass(frozen=True)
class PreparedDigit:
    """The model's 28x28 input in [0, 1], or `None` and the reason there is no digit to read."""

    image: np.ndarray | None
    reason: str = ""
    inverted: bool = False


def decode_image(data: bytes) -> np.ndarray:
    """Decode PNG/JPEG/... bytes to a grey image in [0, 1], refusing huge or non-image files."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(f"the file is {len(data):,} bytes; images up to {MAX_UPLOAD_BYTES:,} bytes are read")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"the image is {width}x{height} pixels: too many pixels to be a digit")
            image.draft("L", (MAX_SIDE, MAX_SIDE))
            image = _flatten_alpha(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            return np.asarray(image, dtype=np.float32) / 255.0
    except Image.DecompressionBombError:
        raise ImageError("the image has too many pixels to be a digit") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ImageError(f"not a readable image ({error.__class__.__name__})") from None


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Grey levels; transparent pixels become the background they would be shown on (white)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("L")


def canvas_to_grey(rgba: np.ndarray) -> np.ndarray:
    """The canvas's RGBA array (light strokes over a transparent or dark background) as grey."""
    rgba = np.asarray(rgba, dtype=np.float32)
    if rgba.ndim == 2:
        return rgba / 255.0
    grey = rgba[..., :3].mean(axis=-1) / 255.0
    if rgba.shape[-1] == 4:
        grey = grey * (rgba[..., 3] / 255.0)
    return grey


def prepare_digit(grey: np.ndarray) -> PreparedDigit:
    """MNIST's own preparation of a grey image in [0, 1]: crop, fit 20x20, centre by mass."""
    grey = np.asarray(grey, dtype=np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    inverted = background > 0.5
    if inverted:
        grey, background = 1.0 - grey, 1.0 - background
    contrast = float(grey.max()) - background
    if contrast < MIN_CONTRAST:
        return PreparedDigit(None, "draw a digit: there is no ink, or it is too faint", inverted)
    ink = np.clip((grey - background) / contrast, 0.0, 1.0)
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    if max(height, width) < MIN_DIGIT_FRACTION * min(grey.shape):
        return PreparedDigit(None, "draw a digit: the ink is too small to be one", inverted)
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    digit = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.LANCZOS))
    return PreparedDigit(_centre_by_mass(np.clip(digit, 0.0, 1.0)), inverted=inverted)


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Paste the digit into a 28x28 field so that its centre of mass lies at the centre."""
    ys, xs = np.indices(digit.shape)
    mass = digit.sum()
    centre_y, centre_x = (ys * digit).sum() / mass, (xs * digit).sum() / mass
    middle = (IMAGE_SIZE - 1) / 2
    top = round(middle - centre_y)
    left = round(middle - centre_x)
    top = min(max(top, 0), IMAGE_SIZE - digit.shape[0])
    left = min(max(left, 0), IMAGE_SIZE - digit.shape[1])
    field = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    field[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return field
