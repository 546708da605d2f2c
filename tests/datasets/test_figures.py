"""The Explore page's figures, computed the fast way, equal the plain way's."""

import numpy as np
import pytest

from mnist_app.datasets import figures
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.figures import pixel_histogram
from tests.support.datasets import write_split


def test_figures_equal_the_plain_computation(sample):
    got = figures.figures(sample)
    np.testing.assert_array_equal(got["histogram"], np.bincount(sample.x_train.ravel(), minlength=256))
    np.testing.assert_array_equal(got["train_counts"], np.bincount(sample.y_train, minlength=10))
    np.testing.assert_array_equal(got["test_counts"], np.bincount(sample.y_test, minlength=10))
    assert abs(got["mean"] - sample.x_train.mean()) < 1e-9
    assert abs(got["std"] - sample.x_train.std()) < 1e-9
    for label in range(10):
        plain = sample.x_train[sample.y_train == label].mean(axis=0)
        np.testing.assert_allclose(got["mean_images"][label], plain, atol=1e-3)


def test_a_class_without_images_has_no_mean_and_an_empty_split_no_pixels():
    images = np.zeros((3, 28, 28), np.uint8)
    empty = Dataset("x", "x", images, np.array([1, 1, 2], np.uint8), images[:0], np.zeros(0, np.uint8))
    got = figures.figures(empty)
    assert got["train_counts"][0] == 0 and not got["mean_images"][0].any()
    assert got["mean_images"][1].shape == (28, 28)
    none = Dataset("x", "x", images[:0], np.zeros(0, np.uint8), images[:0], np.zeros(0, np.uint8))
    assert figures.figures(none)["mean"] == 0.0 and pixel_histogram(images[:0]).sum() == 0


@pytest.fixture
def cached_idx(tmp_path, monkeypatch):
    """A folder of IDX files and a cache of its own: the second load maps the decoded arrays."""
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(7)
    x_train, y_train = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), np.arange(40, dtype=np.uint8) % 9
    write_split(tmp_path, "train", x_train, y_train)
    write_split(tmp_path, "t10k", x_train[:10], y_train[:10])
    load_dataset(str(tmp_path))
    return tmp_path


def overflowing_histogram():
    """Bins that wrap around int64 to the right total: 2**63 + 2**63 + the real count."""
    histogram = np.zeros(256, np.int64)
    histogram[0], histogram[1], histogram[2] = np.iinfo(np.int64).min, np.iinfo(np.int64).min, 40 * 784
    return histogram


def kept_files(folder):
    return sorted((folder / "cache").glob("*/explore-figures-*.npz"))


def assert_same_figures(got, wanted):
    assert got.keys() == wanted.keys()
    for key in wanted:
        np.testing.assert_array_equal(got[key], wanted[key])


def test_a_cached_datasets_figures_are_kept_beside_its_arrays_and_read_after_a_restart(
    cached_idx, monkeypatch
):
    data = load_dataset(str(cached_idx))
    first = figures.kept_figures(data)
    assert len(kept_files(cached_idx)) == 1
    monkeypatch.setattr(figures, "figures", lambda data: pytest.fail("computed again"))

    again = figures.kept_figures(load_dataset(str(cached_idx)))

    assert_same_figures(again, first)
    assert again["train_counts"][9] == 0 and not again["mean_images"][9].any()


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"not an npz"),
        lambda path: path.write_bytes(b""),
        lambda path: np.savez(path, histogram=np.zeros(3)),
        lambda path: np.savez(path, **{**np.load(path), "mean_images": np.zeros((10, 5, 5))}),
        lambda path: np.savez(path, **{**np.load(path), "mean": np.array("a sentence")}),
        lambda path: np.savez_compressed(path, **np.load(path)),
        lambda path: np.savez(path, **np.load(path), padding=np.zeros(2_000_000, np.uint8)),
        lambda path: np.savez(path, **{**np.load(path), "mean": np.array(np.nan), "std": np.array(np.inf)}),
        lambda path: np.savez(path, **{**np.load(path), "train_counts": np.roll(np.load(path)["train_counts"], 1)}),
        lambda path: np.savez(path, **{**np.load(path), "train_counts": np.array([-4, *[5] * 8, 43])}),
        lambda path: np.savez(path, **{**np.load(path), "histogram": overflowing_histogram()}),
        lambda path: np.savez(path, **{**np.load(path), "mean_images": np.full((10, 28, 28), np.nan, np.float32)}),
    ],
    ids=[
        "garbage", "empty", "missing-keys", "wrong-shape", "text", "compressed", "too-big",
        "nan-mean", "moved-counts", "negative-counts", "overflowing-histogram", "nan-mean-images",
    ],
)  # fmt: skip
def test_damaged_kept_figures_are_computed_again_and_replaced(cached_idx, damage, monkeypatch):
    data = load_dataset(str(cached_idx))
    wanted = figures.figures(data)
    figures.kept_figures(data)
    (kept,) = kept_files(cached_idx)
    damage(kept)

    assert_same_figures(figures.kept_figures(data), wanted)
    monkeypatch.setattr(figures, "figures", lambda data: pytest.fail("computed again"))
    assert_same_figures(figures.kept_figures(data), wanted)
    assert kept_files(cached_idx) == [kept] and not list((cached_idx / "cache").glob("*/.*"))


def test_figures_of_arrays_not_from_the_cache_are_computed_and_kept_nowhere(sample, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path / "cache"))

    assert_same_figures(figures.kept_figures(sample), figures.figures(sample))
    assert not kept_files(tmp_path)


def test_the_figures_as_computed_pass_their_own_check_and_other_datasets_figures_do_not(sample):
    computed = figures.figures(sample)
    assert figures.looks_like_figures(computed, sample)
    assert not figures.looks_like_figures({**computed, "test_counts": computed["test_counts"] * 2}, sample)


def test_a_slice_of_a_cached_dataset_is_not_filed_under_the_whole(cached_idx):
    data = load_dataset(str(cached_idx))
    part = Dataset("part", "part", data.x_train[:10], data.y_train[:10], data.x_test, data.y_test)

    assert_same_figures(figures.kept_figures(part), figures.figures(part))
    assert not kept_files(cached_idx)


@pytest.mark.parametrize("plant", ["link", "folder", "read-only entry"])
def test_a_kept_file_that_cannot_be_written_or_is_not_a_file_only_costs_the_computing(
    cached_idx, tmp_path, plant
):
    data = load_dataset(str(cached_idx))
    (entry,) = (cached_idx / "cache").iterdir()
    outside = tmp_path / "outside.npz"
    if plant == "link":
        (entry / f"{figures.KEPT_AS}.npz").symlink_to(outside)
    elif plant == "folder":
        (entry / f"{figures.KEPT_AS}.npz").mkdir()
    else:
        entry.chmod(0o500)
    try:
        assert_same_figures(figures.kept_figures(data), figures.figures(data))
    finally:
        entry.chmod(0o700)
    assert not outside.exists(), "nothing is written through a planted link"
    assert not list(entry.glob(".*"))


def test_kept_figures_are_read_only(cached_idx):
    data = load_dataset(str(cached_idx))
    for kept in (figures.kept_figures(data), figures.kept_figures(data)):
        assert not any(array.flags.writeable for array in kept.values())
