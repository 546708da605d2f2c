"""Dataset files written for tests (IDX, .npz), and the checks that a bad one fails fast.

Shared by the datasets tests and by every test that needs an IDX folder (`write_split`) or an
`.npz` (`write_npz`).
"""

import contextlib
import gzip
import struct
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.datasets.idx import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC


def random_images(count: int, seed: int = 0) -> np.ndarray:
    """`count` 28x28 uint8 images of random pixels."""
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)


def digit_labels(count: int) -> np.ndarray:
    """Labels 0, 1, ..., 9, 0, 1, ... as uint8."""
    return (np.arange(count) % 10).astype(np.uint8)


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of a uint8 array: magic 0x0801 for 1-D labels, 0x0803 for 3-D images."""
    if magic is None:
        magic = {1: IDX_LABELS_MAGIC, 3: IDX_IMAGES_MAGIC}[array.ndim]
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_file(path: Path, content: bytes, *, gz: bool) -> Path:
    """Write content to path, gzipped when gz (the caller names the file)."""
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


def write_split(folder: Path, split: str, images, labels, *, separator: str = "-", gz: bool = True) -> None:
    """Write one split's images and labels with MNIST's file names (`-idx` or `.idx` style)."""
    suffix = ".gz" if gz else ""
    write_file(folder / f"{split}-images{separator}idx3-ubyte{suffix}", idx_bytes(images), gz=gz)
    write_file(folder / f"{split}-labels{separator}idx1-ubyte{suffix}", idx_bytes(labels), gz=gz)


def write_npz(path: Path, *, compressed: bool = False, **arrays) -> Path:
    """Save arrays to an .npz; the defaults are a small valid Keras-layout dataset."""
    defaults = {
        "x_train": random_images(20, seed=1),
        "y_train": digit_labels(20),
        "x_test": random_images(10, seed=2),
        "y_test": digit_labels(10),
    }
    defaults.update(arrays)
    save = np.savez_compressed if compressed else np.savez
    save(path, **{key: value for key, value in defaults.items() if value is not None})
    return path


def write_sample_npz(path, sample, train: int = 20, test: int = 8) -> None:
    """The first digits of `sample` as an .npz at `path` (a str or bytes path: Linux names are bytes)."""
    with open(path, "wb") as file:
        write_npz(
            file,
            x_train=sample.x_train[:train],
            y_train=sample.y_train[:train],
            x_test=sample.x_test[:test],
            y_test=sample.y_test[:test],
        )


def assert_frozen_uint8(array: np.ndarray, shape: tuple) -> None:
    assert array.dtype == np.uint8
    assert array.shape == shape
    assert not array.flags.writeable


# --- hostile input: every bad dataset fails fast with a DatasetError, memory bounded --------

MiB = 2**20


def outcome(function, *args, timeout: float = 10.0, **kwargs):
    """Run function in a thread: (its result or the exception it raised, seconds taken).

    A call that blocks (a FIFO opened for reading) fails the test instead of hanging it.
    """
    box = {}

    def target():
        try:
            box["value"] = function(*args, **kwargs)
        except BaseException as error:  # the test inspects whatever came out
            box["value"] = error

    start = time.perf_counter()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{function.__name__} still running after {timeout} s"
    return box["value"], time.perf_counter() - start


def measured(function, *args, **kwargs):
    """(result or exception, seconds, peak bytes that Python and numpy allocated) of a call."""
    tracemalloc.start()
    try:
        value, elapsed = outcome(function, *args, **kwargs)
        return value, elapsed, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fails_fast(function, *args, seconds: float = 3.0, peak_mib: float = 200, **kwargs) -> str:
    """The DatasetError message of a call that must fail in seconds, allocating little."""
    error, elapsed, peak = measured(function, *args, **kwargs)
    assert isinstance(error, DatasetError), f"expected DatasetError, got {error!r}"
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < peak_mib * MiB, f"allocated {peak / MiB:.0f} MiB"
    return str(error)


def idx_header(magic: int, *shape: int) -> bytes:
    return struct.pack(f">I{len(shape)}I", magic, *shape)


def sparse_file(path: Path, size: int, start: bytes = b"") -> Path:
    """A file of `size` bytes that takes no disk: `start`, then a hole."""
    with open(path, "wb") as file:
        file.write(start)
        file.truncate(size)
    return path


def refused_before_inflating(function, *args, peak_mib: float = 5) -> str:
    """The DatasetError message of a call refused before it inflates what the file declares:
    told by the memory it allocates, which inflating would take."""
    error, _, peak = measured(function, *args)
    assert isinstance(error, DatasetError), f"expected DatasetError, got {error!r}"
    assert peak < peak_mib * MiB, f"allocated {peak / MiB:.0f} MiB"
    return str(error)


# --- property-based: damaged files give a DatasetError and nothing else ---------------------

FUZZ = settings(
    database=None,
    max_examples=200,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def only_dataset_errors(function, path: Path) -> None:
    """`function(path)` returns or raises DatasetError, quickly; anything else fails."""
    start = time.perf_counter()
    with contextlib.suppress(DatasetError):
        function(path)
    assert time.perf_counter() - start < 2


def mutate(content: bytes, edits: list[tuple[int, int]], cut: int | None, extra: bytes) -> bytes:
    """`content` with bytes replaced (positions taken modulo its length), cut short, extended."""
    changed = bytearray(content)
    for position, value in edits:
        if changed:
            changed[position % len(changed)] = value
    if cut is not None:
        changed = changed[: cut % (len(changed) + 1)]
    return bytes(changed) + extra


EDITS = st.lists(
    st.tuples(st.one_of(st.integers(0, 24), st.integers(0, 2**20)), st.integers(0, 255)),
    max_size=6,
)
CUTS = st.one_of(st.none(), st.integers(0, 2**20))
EXTRA = st.one_of(st.just(b""), st.binary(max_size=16))
