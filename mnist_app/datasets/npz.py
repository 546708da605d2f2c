"""An .npz in Keras' layout (x_train, y_train, x_test, y_test), read by the app's own reader.

Not np.load: only plain numbers in MNIST's shapes are accepted, and every member's .npy
header (type, shape, size against the caps and against its labels' count) is checked
before any member's data is inflated; then the labels are read, then the images, each
straight into uint8. Whatever zipfile, zlib or numpy raise on a damaged archive becomes a
DatasetError.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from mnist_app.datasets.digit_arrays import (
    IMAGE_SIZE,
    MAX_ARRAY_BYTES,
    MAX_FILE_BYTES,
    MAX_SPLIT_IMAGES,
    DatasetError,
    check_split,
    read_values,
    why,
)
from mnist_app.files import open_regular

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
# numpy's own limit on an .npy header, which it parses as a Python literal.
MAX_NPY_HEADER_BYTES = 10_000
# A zip's central directory: Keras' mnist.npz needs about 400 bytes for its four entries;
# zipfile parses every entry into an object, so a huge directory is a memory bomb.
MAX_ZIP_DIRECTORY_BYTES = 64 * 2**10

# What zipfile, zlib, struct and numpy's header parser raise on damaged bytes
# (RuntimeError: an encrypted member; NotImplementedError: an unknown compression method).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    OverflowError,
    RuntimeError,
    NotImplementedError,
)

# What numpy.savez and savez_compressed write. zipfile inflates bzip2 and LZMA a whole read
# of compressed bytes at a time, unbounded: the first bytes of a member's header could be gigabytes.
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ZIP_END = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")

_KIND_NAMES = {
    "U": "text",
    "S": "bytes",
    "O": "Python objects (pickles)",
    "M": "dates",
    "m": "time spans",
    "c": "complex numbers",
    "V": "records or raw bytes",
}


class _Member(NamedTuple):
    """A member opened just past its .npy header, and what the header declares."""

    stream: BinaryIO
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool


def read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_train, y_train, x_test and y_test of the .npz at `path`, as uint8."""
    with open_regular(path, MAX_FILE_BYTES, DatasetError) as file:
        try:
            _check_zip_directory(file, path)
            with zipfile.ZipFile(file) as archive, contextlib.ExitStack() as open_members:
                members = {key: _open_member(archive, key, path, open_members) for key in NPZ_KEYS}
                for split in ("train", "test"):
                    images, labels = members[f"x_{split}"], members[f"y_{split}"]
                    check_split((f"{path}: x_{split}", images.shape[0]), (f"y_{split}", labels.shape[0]))
                arrays = {
                    key: _read_member(path, key, members[key])
                    for key in ("y_train", "y_test", "x_train", "x_test")
                }
        except DatasetError:
            raise
        except _ARCHIVE_ERRORS as error:
            raise DatasetError(f"{path} is not a readable .npz file ({why(error)})") from None
    return arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]


def _read_member(path: Path, key: str, member: _Member) -> np.ndarray:
    """A member's values as uint8, checked as its split's labels or pixels."""
    labels = key.startswith("y_")
    values = f"{path}: {key[2:]} {'labels' if labels else 'pixels'}"
    try:
        stream, shape, dtype, fortran_order = member
        return read_values(
            stream, shape, dtype, f"{path}: {key}", values=values, labels=labels, fortran_order=fortran_order
        )
    except DatasetError:
        raise
    except _ARCHIVE_ERRORS as error:
        raise DatasetError(f"{path}: {key} cannot be read ({why(error)})") from None


def _check_zip_directory(file: BinaryIO, path: Path) -> None:
    """Refuse a zip whose central directory is too big before zipfile parses every entry.

    Every end record zipfile might choose is checked: each signature in the last 64 KiB, and
    the Zip64 record just before its locator, which is where zipfile looks for it.
    """
    size = file.seek(0, os.SEEK_END)
    start = max(0, size - _ZIP_END.size - 0xFFFF)
    file.seek(start)
    tail = file.read()
    largest = 0
    at = tail.find(b"PK\x05\x06")
    while 0 <= at <= len(tail) - _ZIP_END.size:
        largest = max(largest, _ZIP_END.unpack_from(tail, at)[5])
        record = start + at - _ZIP64_LOCATOR_SIZE - _ZIP64_END.size
        if record >= 0:
            file.seek(record)
            data = file.read(_ZIP64_END.size)
            if len(data) == _ZIP64_END.size and data[:4] == b"PK\x06\x06":
                largest = max(largest, _ZIP64_END.unpack(data)[8])
        at = tail.find(b"PK\x05\x06", at + 1)
    if largest > MAX_ZIP_DIRECTORY_BYTES:
        raise DatasetError(
            f"{path} lists {largest:,} bytes of archive entries; an .npz of four arrays needs a few hundred"
        )
    file.seek(0)


def _open_member(archive: zipfile.ZipFile, key: str, path: Path, members: contextlib.ExitStack) -> _Member:
    """One member opened just past its .npy header (kept open by `members`), its header, listed
    size and the caps checked; none of its data is read."""
    where = f"{path}: {key}"
    try:
        info = archive.getinfo(f"{key}.npy")
    except KeyError:
        raise DatasetError(f"{path} lacks the array {key}: expected Keras' mnist.npz layout") from None
    if info.flag_bits & 0x1:
        raise DatasetError(f"{where} is encrypted; save the arrays with numpy.savez, without a password")
    if info.compress_type not in _ZIP_METHODS:
        raise DatasetError(
            f"{where} is compressed with zip method {info.compress_type}, which cannot be read here; "
            "save the arrays with numpy.savez or numpy.savez_compressed"
        )
    try:
        member = members.enter_context(archive.open(info))
        shape, fortran_order, dtype, offset = _read_npy_header(member, where)
    except DatasetError:
        raise
    except _ARCHIVE_ERRORS as error:
        raise DatasetError(f"{where} cannot be read ({why(error)})") from None
    _check_array_shape(key, shape, where)
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_ARRAY_BYTES:
        raise DatasetError(
            f"{where} would take {size:,} bytes; at most {MAX_ARRAY_BYTES:,} are read (store the images as uint8)"
        )
    if info.file_size != offset + size:
        raise DatasetError(
            f"{where} is damaged: the archive lists {info.file_size:,} bytes, its .npy header describes {offset + size:,}"
        )
    return _Member(member, shape, dtype, fortran_order)


def _read_npy_header(member: BinaryIO, where: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Shape, Fortran order, dtype and data offset of an .npy, its header length capped.

    numpy's header readers read whatever length the header states before checking it, so
    the length is read and checked here and numpy parses only what passed.
    """
    version = np.lib.format.read_magic(member)
    if version not in ((1, 0), (2, 0)):
        raise DatasetError(
            f"{where} is an .npy of format version {version[0]}.{version[1]}; "
            "plain numeric arrays are saved as 1.0 or 2.0"
        )
    length_format = "<H" if version == (1, 0) else "<I"
    prefix = member.read(struct.calcsize(length_format))
    if len(prefix) != struct.calcsize(length_format):
        raise DatasetError(f"{where} is truncated inside its .npy header")
    (length,) = struct.unpack(length_format, prefix)
    if length > MAX_NPY_HEADER_BYTES:
        raise DatasetError(f"{where} has an .npy header of {length:,} bytes; numpy's limit is 10,000")
    header = member.read(length)
    if len(header) != length:
        raise DatasetError(f"{where} is truncated inside its .npy header")
    parse = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    try:
        shape, fortran_order, dtype = parse(io.BytesIO(prefix + header))
    except (ValueError, TypeError, SyntaxError, OverflowError, RecursionError) as error:
        raise DatasetError(f"{where} has a damaged .npy header ({why(error)})") from None
    if dtype.kind not in "biuf":
        what = _KIND_NAMES.get(dtype.kind, str(dtype))
        raise DatasetError(f"{where} holds {what}; only plain numbers (bool, integer, float) are read")
    if any(dim < 0 for dim in shape):
        raise DatasetError(f"{where} has a damaged .npy header (negative size in {_shape_text(shape)})")
    return shape, fortran_order, dtype, len(np.lib.format.MAGIC_PREFIX) + 2 + len(prefix) + length


def _check_array_shape(key: str, shape: tuple[int, ...], where: str) -> None:
    """Images (n, 28, 28) and 1-D labels, at most MAX_SPLIT_IMAGES of them."""
    if key.startswith("x_") and (len(shape) != 3 or shape[1:] != (IMAGE_SIZE, IMAGE_SIZE)):
        raise DatasetError(f"{where} has shape {_shape_text(shape)}, expected images of shape (n, 28, 28)")
    if key.startswith("y_") and len(shape) != 1:
        raise DatasetError(f"{where} has shape {_shape_text(shape)}, expected labels of shape (n,)")
    if shape[0] > MAX_SPLIT_IMAGES:
        raise DatasetError(
            f"{where} holds {shape[0]:,} entries; at most {MAX_SPLIT_IMAGES:,} a split are read"
        )


def _shape_text(shape: tuple[int, ...]) -> str:
    text = str(tuple(shape))
    return text if len(text) <= 60 else f"a {len(shape)}-dimensional shape"
