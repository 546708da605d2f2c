"""Tests for mnist_app.datasets.catalogue: IDX and .npz readers, named datasets, and the offline fallback."""

import contextlib
import gzip
import io
import math
import os
import struct
import threading
import time
import tracemalloc
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnist_app.datasets import catalogue as data
from mnist_app.datasets.catalogue import DatasetError, load_dataset, load_idx_dir, read_idx

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def random_images(count: int, seed: int = 0) -> np.ndarray:
    """`count` 28x28 uint8 images of random pixels."""
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)


def digit_labels(count: int) -> np.ndarray:
    """Labels 0, 1, ..., 9, 0, 1, ... as uint8."""
    return (np.arange(count) % 10).astype(np.uint8)


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of a uint8 array: magic 0x0801 for 1-D labels, 0x0803 for 3-D images."""
    if magic is None:
        magic = {1: data.IDX_LABELS_MAGIC, 3: data.IDX_IMAGES_MAGIC}[array.ndim]
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


def assert_frozen_uint8(array: np.ndarray, shape: tuple) -> None:
    assert array.dtype == np.uint8
    assert array.shape == shape
    assert not array.flags.writeable


@pytest.fixture
def empty_keras_cache(tmp_path, monkeypatch):
    """KERAS_CACHE pointed at an empty folder, so no real cached dataset is used."""
    cache = tmp_path / "keras-datasets"
    cache.mkdir()
    monkeypatch.setattr(data, "KERAS_CACHE", cache)
    return cache


# --- read_idx -------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_read_idx_returns_written_images_as_read_only_uint8(tmp_path, gz):
    images = random_images(7)
    path = write_file(tmp_path / ("images.idx3-ubyte" + (".gz" if gz else "")), idx_bytes(images), gz=gz)

    result = read_idx(path)

    assert_frozen_uint8(result, (7, 28, 28))
    np.testing.assert_array_equal(result, images)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_read_idx_returns_written_labels_as_read_only_uint8(tmp_path, gz):
    labels = digit_labels(13)
    path = write_file(tmp_path / ("labels.idx1-ubyte" + (".gz" if gz else "")), idx_bytes(labels), gz=gz)

    result = read_idx(path)

    assert_frozen_uint8(result, (13,))
    np.testing.assert_array_equal(result, labels)


@pytest.mark.parametrize(
    "magic",
    [0x00000C03, 0x00000D03, 0x00010803, 0x12345678],
    ids=["int32-type", "float-type", "nonzero-leading-bytes", "garbage"],
)
def test_read_idx_rejects_bad_magic_naming_the_file(tmp_path, magic):
    path = write_file(tmp_path / "bad-magic-idx3-ubyte", idx_bytes(random_images(2), magic=magic), gz=False)

    with pytest.raises(DatasetError, match="bad-magic-idx3-ubyte") as error:
        read_idx(path)
    assert "magic" in str(error.value)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_read_idx_rejects_truncated_data_naming_the_file(tmp_path, gz):
    content = idx_bytes(random_images(3))[:-100]
    path = write_file(tmp_path / ("short-idx3-ubyte" + (".gz" if gz else "")), content, gz=gz)

    with pytest.raises(DatasetError, match="short-idx3-ubyte") as error:
        read_idx(path)
    assert "truncated" in str(error.value)


def test_read_idx_rejects_trailing_bytes_after_the_data(tmp_path):
    path = write_file(tmp_path / "long-idx1-ubyte", idx_bytes(digit_labels(5)) + b"\0\0", gz=False)

    with pytest.raises(DatasetError, match="long-idx1-ubyte"):
        read_idx(path)


def test_read_idx_rejects_truncated_header_naming_the_file(tmp_path):
    """The magic promises three dimensions, but only two sizes follow it."""
    content = struct.pack(">III", data.IDX_IMAGES_MAGIC, 3, 28)
    path = write_file(tmp_path / "header-idx3-ubyte", content, gz=False)

    with pytest.raises(DatasetError, match="header-idx3-ubyte") as error:
        read_idx(path)
    assert "header" in str(error.value)


@pytest.mark.parametrize("content", [b"", b"\0\0\x08"], ids=["empty", "three-bytes"])
def test_read_idx_rejects_file_shorter_than_the_magic_number(tmp_path, content):
    path = write_file(tmp_path / "tiny-idx1-ubyte", content, gz=False)

    with pytest.raises(DatasetError, match="tiny-idx1-ubyte"):
        read_idx(path)


def _corrupt_gzip(kind: str) -> bytes:
    """Gzip bytes of a valid IDX file, damaged in one of several ways."""
    packed = bytearray(gzip.compress(idx_bytes(random_images(2))))
    if kind == "not-gzip":
        return b"this is plain text, not a gzip stream"
    if kind == "truncated-stream":
        return bytes(packed[: len(packed) // 2])
    if kind == "crc-mismatch":
        packed[-6] ^= 0xFF  # inside the CRC-32 trailer
        return bytes(packed)
    if kind == "damaged-deflate-block":
        packed[10] |= 0b110  # first deflate block header: BTYPE=11, which is reserved
        return bytes(packed)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["not-gzip", "truncated-stream", "crc-mismatch", "damaged-deflate-block"])
def test_read_idx_rejects_corrupt_gzip_naming_the_file(tmp_path, kind):
    path = write_file(tmp_path / "train-images-idx3-ubyte.gz", _corrupt_gzip(kind), gz=False)

    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz"):
        read_idx(path)


def test_read_idx_rejects_missing_file_naming_it(tmp_path):
    with pytest.raises(DatasetError, match="absent-idx1-ubyte"):
        read_idx(tmp_path / "absent-idx1-ubyte")


# --- load_idx_dir ---------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
@pytest.mark.parametrize("separator", ["-", "."], ids=["images-idx3", "images.idx3"])
def test_load_idx_dir_reads_both_splits_in_either_naming(tmp_path, separator, gz):
    train_x, train_y = random_images(12, seed=3), digit_labels(12)
    test_x, test_y = random_images(5, seed=4), digit_labels(5)[::-1].copy()
    write_split(tmp_path, "train", train_x, train_y, separator=separator, gz=gz)
    write_split(tmp_path, "t10k", test_x, test_y, separator=separator, gz=gz)

    dataset = load_idx_dir(tmp_path)

    assert dataset.name == tmp_path.name
    assert dataset.source == str(tmp_path)
    assert dataset.class_names == data.DIGIT_NAMES
    assert_frozen_uint8(dataset.x_train, (12, 28, 28))
    assert_frozen_uint8(dataset.y_train, (12,))
    assert_frozen_uint8(dataset.x_test, (5, 28, 28))
    assert_frozen_uint8(dataset.y_test, (5,))
    np.testing.assert_array_equal(dataset.x_train, train_x)
    np.testing.assert_array_equal(dataset.y_train, train_y)
    np.testing.assert_array_equal(dataset.x_test, test_x)
    np.testing.assert_array_equal(dataset.y_test, test_y)


def test_load_idx_dir_reads_a_mix_of_gzipped_and_raw_files(tmp_path):
    write_split(tmp_path, "train", random_images(4), digit_labels(4), gz=True)
    write_split(tmp_path, "t10k", random_images(3), digit_labels(3), separator=".", gz=False)

    dataset = load_idx_dir(tmp_path)

    assert dataset.summary()["train"] == 4
    assert dataset.summary()["test"] == 3


def test_idx_folder_with_only_test_files_loads_with_empty_train_split_when_train_not_required(tmp_path):
    test_x, test_y = random_images(6), digit_labels(6)
    write_split(tmp_path, "t10k", test_x, test_y)

    dataset = load_dataset(str(tmp_path), require_train=False)

    assert_frozen_uint8(dataset.x_train, (0, 28, 28))
    assert_frozen_uint8(dataset.y_train, (0,))
    np.testing.assert_array_equal(dataset.x_test, test_x)
    np.testing.assert_array_equal(dataset.y_test, test_y)
    assert dataset.summary()["train"] == 0


def test_idx_folder_with_only_test_files_raises_when_train_is_required(tmp_path):
    write_split(tmp_path, "t10k", random_images(6), digit_labels(6))

    with pytest.raises(DatasetError, match="train-images-idx3-ubyte"):
        load_idx_dir(tmp_path)
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte"):
        load_dataset(str(tmp_path))


def test_idx_folder_without_test_files_raises_even_when_train_not_required(tmp_path):
    write_split(tmp_path, "train", random_images(6), digit_labels(6))

    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte"):
        load_idx_dir(tmp_path, require_train=False)


def test_idx_folder_with_fewer_labels_than_images_raises(tmp_path):
    write_split(tmp_path, "train", random_images(6), digit_labels(5))
    write_split(tmp_path, "t10k", random_images(2), digit_labels(2))

    with pytest.raises(DatasetError, match="labels"):
        load_idx_dir(tmp_path)


def test_idx_folder_with_images_that_are_not_28x28_raises(tmp_path):
    images = np.zeros((3, 32, 32), dtype=np.uint8)
    write_split(tmp_path, "train", images, digit_labels(3))
    write_split(tmp_path, "t10k", random_images(2), digit_labels(2))

    with pytest.raises(DatasetError, match="28, 28"):
        load_idx_dir(tmp_path)


# --- .npz -----------------------------------------------------------------------------------


def test_load_dataset_reads_a_keras_layout_npz_by_path(tmp_path):
    train_x, test_x = random_images(20, seed=5), random_images(10, seed=6)
    path = write_npz(tmp_path / "digits.npz", x_train=train_x, x_test=test_x)

    dataset = load_dataset(str(path))

    assert dataset.name == "digits"
    assert dataset.source == str(path)
    assert_frozen_uint8(dataset.x_train, (20, 28, 28))
    assert_frozen_uint8(dataset.y_train, (20,))
    assert_frozen_uint8(dataset.x_test, (10, 28, 28))
    assert_frozen_uint8(dataset.y_test, (10,))
    np.testing.assert_array_equal(dataset.x_train, train_x)
    np.testing.assert_array_equal(dataset.y_train, digit_labels(20))
    np.testing.assert_array_equal(dataset.x_test, test_x)
    np.testing.assert_array_equal(dataset.y_test, digit_labels(10))


def test_npz_with_int64_arrays_in_range_is_converted_to_uint8(tmp_path):
    train_x = random_images(20).astype(np.int64)
    path = write_npz(tmp_path / "wide.npz", x_train=train_x, y_train=digit_labels(20).astype(np.int64))

    dataset = load_dataset(str(path))

    assert_frozen_uint8(dataset.x_train, (20, 28, 28))
    assert_frozen_uint8(dataset.y_train, (20,))
    np.testing.assert_array_equal(dataset.x_train, train_x)


@pytest.mark.parametrize("missing", ["x_train", "y_train", "x_test", "y_test"])
def test_npz_missing_an_array_raises_naming_it(tmp_path, missing):
    path = write_npz(tmp_path / "partial.npz", **{missing: None})

    with pytest.raises(DatasetError, match=missing) as error:
        load_dataset(str(path))
    assert "partial.npz" in str(error.value)


@pytest.mark.parametrize(
    ("key", "bad_label"),
    [("y_train", 10), ("y_train", -1), ("y_test", 255)],
)
def test_npz_labels_outside_0_to_9_raise(tmp_path, key, bad_label):
    count = 20 if key == "y_train" else 10
    labels = digit_labels(count).astype(np.int64)
    labels[3] = bad_label
    path = write_npz(tmp_path / "labels.npz", **{key: labels})

    with pytest.raises(DatasetError, match=r"0\.\.9"):
        load_dataset(str(path))


def test_npz_pixels_outside_0_to_255_raise(tmp_path):
    images = random_images(20).astype(np.int32)
    images[0, 0, 0] = 256
    path = write_npz(tmp_path / "pixels.npz", x_train=images)

    with pytest.raises(DatasetError, match=r"0\.\.255"):
        load_dataset(str(path))


def test_file_named_npz_that_is_not_one_raises(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a zip archive")

    with pytest.raises(DatasetError, match="broken.npz"):
        load_dataset(str(path))


# --- named datasets and specs ---------------------------------------------------------------


def test_mnist_sample_has_4000_train_and_1000_test_digits_400_and_100_per_class(sample):
    assert sample.name == "mnist-sample"
    assert_frozen_uint8(sample.x_train, (4000, 28, 28))
    assert_frozen_uint8(sample.y_train, (4000,))
    assert_frozen_uint8(sample.x_test, (1000, 28, 28))
    assert_frozen_uint8(sample.y_test, (1000,))
    np.testing.assert_array_equal(np.bincount(sample.y_train, minlength=10), [400] * 10)
    np.testing.assert_array_equal(np.bincount(sample.y_test, minlength=10), [100] * 10)
    assert sample.class_names == tuple(str(digit) for digit in range(10))
    assert sample.x_train.max() > 200, "real digits have bright ink"
    assert sample.notice == ""


def test_mnist_sample_summary_has_exactly_the_documented_keys(sample):
    summary = sample.summary()

    assert set(summary) == {"dataset", "source", "train", "test", "classes"}
    assert summary["dataset"] == "mnist-sample"
    assert summary["train"] == 4000
    assert summary["test"] == 1000
    assert summary["classes"] == [str(digit) for digit in range(10)]


def test_auto_falls_back_to_sample_with_notice_when_download_fails(empty_keras_cache, monkeypatch):
    def failing_download(url, path, sha256=None):
        raise DatasetError("download failed: test")

    monkeypatch.setattr(data, "_download", failing_download)

    dataset = load_dataset("auto")

    assert dataset.name == "mnist-sample"
    assert dataset.summary()["train"] == 4000
    assert "download failed: test" in dataset.notice
    assert "mnist.npz" in dataset.notice
    assert "MNIST_APP_DATASET" in dataset.notice


def test_auto_uses_full_mnist_from_keras_cache_when_present(empty_keras_cache, monkeypatch):
    def unexpected_download(url, path, sha256=None):
        raise AssertionError("no download was needed")

    monkeypatch.setattr(data, "_download", unexpected_download)
    write_npz(empty_keras_cache / "mnist.npz")

    dataset = load_dataset("auto")

    assert dataset.name == "mnist"
    assert dataset.notice == ""


def test_download_refuses_when_offline_without_touching_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("urlopen was called although downloads are off")

    monkeypatch.setenv("MNIST_APP_OFFLINE", "1")
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    target = tmp_path / "mnist.npz"

    with pytest.raises(DatasetError, match="MNIST_APP_OFFLINE"):
        data._download(data.DOWNLOAD_ROOT + "mnist.npz", target, sha256=data.MNIST_SHA256)
    assert not target.exists()


def test_mnist_loads_from_keras_cache_npz(empty_keras_cache, monkeypatch):
    monkeypatch.setattr(data, "_download", lambda *args, **kwargs: pytest.fail("downloaded"))
    train_x = random_images(20, seed=7)
    path = write_npz(empty_keras_cache / "mnist.npz", x_train=train_x)

    dataset = load_dataset("mnist")

    assert dataset.name == "mnist"
    assert str(path) in dataset.source
    assert dataset.class_names == data.DIGIT_NAMES
    np.testing.assert_array_equal(dataset.x_train, train_x)
    assert dataset.summary()["test"] == 10


def test_mnist_without_cache_offline_raises(empty_keras_cache, monkeypatch):
    monkeypatch.setenv("MNIST_APP_OFFLINE", "1")

    with pytest.raises(DatasetError, match="MNIST_APP_OFFLINE"):
        load_dataset("mnist")


@pytest.mark.parametrize("name", ["mnsit", "MNIST", "fashion_mnist"])
def test_unknown_dataset_name_raises_listing_the_known_names(name):
    with pytest.raises(DatasetError) as error:
        load_dataset(name)
    message = str(error.value)
    assert "unknown dataset" in message
    assert repr(name) in message
    for known in data.NAMED_DATASETS:
        assert known in message


@pytest.mark.parametrize("relative", ["absent.npz", "absent/folder"])
def test_missing_dataset_path_raises_naming_it(tmp_path, relative):
    spec = str(tmp_path / relative)

    with pytest.raises(DatasetError, match="no such dataset") as error:
        load_dataset(spec)
    assert spec in str(error.value)


def test_existing_file_that_is_neither_folder_nor_npz_raises(tmp_path):
    path = tmp_path / "digits.csv"
    path.write_text("1,2,3\n")

    with pytest.raises(DatasetError, match="neither a folder of IDX files nor a .npz"):
        load_dataset(str(path))


def test_fashion_mnist_loads_from_debian_folder_with_fashion_class_names(empty_keras_cache, monkeypatch):
    if not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"{FASHION_DIR} is not installed")
    monkeypatch.setattr(data, "_download", lambda *args, **kwargs: pytest.fail("downloaded"))

    dataset = load_dataset("fashion-mnist")

    assert dataset.name == "fashion-mnist"
    assert str(FASHION_DIR) in dataset.source
    assert dataset.class_names == data.FASHION_NAMES
    assert dataset.class_names[0] == "T-shirt/top"
    assert dataset.class_names[9] == "Ankle boot"
    assert_frozen_uint8(dataset.x_train, (60000, 28, 28))
    assert_frozen_uint8(dataset.x_test, (10000, 28, 28))
    assert dataset.summary()["classes"] == list(data.FASHION_NAMES)
    np.testing.assert_array_equal(np.bincount(dataset.y_test, minlength=10), [1000] * 10)


def test_default_dataset_name_honours_environment_variable(monkeypatch):
    monkeypatch.setenv("MNIST_APP_DATASET", " fashion-mnist ")

    assert data.default_dataset_name() == "fashion-mnist"


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_default_dataset_name_is_auto_without_environment_variable(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("MNIST_APP_DATASET", raising=False)
    else:
        monkeypatch.setenv("MNIST_APP_DATASET", value)

    assert data.default_dataset_name() == "auto"


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


# --- paths ----------------------------------------------------------------------------------


def test_tilde_of_an_unknown_user_raises_naming_the_path():
    message = fails_fast(load_dataset, "~nosuchuser-mnist/x.npz")

    assert "~nosuchuser-mnist/x.npz" in message
    assert "no such dataset" in message


def test_path_with_a_300_character_component_raises(tmp_path):
    spec = str(tmp_path / ("d" * 300) / "x.npz")

    message = fails_fast(load_dataset, spec)

    assert "too long" in message.lower()
    assert "x.npz" in message


@pytest.mark.parametrize("spec", ["a\0b.npz", "folder/\0"])
def test_path_with_a_nul_character_raises(spec):
    assert "NUL" in fails_fast(load_dataset, spec)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_path_in_an_unreadable_folder_raises(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    write_npz(folder / "x.npz")
    folder.chmod(0)
    try:
        message = fails_fast(load_dataset, str(folder / "x.npz"))
    finally:
        folder.chmod(0o700)
    assert "Permission denied" in message


def test_permission_error_on_a_path_becomes_a_dataset_error(tmp_path, monkeypatch):
    """The same as above, simulated: this suite may run as root, which reads everything."""
    locked = tmp_path / "locked"
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if str(path).startswith(str(locked)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(data.os, "stat", stat)

    message = fails_fast(load_dataset, str(locked / "x.npz"))

    assert "Permission denied" in message
    assert "locked/x.npz" in message


def test_directory_named_like_an_npz_raises(tmp_path):
    (tmp_path / "x.npz").mkdir()

    message = fails_fast(load_dataset, str(tmp_path / "x.npz"))

    assert "x.npz is a folder, not an .npz file" in message
    assert "not a regular file" in fails_fast(data.load_npz, tmp_path / "x.npz")


def test_fifo_named_like_an_npz_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "x.npz")

    message = fails_fast(load_dataset, str(tmp_path / "x.npz"))

    assert "x.npz is not a regular file" in message


def test_fifo_named_like_an_idx_file_is_refused_without_blocking(tmp_path):
    write_split(tmp_path, "train", random_images(2), digit_labels(2))
    write_split(tmp_path, "t10k", random_images(2), digit_labels(2))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    os.mkfifo(tmp_path / "t10k-labels-idx1-ubyte.gz")

    message = fails_fast(load_dataset, str(tmp_path))

    assert "t10k-labels-idx1-ubyte.gz is not a regular file" in message


def test_empty_spec_raises_instead_of_reading_the_working_folder():
    assert "no dataset given" in fails_fast(load_dataset, "  ")


# --- IDX headers and sizes ------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_idx_dimensions_that_overflow_int64_raise(tmp_path, gz):
    """2^31 x 2^31 x 4 overflows np.prod's int64 to 0: a check in numpy would pass it."""
    content = idx_header(data.IDX_IMAGES_MAGIC, 2**31, 2**31, 4)
    path = write_file(tmp_path / "huge-idx3-ubyte", content, gz=gz)

    message = fails_fast(read_idx, path)

    assert "huge-idx3-ubyte" in message
    assert "(2147483648, 2147483648, 4), expected (n, 28, 28)" in message


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
@pytest.mark.parametrize("magic", [data.IDX_IMAGES_MAGIC, data.IDX_LABELS_MAGIC], ids=["images", "labels"])
def test_idx_header_claiming_terabytes_raises_before_reading(tmp_path, gz, magic):
    shape = (2**32 - 1, 28, 28) if magic == data.IDX_IMAGES_MAGIC else (2**32 - 1,)
    path = write_file(tmp_path / "tera-idx-ubyte", idx_header(magic, *shape) + bytes(1000), gz=gz)

    message = fails_fast(read_idx, path)

    assert "tera-idx-ubyte" in message
    assert "4,294,967,295" in message
    assert f"at most {data.MAX_SPLIT_IMAGES:,}" in message


def test_idx_images_that_are_not_28x28_raise_from_the_header(tmp_path):
    path = write_file(tmp_path / "wide-idx3-ubyte", idx_header(data.IDX_IMAGES_MAGIC, 5, 28, 29), gz=False)

    message = fails_fast(read_idx, path)

    assert "wide-idx3-ubyte" in message
    assert "(5, 28, 29), expected (n, 28, 28)" in message


def test_idx_labels_that_are_not_1d_raise_naming_the_file(tmp_path):
    write_split(tmp_path, "train", random_images(4), digit_labels(4))
    write_split(tmp_path, "t10k", random_images(2), random_images(2))

    message = fails_fast(load_idx_dir, tmp_path)

    assert "t10k-labels-idx1-ubyte.gz holds 3-D data" in message
    assert "expected labels (1-D)" in message


def test_raw_idx_size_is_checked_against_the_header_before_reading(tmp_path):
    """A 200 MB (sparse) file one byte longer than its header says: refused unread."""
    header = idx_header(data.IDX_IMAGES_MAGIC, 250_000, 28, 28)
    size = len(header) + 250_000 * 28 * 28 + 1
    path = sparse_file(tmp_path / "long-idx3-ubyte", size, start=header)

    message = fails_fast(read_idx, path, peak_mib=5)

    assert "long-idx3-ubyte is truncated or damaged" in message
    assert f"{size:,} bytes" in message


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "x.npz"])
def test_50_gb_sparse_file_is_refused_by_its_size(tmp_path, name):
    path = sparse_file(tmp_path / name, 50 * 10**9, start=idx_header(data.IDX_IMAGES_MAGIC, 1, 28, 28))
    reader = read_idx if name.endswith("ubyte") else data.load_npz

    message = fails_fast(reader, path, peak_mib=5)

    assert f"{name} is 50,000,000,000 bytes" in message


def test_gzip_bomb_is_cut_off_after_the_declared_size(tmp_path):
    """4 MB of gzip that inflates to 4 GiB behind a header declaring 1,000 images."""
    header = idx_header(data.IDX_IMAGES_MAGIC, 1000, 28, 28)
    zeros = gzip.compress(bytes(64 * MiB))
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + bytes(1000 * 28 * 28)) + zeros * 64)

    message = fails_fast(read_idx, path, peak_mib=50)

    assert "bomb-idx3-ubyte.gz is damaged" in message
    assert "header declares 784,000 bytes" in message


def test_gzip_that_claims_many_images_but_holds_few_raises_truncated(tmp_path):
    path = tmp_path / "short-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header(data.IDX_IMAGES_MAGIC, 250_000, 28, 28) + bytes(784)))

    message = fails_fast(read_idx, path)

    assert "short-idx3-ubyte.gz is truncated: 784 of 196,000,000 bytes" in message


def refused_before_inflating(function, *args, peak_mib: float = 5) -> str:
    """The DatasetError message of a call refused before it inflates what the file declares:
    told by the memory it allocates, which inflating would take."""
    error, _, peak = measured(function, *args)
    assert isinstance(error, DatasetError), f"expected DatasetError, got {error!r}"
    assert peak < peak_mib * MiB, f"allocated {peak / MiB:.0f} MiB"
    return str(error)


def gzip_of_zeros(path: Path, header: bytes, count: int) -> Path:
    """`header`, then `count` zero bytes, gzipped a piece at a time: a small file that inflates big."""
    with gzip.open(path, "wb") as file:
        file.write(header)
        for start in range(0, count, 16 * MiB):
            file.write(bytes(min(16 * MiB, count - start)))
    return path


def test_idx_bomb_beside_few_labels_is_refused_from_the_headers_before_inflating(tmp_path):
    """A gzip of 235 MB of zeros, small on disk, its image count honest, beside 20 labels."""
    images = gzip_of_zeros(
        tmp_path / "train-images-idx3-ubyte.gz",
        idx_header(data.IDX_IMAGES_MAGIC, 300_000, 28, 28),
        300_000 * 784,
    )
    write_file(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(digit_labels(20)), gz=True)
    write_split(tmp_path, "t10k", random_images(2), digit_labels(2))
    assert images.stat().st_size < 300_000

    message = refused_before_inflating(load_idx_dir, tmp_path)

    assert "train-images-idx3-ubyte.gz holds 300,000 images" in message
    assert "train-labels-idx1-ubyte.gz holds 20 labels" in message


def test_idx_labels_are_read_and_checked_before_the_images_inflate(tmp_path):
    gzip_of_zeros(
        tmp_path / "train-images-idx3-ubyte.gz",
        idx_header(data.IDX_IMAGES_MAGIC, 300_000, 28, 28),
        300_000 * 784,
    )
    labels = digit_labels(300_000)
    labels[7] = 12
    write_file(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(labels), gz=True)
    write_split(tmp_path, "t10k", random_images(2), digit_labels(2))

    message = refused_before_inflating(load_idx_dir, tmp_path)

    assert f"{tmp_path}: train labels must be whole numbers in 0..9" in message


# --- .npz: archives -------------------------------------------------------------------------


def npy_bytes(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version, allow_pickle=True)
    return buffer.getvalue()


def raw_npy(shape, descr: str = "|u1", fortran_order: bool = False, data: bytes = b"") -> bytes:
    """An .npy whose header says whatever the test wants, followed by `data`."""
    header = {"descr": descr, "fortran_order": fortran_order, "shape": tuple(shape)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def valid_members() -> dict[str, bytes]:
    return {
        "x_train.npy": npy_bytes(random_images(20, seed=1)),
        "y_train.npy": npy_bytes(digit_labels(20)),
        "x_test.npy": npy_bytes(random_images(10, seed=2)),
        "y_test.npy": npy_bytes(digit_labels(10)),
    }


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip of the members, without Zip64 fields, so tests can patch its directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def patch_directory(archive: bytes, member: str, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of `member`'s central directory entry (offsets as in APPNOTE 4.3.12)."""
    patched = bytearray(archive)
    at = patched.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", patched, at + 28)[0]
        if patched[at + 46 : at + 46 + name_length] == member.encode():
            struct.pack_into(fmt, patched, at + offset, value)
            return bytes(patched)
        at = patched.find(b"PK\x01\x02", at + 1)
    raise AssertionError(f"{member} not in the archive")


def npz_with(tmp_path: Path, name: str = "x.npz", compression: int = zipfile.ZIP_STORED, **members) -> Path:
    """An .npz of valid_members() with some replaced (bytes) or left out (None)."""
    contents = valid_members()
    for key, content in members.items():
        contents[f"{key}.npy"] = content
    path = tmp_path / name
    path.write_bytes(zip_bytes({k: v for k, v in contents.items() if v is not None}, compression))
    return path


def test_hand_built_npz_loads_like_np_savez(tmp_path):
    dataset = data.load_npz(npz_with(tmp_path, compression=zipfile.ZIP_DEFLATED))

    np.testing.assert_array_equal(dataset.x_train, random_images(20, seed=1))
    np.testing.assert_array_equal(dataset.y_test, digit_labels(10))


def test_compressed_npz_loads_as_keras_cache_files_are(tmp_path):
    train_x = random_images(20, seed=8)
    path = tmp_path / "mnist.npz"
    np.savez_compressed(
        path, x_train=train_x, y_train=digit_labels(20), x_test=train_x[:10], y_test=digit_labels(10)
    )

    dataset = data.load_npz(path)

    assert_frozen_uint8(dataset.x_train, (20, 28, 28))
    np.testing.assert_array_equal(dataset.x_train, train_x)


def test_npz_in_fortran_order_and_big_endian_floats_loads_the_same_pixels(tmp_path):
    train_x = random_images(20, seed=9)
    path = npz_with(
        tmp_path,
        x_train=npy_bytes(np.asfortranarray(train_x)),
        x_test=npy_bytes(random_images(10, seed=2).astype(">f8")),
        y_train=npy_bytes(digit_labels(20).astype(np.float32)),
    )

    dataset = data.load_npz(path)

    np.testing.assert_array_equal(dataset.x_train, train_x)
    np.testing.assert_array_equal(dataset.x_test, random_images(10, seed=2))
    np.testing.assert_array_equal(dataset.y_train, digit_labels(20))
    assert_frozen_uint8(dataset.x_test, (10, 28, 28))


def test_npz_missing_an_array_says_which_and_what_layout_is_expected(tmp_path):
    message = fails_fast(data.load_npz, npz_with(tmp_path, x_test=None))

    assert "x.npz lacks the array x_test: expected Keras' mnist.npz layout" in message


@pytest.mark.parametrize(
    ("array", "what"),
    [
        (np.full((20, 28, 28), "7"), "text"),
        (np.zeros((20, 28, 28), dtype=[("a", "u1"), ("b", "f4")]), "records"),
        (np.zeros((20, 28, 28), dtype="datetime64[s]"), "dates"),
        (np.full((20, 28, 28), None, dtype=object), "Python objects"),
        (np.zeros((20, 28, 28), dtype=np.complex64), "complex numbers"),
    ],
    ids=["strings", "structured", "datetime", "objects", "complex"],
)
def test_npz_of_values_that_are_not_plain_numbers_raises_naming_them(tmp_path, array, what):
    message = fails_fast(data.load_npz, npz_with(tmp_path, x_train=npy_bytes(array)))

    assert f"x.npz: x_train holds {what}" in message
    assert "only plain numbers" in message


def test_npz_with_an_encrypted_member_raises(tmp_path):
    archive = patch_directory(zip_bytes(valid_members()), "x_train.npy", 8, "<H", 0x1)
    (tmp_path / "x.npz").write_bytes(archive)

    message = fails_fast(data.load_npz, tmp_path / "x.npz")

    assert "x.npz: x_train is encrypted" in message


def test_npz_with_an_unsupported_compression_method_raises(tmp_path):
    archive = patch_directory(zip_bytes(valid_members()), "y_train.npy", 10, "<H", 98)
    (tmp_path / "x.npz").write_bytes(archive)

    message = fails_fast(data.load_npz, tmp_path / "x.npz")

    assert "x.npz: y_train is compressed with zip method 98" in message
    assert "numpy.savez" in message


@pytest.mark.parametrize(("compression", "method"), [(zipfile.ZIP_BZIP2, 12), (zipfile.ZIP_LZMA, 14)])
def test_npz_compressed_with_bzip2_or_lzma_is_refused_before_inflating(tmp_path, compression, method):
    """zipfile inflates these a whole read of compressed bytes at a time, unbounded: reading the
    first bytes of a member's header would inflate all of a bomb."""
    path = tmp_path / "packed.npz"
    with zipfile.ZipFile(path, "w", compression) as archive:
        with archive.open("x_train.npy", "w") as member:
            member.write(raw_npy((20, 28, 28)))
            for _ in range(8):
                member.write(bytes(8 * MiB))
        for name, content in valid_members().items():
            if name != "x_train.npy":
                archive.writestr(name, content)

    message = refused_before_inflating(data.load_npz, path)

    assert f"packed.npz: x_train is compressed with zip method {method}, which cannot be read here" in message


@pytest.mark.parametrize(
    ("shape", "descr", "expected"),
    [
        ((10**12, 28, 28), "|u1", "holds 1,000,000,000,000 entries"),
        ((2**62, 28, 28), "<f8", "holds 4,611,686,018,427,387,904 entries"),
        ((60_000, 28, 28), "<f8", "would take 376,320,000 bytes"),
    ],
    ids=["terabyte", "int64-overflow", "over-the-byte-cap"],
)
def test_npy_header_claiming_too_much_raises_before_reading(tmp_path, shape, descr, expected):
    path = npz_with(
        tmp_path, x_train=raw_npy(shape, descr, data=bytes(100)), compression=zipfile.ZIP_DEFLATED
    )

    message = fails_fast(data.load_npz, path, peak_mib=5)

    assert f"x.npz: x_train {expected}" in message


@pytest.mark.parametrize(
    ("key", "shape", "expected"),
    [
        ("x_train", (20, 28, 27), "(20, 28, 27), expected images of shape (n, 28, 28)"),
        ("x_train", (20, 784), "(20, 784), expected images of shape (n, 28, 28)"),
        ("y_test", (10, 1), "(10, 1), expected labels of shape (n,)"),
        ("y_train", (), "(), expected labels of shape (n,)"),
    ],
)
def test_npz_arrays_of_the_wrong_shape_raise_naming_them(tmp_path, key, shape, expected):
    content = npy_bytes(np.zeros(shape, np.uint8))

    message = fails_fast(data.load_npz, npz_with(tmp_path, **{key: content}))

    assert f"x.npz: {key} has shape {expected}" in message


def test_npy_header_longer_than_numpy_allows_raises_before_reading_it(tmp_path):
    """A version 2.0 header may state a length up to 4 GiB; numpy would read it all first."""
    member = np.lib.format.MAGIC_PREFIX + b"\x02\x00" + struct.pack("<I", 2**32 - 1) + b"{"

    message = fails_fast(data.load_npz, npz_with(tmp_path, x_train=member))

    assert "x_train has an .npy header of 4,294,967,295 bytes" in message


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (np.lib.format.MAGIC_PREFIX + b"\x03\x00" + struct.pack("<I", 2) + b"{}", "format version 3.0"),
        (b"PK\x03\x04 not an npy", "x_test cannot be read (the magic string is not correct"),
        (
            np.lib.format.MAGIC_PREFIX + b"\x01\x00" + struct.pack("<H", 9) + b"[1, 2, 3]",
            "damaged .npy header",
        ),
        (np.lib.format.MAGIC_PREFIX + b"\x01\x00\x50", "truncated inside its .npy header"),
    ],
    ids=["version-3", "bad-magic", "header-not-a-dict", "header-cut"],
)
def test_npy_with_a_bad_header_raises_naming_the_array(tmp_path, member, expected):
    message = fails_fast(data.load_npz, npz_with(tmp_path, x_test=member))

    assert "x.npz" in message
    assert expected in message


def test_npy_with_a_negative_dimension_raises(tmp_path):
    message = fails_fast(data.load_npz, npz_with(tmp_path, y_test=raw_npy((-1,))))

    assert "x.npz: y_test has a damaged .npy header (negative size" in message


def test_npz_member_shorter_than_its_header_says_raises(tmp_path):
    member = npy_bytes(random_images(20))[:-100]

    message = fails_fast(data.load_npz, npz_with(tmp_path, x_train=member))

    assert "x.npz: x_train is damaged" in message


def test_truncated_npz_archive_raises(tmp_path):
    path = tmp_path / "cut.npz"
    path.write_bytes(zip_bytes(valid_members())[:3000])

    message = fails_fast(data.load_npz, path)

    assert "cut.npz is not a readable .npz file" in message


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"]
)
@pytest.mark.parametrize("claimed", [100, 20 * 784 + 128, 10**9], ids=["smaller", "header-sized", "huge"])
def test_npz_whose_directory_lies_about_a_member_size_raises(tmp_path, compression, claimed):
    """The member's real content is twice what the .npy header describes."""
    members = valid_members()
    members["x_train.npy"] += members["x_train.npy"][128:]
    archive = patch_directory(zip_bytes(members, compression), "x_train.npy", 24, "<I", claimed)
    (tmp_path / "liar.npz").write_bytes(archive)

    message = fails_fast(data.load_npz, tmp_path / "liar.npz")

    assert "liar.npz: x_train" in message


def test_npz_member_that_inflates_past_its_directory_size_is_cut_off(tmp_path):
    """A deflated member holding 256 MiB whose directory (size and CRC) says 20 images' worth."""
    header, images = raw_npy((20, 28, 28)), bytes(20 * 784)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in valid_members().items():
            if name != "x_train.npy":
                archive.writestr(name, content)
        with archive.open("x_train.npy", "w") as member:
            member.write(header)
            for _ in range(4):
                member.write(bytes(64 * MiB))
    archive = patch_directory(path.read_bytes(), "x_train.npy", 24, "<I", len(header) + len(images))
    path.write_bytes(patch_directory(archive, "x_train.npy", 16, "<I", zlib.crc32(header + images)))

    dataset, elapsed, peak = measured(data.load_npz, path)

    assert dataset.summary()["train"] == 20
    assert elapsed < 3
    assert peak < 5 * MiB


def test_zip_whose_directory_is_huge_is_refused_before_zipfile_parses_it(tmp_path):
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 65535, 65535, 500 * MiB, 0, 0)
    path = tmp_path / "many.npz"
    path.write_bytes(b"\0" * 100 + end)

    message = fails_fast(data.load_npz, path, peak_mib=5)

    assert "many.npz lists 524,288,000 bytes of archive entries" in message


def test_npz_bomb_of_float_images_beside_few_labels_is_refused_before_inflating(tmp_path):
    """An .npz of zeros, small on disk, declaring 85,000 float32 images a split beside 20 labels."""
    zeros = np.zeros((85_000, 28, 28), np.float32)
    path = write_npz(tmp_path / "bomb.npz", x_train=zeros, x_test=zeros, compressed=True)
    del zeros
    assert path.stat().st_size < 600_000

    message = refused_before_inflating(data.load_npz, path)

    assert "bomb.npz: x_train holds 85,000 images but y_train holds 20 labels" in message


def test_npz_labels_are_read_and_checked_before_the_images_inflate(tmp_path):
    labels = digit_labels(85_000)
    labels[3] = 10
    path = write_npz(
        tmp_path / "bomb.npz", x_train=np.zeros((85_000, 28, 28), np.float32), y_train=labels, compressed=True
    )

    message = refused_before_inflating(data.load_npz, path)

    assert "bomb.npz: train labels must be whole numbers in 0..9" in message


def test_npz_of_float_images_takes_the_memory_of_its_uint8_digits_not_of_its_floats(tmp_path):
    """20,000 float64 images are 125 MB stored, 16 MB as the uint8 digits the app keeps."""
    images = np.random.default_rng(3).integers(0, 256, (20_000, 28, 28)).astype(np.float64)
    path = write_npz(tmp_path / "floats.npz", x_train=images, y_train=digit_labels(20_000))

    dataset, _, peak = measured(data.load_npz, path)

    np.testing.assert_array_equal(dataset.x_train, images.astype(np.uint8))
    assert peak < 48 * MiB, f"allocated {peak / MiB:.0f} MiB"


@pytest.mark.parametrize(
    ("key", "values", "expected"),
    [
        ("x_train", [np.nan], r"train pixels must be finite numbers in 0\.\.255"),
        ("x_test", [np.inf], r"test pixels must be finite numbers in 0\.\.255"),
        ("x_train", [-0.5], r"0\.\.255"),
        ("y_train", [3.5], r"train labels must be whole numbers in 0\.\.9"),
        ("y_test", [np.nan], r"test labels must be whole numbers in 0\.\.9"),
    ],
)
def test_npz_float_values_must_be_finite_and_in_range(tmp_path, key, values, expected):
    count = 20 if key.endswith("train") else 10
    array = (random_images(count) if key.startswith("x") else digit_labels(count)).astype(np.float64)
    array.flat[: len(values)] = values

    with pytest.raises(DatasetError, match=expected) as error:
        data.load_npz(npz_with(tmp_path, **{key: npy_bytes(array)}))
    assert "x.npz" in str(error.value)


# --- paths typed in the browser stay inside the data folder ---------------------------------


@pytest.fixture
def data_folder(tmp_path):
    """A data folder holding digits.npz and an IDX folder `idx`; tmp_path/secret.npz lies outside."""
    root = tmp_path / "data"
    root.mkdir()
    write_npz(root / "digits.npz")
    (root / "idx").mkdir()
    write_split(root / "idx", "train", random_images(4), digit_labels(4))
    write_split(root / "idx", "t10k", random_images(2), digit_labels(2))
    write_npz(tmp_path / "secret.npz")
    return root


def test_data_dir_is_the_repository_data_folder_by_default(monkeypatch):
    monkeypatch.delenv("MNIST_APP_DATA_DIR", raising=False)

    assert data.data_dir() == Path(__file__).resolve().parent.parent / "data"


def test_data_dir_honours_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_APP_DATA_DIR", str(tmp_path))

    assert data.data_dir() == tmp_path


@pytest.mark.parametrize("spec", ["digits.npz", "./digits.npz", "idx", "idx/../digits.npz"])
def test_paths_inside_the_data_folder_load(data_folder, spec):
    dataset = load_dataset(spec, root=data_folder)

    assert dataset.summary()["train"] in (4, 20)


def test_absolute_path_inside_the_data_folder_loads(data_folder):
    assert load_dataset(str(data_folder / "digits.npz"), root=data_folder).summary()["train"] == 20


def test_named_datasets_load_as_before_with_a_data_folder(data_folder, empty_keras_cache):
    write_npz(empty_keras_cache / "mnist.npz")

    assert load_dataset("mnist", root=data_folder).name == "mnist"


def outside_specs(tmp_path: Path) -> list[str]:
    return ["../secret.npz", "idx/../../secret.npz", str(tmp_path / "secret.npz"), "escape.npz"]


@pytest.mark.parametrize("which", range(4), ids=["dot-dot", "dot-dot-nested", "absolute", "symlink"])
def test_paths_leading_outside_the_data_folder_raise_the_same_whether_or_not_the_target_exists(
    data_folder, tmp_path, which
):
    (data_folder / "escape.npz").symlink_to(tmp_path / "secret.npz")
    spec = outside_specs(tmp_path)[which]

    present = fails_fast(load_dataset, spec, root=data_folder)
    (tmp_path / "secret.npz").unlink()
    absent = fails_fast(load_dataset, spec, root=data_folder)

    assert present == absent
    assert "inside the data folder only" in present
    assert repr(spec) in present


def test_symlink_that_stays_inside_the_data_folder_loads(data_folder):
    (data_folder / "alias.npz").symlink_to(data_folder / "digits.npz")

    assert load_dataset("alias.npz", root=data_folder).summary()["train"] == 20


def test_idx_file_linking_outside_the_data_folder_is_refused(data_folder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    write_split(outside, "t10k", random_images(2), digit_labels(2))
    sneaky = data_folder / "sneaky"
    sneaky.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (sneaky / name).symlink_to(outside / name)

    message = fails_fast(load_dataset, "sneaky", root=data_folder, require_train=False)

    assert "inside the data folder only" in message
    assert load_dataset(str(sneaky), require_train=False).summary()["test"] == 2, "the command line may"


def test_tilde_is_not_expanded_inside_the_data_folder(data_folder, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    write_npz(home / "mine.npz")
    monkeypatch.setenv("HOME", str(home))

    assert "no such dataset file or folder: ~/mine.npz" in fails_fast(
        load_dataset, "~/mine.npz", root=data_folder
    )
    assert load_dataset("~/mine.npz").name == "mine", "the command line expands ~"


def test_unknown_name_inside_the_data_folder_lists_the_known_ones(data_folder):
    assert "unknown dataset 'mnsit'" in fails_fast(load_dataset, "mnsit", root=data_folder)


# --- datasets_in ----------------------------------------------------------------------------


def test_datasets_in_lists_npz_files_and_idx_folders_two_levels_deep(data_folder, tmp_path):
    nested = data_folder / "more"
    nested.mkdir()
    write_npz(nested / "extra.npz")
    (nested / "idx2").mkdir()
    write_split(nested / "idx2", "t10k", random_images(2), digit_labels(2))
    (nested / "deeper").mkdir()
    write_npz(nested / "deeper" / "too-deep.npz")
    (data_folder / "notes.txt").write_text("not a dataset")
    write_npz(data_folder / ".hidden.npz")
    (data_folder / "alias.npz").symlink_to("digits.npz")

    assert data.datasets_in(data_folder) == [
        "alias.npz",
        "digits.npz",
        "idx",
        "more/extra.npz",
        "more/idx2",
    ]


def test_datasets_in_leaves_out_odd_entries_without_raising(data_folder, tmp_path, monkeypatch):
    os.mkfifo(data_folder / "pipe.npz")
    (data_folder / "dangling.npz").symlink_to(tmp_path / "nowhere.npz")
    (data_folder / "escape.npz").symlink_to(tmp_path / "secret.npz")
    (data_folder / "escape-folder").symlink_to(tmp_path)
    (data_folder / "loop.npz").symlink_to("loop.npz")
    locked = data_folder / "locked"
    locked.mkdir()
    write_npz(locked / "hidden-by-permissions.npz")
    real_listdir = os.listdir

    def listdir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)

    monkeypatch.setattr(data.os, "listdir", listdir)

    assert data.datasets_in(data_folder) == ["digits.npz", "idx"]


@pytest.mark.parametrize("kind", ["missing", "file", "fifo"])
def test_datasets_in_is_empty_when_the_data_folder_is_not_a_folder(tmp_path, kind):
    root = tmp_path / "data"
    if kind == "file":
        root.write_text("")
    elif kind == "fifo":
        os.mkfifo(root)

    assert data.datasets_in(root) == []


def test_datasets_in_lists_at_most_50_sorted(tmp_path):
    for number in range(70):
        (tmp_path / f"set-{number:02d}.npz").write_bytes(b"")

    listed = data.datasets_in(tmp_path)

    assert listed == [f"set-{number:02d}.npz" for number in range(data.MAX_LISTED_DATASETS)]


def test_every_listed_dataset_opens_inside_the_data_folder(data_folder):
    for spec in data.datasets_in(data_folder):
        assert load_dataset(spec, root=data_folder).summary()["test"] > 0


def not_utf8(folder: Path, name: bytes) -> bytes:
    """The bytes path of `name` in `folder`: Linux names are bytes, and 0xff is never UTF-8."""
    return os.path.join(os.fsencode(folder), name)


def test_datasets_whose_names_are_not_utf8_are_listed_as_text_and_open_as_listed(data_folder):
    with open(not_utf8(data_folder, b"caf\xff.npz"), "wb") as file:
        write_npz(file)
    os.mkdir(not_utf8(data_folder, b"scans\xff"))
    folder = Path(os.fsdecode(not_utf8(data_folder, b"scans\xff")))
    write_split(folder, "train", random_images(4), digit_labels(4))
    write_split(folder, "t10k", random_images(2), digit_labels(2))

    listed = data.datasets_in(data_folder)

    assert "caf\\xff.npz" in listed and "scans\\xff" in listed
    opened = load_dataset("caf\\xff.npz", root=data_folder)
    assert (opened.name, opened.source) == ("caf\\xff", "data/caf\\xff.npz")
    assert opened.summary()["train"] == 20
    assert load_dataset("scans\\xff", root=data_folder).summary()["test"] == 2


def test_a_damaged_file_whose_name_is_not_utf8_is_named_in_printable_text(data_folder):
    with open(not_utf8(data_folder, b"torn\xff.npz"), "wb") as file:
        file.write(b"PK\x03\x04 torn")

    typed = fails_fast(load_dataset, "torn\\xff.npz", root=data_folder)
    given = fails_fast(load_dataset, os.fsdecode(not_utf8(data_folder, b"torn\xff.npz")))

    assert "data/torn\\xff.npz is not a readable .npz file" in typed
    assert f"{data_folder}/torn\\xff.npz is not a readable .npz file" in given
    assert typed.isprintable() and given.isprintable()


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


@FUZZ
@given(
    labels=st.booleans(),
    layer=st.sampled_from(["raw", "inside-gzip", "gzip-bytes"]),
    edits=EDITS,
    cut=CUTS,
    extra=EXTRA,
    dims=st.one_of(st.none(), st.lists(st.sampled_from([0, 1, 3, 28, 2**16, 2**31, 2**32 - 1]), max_size=3)),
)
def test_read_idx_of_mutated_files_raises_only_dataset_errors(
    tmp_path, labels, layer, edits, cut, extra, dims
):
    content = idx_bytes(digit_labels(5) if labels else random_images(3))
    if dims:
        content = content[:4] + struct.pack(f">{len(dims)}I", *dims) + content[4 + 4 * len(dims) :]
    if layer == "gzip-bytes":
        content = mutate(gzip.compress(content), edits, cut, extra)
    else:
        content = mutate(content, edits, cut, extra)
        if layer == "inside-gzip":
            content = gzip.compress(content)
    path = tmp_path / "fuzz-idx-ubyte"
    path.write_bytes(content)

    only_dataset_errors(read_idx, path)


SMALL_NPZ = {
    compression: zip_bytes(
        {
            "x_train.npy": npy_bytes(random_images(2, seed=1)),
            "y_train.npy": npy_bytes(digit_labels(2)),
            "x_test.npy": npy_bytes(random_images(1, seed=2)),
            "y_test.npy": npy_bytes(digit_labels(1)),
        },
        compression,
    )
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
}


@FUZZ
@given(
    compression=st.sampled_from(sorted(SMALL_NPZ)),
    edits=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), max_size=6),
    tail_edits=st.lists(st.tuples(st.integers(1, 400), st.integers(0, 255)), max_size=4),
    cut=CUTS,
    extra=EXTRA,
)
def test_load_npz_of_mutated_archives_raises_only_dataset_errors(
    tmp_path, compression, edits, tail_edits, cut, extra
):
    """Byte edits anywhere and in the central directory at the end, cuts, appended bytes."""
    archive = SMALL_NPZ[compression]
    edits += [(len(archive) - back, value) for back, value in tail_edits]
    path = tmp_path / "fuzz.npz"
    path.write_bytes(mutate(archive, edits, cut, extra))

    only_dataset_errors(data.load_npz, path)


DESCRS = [
    "|u1", "|i1", "<i2", ">i4", "<u8", "<i8", "<f2", "<f4", ">f8", "<f16", "|b1", "<c8", ">c16",
    "|S3", "<U2", "|O", "<M8[s]", "<m8[D]", "|V4", "|V0", "<U0", "bogus", "",
    [("a", "<u1"), ("b", "<f4")], [("", "|u1")], ("<f4", (2,)), 7,
]  # fmt: skip
DIMS = st.one_of(st.integers(-2, 30), st.sampled_from([28, 784, 2**31, 2**63, 10**30]))


@FUZZ
@given(
    key=st.sampled_from(data.NPZ_KEYS),
    descr=st.sampled_from(DESCRS),
    shape=st.one_of(
        st.tuples(st.integers(0, 5), st.just(28), st.just(28)),
        st.lists(DIMS, max_size=4).map(tuple),
    ),
    fortran_order=st.booleans(),
    version=st.sampled_from([(1, 0), (2, 0)]),
    exact=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_load_npz_of_arrays_of_any_dtype_and_shape_raises_only_dataset_errors(
    tmp_path, key, descr, shape, fortran_order, version, exact, seed
):
    try:
        size = math.prod(shape) * np.dtype(descr).itemsize
    except (TypeError, ValueError):
        size = 10
    size = size if exact and 0 <= size <= 100_000 else seed % 5000
    header = {"descr": descr, "fortran_order": fortran_order, "shape": shape}
    buffer = io.BytesIO()
    write_header = (
        np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    )
    write_header(buffer, header)
    payload = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = npz_with(tmp_path, name="fuzz.npz", **{key: buffer.getvalue() + payload})

    only_dataset_errors(data.load_npz, path)
