"""Tests for mnist_app.data: IDX and .npz readers, named datasets, and the offline fallback."""

import gzip
import struct
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from mnist_app import data
from mnist_app.data import DatasetError, load_dataset, load_idx_dir, read_idx

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


def write_npz(path: Path, **arrays) -> Path:
    """Save arrays to an .npz; the defaults are a small valid Keras-layout dataset."""
    defaults = {
        "x_train": random_images(20, seed=1),
        "y_train": digit_labels(20),
        "x_test": random_images(10, seed=2),
        "y_test": digit_labels(10),
    }
    defaults.update(arrays)
    np.savez(path, **{key: value for key, value in defaults.items() if value is not None})
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
