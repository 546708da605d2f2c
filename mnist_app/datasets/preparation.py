"""Turn a drawing, photo or scan of a digit into the 28x28 image a model trained on MNIST expects.

MNIST's digits were scaled to fit a 20x20 box, keeping their aspect ratio, and centred by
their centre of mass in a 28x28 field, light ink on dark. A drawing resized naively to 28x28
is read wrong about half the time; prepared the same way as MNIST it is read right.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.errors import UserError
from mnist_app.files import read_regular

DIGIT_BOX = 20
INK_THRESHOLD = 0.25
MIN_CONTRAST = 0.25
MIN_DIGIT_FRACTION = 0.08
MAX_SIDE = 512
# Pixels decoded at full size (JPEG counts after its reduced-size decoding). 16 million takes a
# 4K or 5K screenshot, an A4 page scanned at 300 dpi and a 12-megapixel photo saved as PNG,
# and bounds one decode near 130 MB (an RGBA image and Pillow's premultiplied copy).
MAX_PIXELS = 16_000_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The formats the Draw page offers, recognised by content: Pillow opens some forty more, and
# its EPS plugin runs Ghostscript.
ACCEPTED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
ACCEPTED_NAMES = "PNG, JPEG, BMP, GIF or WebP"
# Every decode runs on these two threads: a class uploading together queues instead of
# allocating MAX_PIXELS images side by side, and the memory a decode frees is reused by the
# next instead of staying in the malloc arena of each session's thread (this halves the peak
# of twenty decodes at once, against a semaphore).
DECODE_THREADS = 2
_starting = threading.Lock()


def _decoder() -> ThreadPoolExecutor:
    """The decoding threads, started by the first decode, not by importing this module; once,
    even when several sessions decode first at the same moment (`functools.cache` alone may
    call its function twice then, and two pools would decode four at a time)."""
    with _starting:
        return _decoding_threads()


@functools.cache
def _decoding_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(DECODE_THREADS, thread_name_prefix="image-decode")


class ImageError(UserError):
    """An image file that cannot be read as a picture; the message is meant for the user."""


@dataclass(frozen=True)
class PreparedDigit:
    """The model's 28x28 input in [0, 1], or `None` and the reason there is no digit to read."""

    image: np.ndarray | None
    reason: str = ""
    inverted: bool = False


def load_image_file(path: Path) -> np.ndarray:
    """`decode_image` of a file the command line names: regular files only, size checked first."""
    data = read_regular(path, MAX_UPLOAD_BYTES, ImageError)
    try:
        return decode_image(data)
    except ImageError as error:
        raise ImageError(f"{path}: {error}") from None


def decode_image(data: bytes) -> np.ndarray:
    """Upload bytes as a grey image in [0, 1], at most MAX_SIDE a side, upright as EXIF says.

    Every failure is an ImageError, and the cost is bounded: file size, decoded pixels and the
    number of decodes running at once are all capped.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(f"the file is {len(data):,} bytes; images up to {MAX_UPLOAD_BYTES:,} bytes are read")
    return _decoder().submit(_decode_bytes, data).result()


def _decode_bytes(data: bytes) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            return _decode(image)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError("the image has too many pixels to be a digit") from None
    except UnidentifiedImageError:
        raise ImageError(
            f"not a readable image: it is not a {ACCEPTED_NAMES} picture, or it is damaged"
        ) from None
    except Exception:
        # Pillow's decoders fail on hostile bytes with OSError, SyntaxError, ValueError,
        # struct.error, IndexError, EOFError, ZeroDivisionError and more: all mean "damaged".
        raise ImageError("not a readable image: the picture is damaged or cut short") from None


def _decode(image: Image.Image) -> np.ndarray:
    """The pixel count is checked on the header, before a pixel is decoded."""
    width, height = image.size
    image.draft("L", (MAX_SIDE, MAX_SIDE))
    if image.width * image.height > MAX_PIXELS:
        raise ImageError(f"the image is {width}x{height} pixels: too many pixels to be a digit")
    image.load()
    with contextlib.suppress(Exception):  # A damaged EXIF block costs the orientation, not the photo.
        ImageOps.exif_transpose(image, in_place=True)
    return _flatten_alpha(_shrink(image))


def _shrink(image: Image.Image) -> Image.Image:
    """At most MAX_SIDE a side, in L, LA, RGB or RGBA, reduced before any costly conversion.

    Palettes, bilevel and 16-bit images are converted first, as they cannot be averaged;
    Pillow resizes alpha images premultiplied, so transparent pixels' colour does not bleed.
    """
    if image.mode.startswith("I"):
        # 16-bit grey: Pillow's convert("L") clips at 255 instead of scaling.
        image = Image.fromarray((np.clip(np.asarray(image), 0, 65535) >> 8).astype(np.uint8))
    elif "transparency" in image.info or image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("LA" if _has_alpha(image) else "L")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _flatten_alpha(image: Image.Image) -> np.ndarray:
    """Grey levels; transparent pixels take the shade that contrasts with the opaque ink.

    A white digit on a transparent background would vanish on white paper, and a black one
    on black: the background is black under light ink and white under dark ink.
    """
    if not _has_alpha(image):
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    grey_alpha = np.asarray(image.convert("LA"), dtype=np.float32) / 255.0
    grey, alpha = grey_alpha[..., 0], grey_alpha[..., 1]
    opacity = float(alpha.sum())
    ink = float((grey * alpha).sum()) / opacity if opacity > 0 else 0.0
    background = 0.0 if ink > 0.5 else 1.0
    return grey * alpha + background * (1.0 - alpha)


PNG_DATA_URL = "data:image/png;base64,"
# A 280x280 canvas of strokes encodes to well under 100 KB of PNG; anything far larger did
# not come from the canvas and is refused before a byte is decoded.
MAX_DRAWING_CHARS = 2 * 1024 * 1024


def canvas_png_to_rgba(data_url: str, size: int) -> np.ndarray:
    """The canvas's drawing as it arrives from the browser (a PNG data URL) as an RGBA array.

    What the browser sends is not trusted: a session's websocket can carry anything (up to
    Streamlit's `server.maxMessageSize`, which bounds the message itself), so the text's
    length, the format and the picture's size are all checked before any pixel is decoded.
    """
    if not isinstance(data_url, str) or not data_url.startswith(PNG_DATA_URL):
        raise ImageError("the drawing did not arrive as a PNG picture")
    if len(data_url) > MAX_DRAWING_CHARS:
        raise ImageError(f"the drawing is {len(data_url):,} characters long; a canvas sends far fewer")
    try:
        data = base64.b64decode(data_url[len(PNG_DATA_URL) :], validate=True)
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.size != (size, size):
                raise ImageError(
                    f"the drawing is {image.width}x{image.height} pixels, not the canvas's {size}x{size}"
                )
            return np.asarray(image.convert("RGBA"))
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError("the drawing has far too many pixels to come from the canvas") from None
    except (binascii.Error, UnidentifiedImageError):
        raise ImageError("the drawing did not arrive as a PNG picture") from None
    except Exception:  # Pillow's many ways of failing on damaged bytes (see _decode_bytes).
        raise ImageError("the drawing arrived damaged") from None


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
