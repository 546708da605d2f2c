"""Tests for mnist_app.datasets.sources: IDX folders, the named datasets and the offline fallback."""

import urllib.request
from pathlib import Path

import numpy as np
import pytest

from mnist_app.datasets import sources
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.datasets.dataset import DIGIT_NAMES, FASHION_NAMES
from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.datasets.sources import DOWNLOAD_ROOT, MNIST_SHA256, load_idx_dir
from tests.support.datasets import assert_frozen_uint8, digit_labels, random_images, write_npz, write_split

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


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
    assert dataset.class_names == DIGIT_NAMES
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
    assert sample.notice == "" and sample.operator_help == ""


def test_mnist_sample_keeps_the_last_100_of_each_digit_for_test_in_a_fixed_mixed_order(sample):
    """The CSV is sorted by digit; each split is shuffled the same way every time."""
    rows = np.loadtxt(sources.mnist_sample_path(), delimiter=",", dtype=np.uint8)
    images, labels = rows[:, :-1].reshape(-1, 28, 28), rows[:, -1]
    last = np.concatenate([np.flatnonzero(labels == digit)[-100:] for digit in range(10)])
    as_bytes = {image.tobytes() for image in images[last]}
    assert {image.tobytes() for image in sample.x_test} == as_bytes, "the same test digits as before"
    assert len(set(sample.y_train[:5].tolist())) >= 3, "the first training labels are mixed"
    again = sources.load_mnist_sample()
    np.testing.assert_array_equal(again.y_train, sample.y_train)
    np.testing.assert_array_equal(again.x_test, sample.x_test)


def test_auto_falls_back_to_sample_with_notice_when_download_fails(empty_keras_cache, monkeypatch):
    def failing_download(url, path, sha256=None):
        raise DatasetError("download failed: test")

    monkeypatch.setattr(sources, "_download", failing_download)

    dataset = load_dataset("auto")

    assert dataset.name == "mnist-sample"
    assert dataset.summary()["train"] == 4000
    assert dataset.notice == (
        "You are looking at 5,000 real MNIST digits that come with the app "
        "(4,000 to train on, 1,000 to test); the full MNIST has 70,000."
    )
    assert "download failed: test" in dataset.operator_help
    assert "mnist.npz" in dataset.operator_help
    assert "MNIST_APP_DATASET" in dataset.operator_help


def test_auto_uses_full_mnist_from_keras_cache_when_present(empty_keras_cache, monkeypatch):
    def unexpected_download(url, path, sha256=None):
        raise AssertionError("no download was needed")

    monkeypatch.setattr(sources, "_download", unexpected_download)
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
        sources._download(DOWNLOAD_ROOT + "mnist.npz", target, sha256=MNIST_SHA256)
    assert not target.exists()


def test_mnist_loads_from_keras_cache_npz(empty_keras_cache, monkeypatch):
    monkeypatch.setattr(sources, "_download", lambda *args, **kwargs: pytest.fail("downloaded"))
    train_x = random_images(20, seed=7)
    path = write_npz(empty_keras_cache / "mnist.npz", x_train=train_x)

    dataset = load_dataset("mnist")

    assert dataset.name == "mnist"
    assert str(path) in dataset.source
    assert dataset.class_names == DIGIT_NAMES
    np.testing.assert_array_equal(dataset.x_train, train_x)
    assert dataset.summary()["test"] == 10


def test_mnist_without_cache_offline_raises(empty_keras_cache, monkeypatch):
    monkeypatch.setenv("MNIST_APP_OFFLINE", "1")

    with pytest.raises(DatasetError, match="MNIST_APP_OFFLINE"):
        load_dataset("mnist")


def test_fashion_mnist_loads_from_debian_folder_with_fashion_class_names(empty_keras_cache, monkeypatch):
    if not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"{FASHION_DIR} is not installed")
    monkeypatch.setattr(sources, "_download", lambda *args, **kwargs: pytest.fail("downloaded"))

    dataset = load_dataset("fashion-mnist")

    assert dataset.name == "fashion-mnist"
    assert str(FASHION_DIR) in dataset.source
    assert dataset.class_names == FASHION_NAMES
    assert dataset.class_names[0] == "T-shirt/top"
    assert dataset.class_names[9] == "Ankle boot"
    assert_frozen_uint8(dataset.x_train, (60000, 28, 28))
    assert_frozen_uint8(dataset.x_test, (10000, 28, 28))
    assert dataset.summary()["classes"] == list(FASHION_NAMES)
    np.testing.assert_array_equal(np.bincount(dataset.y_test, minlength=10), [1000] * 10)
