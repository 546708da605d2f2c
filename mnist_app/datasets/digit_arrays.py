"""What the dataset readers (IDX, .npz) share: their error, the caps, and values read as uint8.

A compressed file can declare far more data than it stores, and store far less than it
inflates to. So the readers check every header (shapes, types, counts, the caps, labels'
count against images') before any data is inflated, read the small labels before the
images, and read values chunk by chunk straight into the uint8 arrays the app keeps:
memory follows the digits a file really holds, never its stored type or its claims.
"""

from __future__ import annotations

import math
import re
from typing import BinaryIO

import numpy as np

from mnist_app.errors import UserError
from mnist_app.files import READ_CHUNK

IMAGE_SIZE = 28
NUM_CLASSES = 10

# Caps checked against headers and file sizes before any data is read, so a lying header, a
# sparse file or a compression bomb fails at once instead of filling memory.
# 300,000 images a split is five times MNIST's 60,000 and more than EMNIST Digits' 240,000,
# so every ten-class MNIST-shaped set fits; as uint8 it is 235 MB.
MAX_SPLIT_IMAGES = 300_000
# One array's data as stored: MNIST's training split as float32 (188 MB) fits, as float64 it
# does not (a hostile 1 MB file of float64 zeros would otherwise take a gigabyte to be refused).
MAX_ARRAY_BYTES = 256 * 2**20
# One file on disk (.npz, or one IDX file, gzipped or raw): far above any array cap above.
MAX_FILE_BYTES = 2**30

# How Python holds a file name's bytes that are not UTF-8 (0x80..0xff as U+DC80..U+DCFF).
_SURROGATE = re.compile("[\ud800-\udfff]")


def as_text(value: object) -> str:
    """`value` as text any page or terminal can carry: a file name's byte that is not UTF-8 as `\\xff`.

    Neither Streamlit nor UTF-8 output can carry the lone surrogates Python keeps such a byte
    as. Unlike `file_names.escaped`, backslashes stay single: this is for reading, not typing back.
    """
    return _SURROGATE.sub(_byte_text, str(value))


def _byte_text(match: re.Match) -> str:
    code = ord(match[0])
    return f"\\x{code - 0xDC00:02x}" if code >= 0xDC80 else f"\\u{code:04x}"


class DatasetError(UserError):
    """A dataset that cannot be found or read; the message is meant for the user.

    File names in it are made text (`as_text`): a name that is not UTF-8 must not turn a
    clear message into a crash where it is printed or shown.
    """

    def __init__(self, message: object = "") -> None:
        super().__init__(as_text(message))


def why(error: BaseException) -> str:
    """A library's reason on one short line: some quote whole headers or span lines."""
    text = str(error).split("\n", 1)[0].strip() or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def check_split(images: tuple[str, int], labels: tuple[str, int]) -> None:
    """One split's images and labels, each as (where it is, count declared), agree in number.

    Checked from the headers, before either is read: a bomb declaring a huge split beside a
    few labels is refused without inflating it.
    """
    (image_source, image_count), (label_source, label_count) = images, labels
    if image_count != label_count:
        raise DatasetError(
            f"{image_source} holds {image_count:,} images but {label_source} holds {label_count:,} labels"
        )


def read_values(
    stream: BinaryIO,
    shape: tuple[int, ...],
    dtype: np.dtype,
    name: str,
    *,
    values: str | None = None,
    labels: bool = False,
    fortran_order: bool = False,
) -> np.ndarray:
    """The `shape` values of `dtype` that `stream` holds (`name` says whose), as read-only uint8.

    Read a chunk at a time and each chunk checked as it comes, when `values` names them
    ("x.npz: train pixels"): pixels finite and in 0..255, labels whole numbers in 0..9. A
    stream holding fewer or more bytes than declared is refused.
    """
    count, itemsize = math.prod(shape), dtype.itemsize
    result = np.empty(count, np.uint8)
    per_chunk = max(1, min(count, READ_CHUNK // max(1, itemsize)))
    buffer = bytearray(per_chunk * itemsize)
    high = NUM_CLASSES - 1 if labels else 255
    done = 0
    while done < count:
        n = min(per_chunk, count - done)
        got = _fill(stream, memoryview(buffer)[: n * itemsize])
        if got < n * itemsize:
            raise DatasetError(
                f"{name} is truncated: {done * itemsize + got:,} of {count * itemsize:,} bytes of data"
            )
        chunk = np.frombuffer(buffer, dtype, count=n)
        if values is not None and not all_within(chunk, high, whole=labels):
            kind = "whole numbers" if labels else "finite numbers"
            raise DatasetError(f"{values} must be {kind} in 0..{high}")
        result[done : done + n] = chunk
        done += n
    if stream.read(1):
        raise DatasetError(
            f"{name} is damaged: its header declares {count * itemsize:,} bytes of data, but it holds more"
        )
    result.flags.writeable = False
    return result.reshape(shape, order="F" if fortran_order else "C")


def _fill(stream: BinaryIO, view: memoryview) -> int:
    """Read into all of `view` unless the stream ends first; the count of bytes read."""
    got = 0
    while got < len(view):
        chunk = stream.read(len(view) - got)
        if not chunk:
            break
        view[got : got + len(chunk)] = chunk
        got += len(chunk)
    return got


def all_within(array: np.ndarray, high: int, *, whole: bool = False) -> bool:
    """Every value finite and in 0..high (and a whole number if `whole`); true when empty."""
    if array.size == 0:
        return True
    if array.dtype.kind in "ui" and np.iinfo(array.dtype).min >= 0 and np.iinfo(array.dtype).max <= high:
        return True
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            return False
        if whole and not (np.floor(array) == array).all():
            return False
    return bool(array.min() >= 0 and array.max() <= high)
