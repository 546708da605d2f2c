"""MNIST's IDX files of unsigned bytes, gzipped or raw, read with their headers checked first.

Gzip is told by content, not by name: IDX starts with two zero bytes, gzip never does. A
header (dimensions, count, and for a raw file its size) is checked before the data, and no
more is read or inflated than it declares: a lying header, a sparse file or a gzip bomb
fails at once. A split's two headers are read before either's data, and its labels before
its images, so a bomb beside a few labels is refused without inflating it.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mnist_app.datasets.digit_arrays import (
    IMAGE_SIZE,
    MAX_FILE_BYTES,
    MAX_SPLIT_IMAGES,
    DatasetError,
    check_split,
    read_values,
    why,
)
from mnist_app.files import open_regular

IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: Path, *, ndim: int | None = None) -> np.ndarray:
    """Read one IDX file of unsigned bytes (MNIST's images or labels), gzipped or raw.

    `ndim` (3 for images, 1 for labels) is what the caller wants.
    """
    with _opened(path, ndim) as (stream, shape):
        return read_values(stream, shape, np.dtype(np.uint8), str(path))


def read_idx_split(images: Path, labels: Path, source: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """One split's images and labels, both headers checked before its labels, then its
    images, are read; `source` and `split` name the values in a message."""
    with _opened(labels, 1) as (label_stream, label_shape), _opened(images, 3) as (image_stream, image_shape):
        check_split((str(images), image_shape[0]), (str(labels), label_shape[0]))
        where = f"{source}: {split}"
        uint8 = np.dtype(np.uint8)
        label_values = read_values(
            label_stream, label_shape, uint8, str(labels), values=f"{where} labels", labels=True
        )
        image_values = read_values(image_stream, image_shape, uint8, str(images), values=f"{where} pixels")
    return image_values, label_values


@contextlib.contextmanager
def _opened(path: Path, ndim: int | None) -> Iterator[tuple[BinaryIO, tuple[int, ...]]]:
    """The file's data as a stream, just past its header, and the shape the header declares.

    What the gzip and file layers raise while the caller reads becomes a DatasetError too.
    """
    with open_regular(path, MAX_FILE_BYTES, DatasetError) as file:
        try:
            if file.peek(2)[:2] == GZIP_MAGIC:
                with gzip.GzipFile(fileobj=file) as stream:
                    yield stream, _read_header(stream, path, None, ndim)
            else:
                yield file, _read_header(file, path, os.fstat(file.fileno()).st_size, ndim)
        except (OSError, EOFError, zlib.error) as error:
            raise DatasetError(f"cannot read {path} ({why(error)})") from None


def _read_header(stream: BinaryIO, path: Path, size: int | None, ndim: int | None) -> tuple[int, ...]:
    """The shape an IDX header declares, checked; `size` is the file's size when it is not compressed."""
    head = stream.read(4)
    if len(head) < 4:
        raise DatasetError(f"{path} is not an IDX file: too short")
    (magic,) = struct.unpack(">I", head)
    if magic not in (IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC):
        raise DatasetError(f"{path} is not an IDX file of bytes (magic number {magic:#010x})")
    dims = magic & 0xFF
    if ndim is not None and dims != ndim:
        wanted = "images (3-D)" if ndim == 3 else "labels (1-D)"
        raise DatasetError(f"{path} holds {dims}-D data (magic number {magic:#010x}), expected {wanted}")
    raw_shape = stream.read(4 * dims)
    if len(raw_shape) < 4 * dims:
        raise DatasetError(f"{path} is truncated: its header is incomplete")
    shape = struct.unpack(f">{dims}I", raw_shape)
    if dims == 3 and shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DatasetError(f"{path}: its header describes images of shape {shape}, expected (n, 28, 28)")
    if shape[0] > MAX_SPLIT_IMAGES:
        what = "images" if dims == 3 else "labels"
        raise DatasetError(
            f"{path}: its header claims {shape[0]:,} {what}; at most {MAX_SPLIT_IMAGES:,} are read"
        )
    expected = 4 + 4 * dims + math.prod(shape)
    if size is not None and size != expected:
        raise DatasetError(f"{path} is truncated or damaged: {size:,} bytes, its header says {expected:,}")
    return shape
