"""Less and noisier training data: exact counts, every class kept, seeded draws, the test split untouched."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_app.datasets.dataset import checked_dataset
from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.datasets.subsets import training_data, training_subset, with_label_noise


def numbered(n_train: int, labels_seed: int = 0, n_test: int = 20):
    """A dataset whose training image i carries i in its first two pixels, labels at random."""
    rng = np.random.default_rng(labels_seed)
    rows = np.arange(n_train)
    images = np.zeros((n_train, 28, 28), np.uint8)
    images[:, 0, 0], images[:, 0, 1] = rows % 256, rows // 256
    return checked_dataset(
        "numbered",
        "test",
        (images, rng.integers(0, 10, n_train)),
        (np.full((n_test, 28, 28), 7, np.uint8), rng.integers(0, 10, n_test)),
    )


def rows_of(dataset) -> np.ndarray:
    return dataset.x_train[:, 0, 0].astype(int) + 256 * dataset.x_train[:, 0, 1].astype(int)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(10, 400), data=st.data(), seed=st.integers(0, 2**31 - 1))
def test_a_subset_has_exactly_the_size_asked_every_class_and_each_image_with_its_label(n, data, seed):
    full = numbered(n, labels_seed=seed % 1000)
    size = data.draw(st.integers(0, n))
    subset = training_subset(full, size, seed)
    assert len(subset.y_train) == len(subset.x_train) == (size or n)
    rows = rows_of(subset)
    assert len(set(rows.tolist())) == len(rows), "no image twice"
    np.testing.assert_array_equal(subset.y_train, full.y_train[rows])
    assert list(rows) == sorted(rows), "in the dataset's own order"
    if size >= 10:
        assert set(subset.y_train.tolist()) == set(full.y_train.tolist())
    assert subset.x_test is full.x_test and subset.y_test is full.y_test
    assert not subset.x_train.flags.writeable and not subset.y_train.flags.writeable


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 400), fraction=st.floats(0, 0.5), seed=st.integers(0, 2**31 - 1))
def test_label_noise_changes_exactly_its_share_of_labels_each_to_another_class(n, fraction, seed):
    clean = numbered(n, labels_seed=seed % 1000)
    noisy, changed = with_label_noise(clean, fraction, seed)
    assert changed == round(fraction * n)
    assert int((noisy.y_train != clean.y_train).sum()) == changed
    assert noisy.y_train.min() >= 0 and noisy.y_train.max() <= 9
    assert noisy.x_train is clean.x_train
    assert noisy.x_test is clean.x_test and noisy.y_test is clean.y_test
    assert not noisy.y_train.flags.writeable


def test_the_same_seed_draws_the_same_images_and_labels_another_seed_others():
    full = numbered(1000)
    first, again, other = (training_data(full, 100, 0.3, seed) for seed in (5, 5, 6))
    np.testing.assert_array_equal(first[0].x_train, again[0].x_train)
    np.testing.assert_array_equal(first[0].y_train, again[0].y_train)
    assert first[1] == again[1] == 30
    assert not np.array_equal(rows_of(first[0]), rows_of(other[0]))


def test_changing_the_noise_keeps_the_images_drawn():
    full = numbered(1000)
    clean, none = training_data(full, 300, 0.0, 3)
    noisy, changed = training_data(full, 300, 0.15, 3)
    assert (none, changed) == (0, 45)
    np.testing.assert_array_equal(rows_of(clean), rows_of(noisy))
    assert int((clean.y_train != noisy.y_train).sum()) == 45


def test_wrong_labels_land_on_every_other_class_alike():
    """Over many draws, each wrong label is one of the nine others, none favoured."""
    full = checked_dataset(
        "sevens", "test", (np.zeros((9000, 28, 28)), np.full(9000, 7)), (np.zeros((1, 28, 28)), [0])
    )
    noisy, changed = with_label_noise(full, 0.5, 0)
    counts = np.bincount(noisy.y_train, minlength=10)
    assert changed == 4500 and counts[7] == 4500
    others = np.delete(counts, 7)
    assert others.sum() == 4500 and others.min() > 400 and others.max() < 600


def test_all_of_the_training_set_and_no_noise_is_the_dataset_itself():
    full = numbered(50)
    assert training_subset(full, 0) is full and training_subset(full, 50) is full
    assert with_label_noise(full, 0.0) == (full, 0)
    assert with_label_noise(full, 0.009)[1] == 0, "under half a label rounds to none"


def test_a_subset_smaller_than_the_classes_still_draws_its_size():
    assert len(training_subset(numbered(100), 3, 1).y_train) == 3


@pytest.mark.parametrize(
    ("draw", "words"),
    [
        (lambda d: training_subset(d, 51), "has 50 training images; cannot train on 51"),
        (lambda d: training_subset(d, -1), "cannot train on -1"),
        (lambda d: with_label_noise(d, 0.6), "label noise must lie in 0..0.5, not 0.6"),
        (lambda d: with_label_noise(d, float("nan")), "label noise must lie in 0..0.5"),
    ],
)
def test_impossible_choices_are_refused_in_words(draw, words):
    with pytest.raises(DatasetError, match=words):
        draw(numbered(50))
