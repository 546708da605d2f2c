"""The Explore page's figures, computed the fast way, equal the plain way's."""

import numpy as np

from mnist_app.data import Dataset
from mnist_app.summaries import figures, pixel_histogram


def test_figures_equal_the_plain_computation(sample):
    got = figures(sample)
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
    got = figures(empty)
    assert got["mean_images"][0] is None and got["mean_images"][1] is not None
    none = Dataset("x", "x", images[:0], np.zeros(0, np.uint8), images[:0], np.zeros(0, np.uint8))
    assert figures(none)["mean"] == 0.0 and pixel_histogram(images[:0]).sum() == 0
