"""The CNN's training augmentation: one random turn, shift and zoom a digit, in one pass."""

import numpy as np
import pytest

from mnist_app.learning.augment import Augmentation, random_affine


def batch(sample, count=16):
    return (sample.x_test[:count] / 255).astype(np.float32)


def seed(value):
    import tensorflow as tf

    return tf.constant([value, 0], dtype=tf.int32)


def centres(images):
    rows, cols = np.indices(images.shape[1:])
    mass = images.sum(axis=(1, 2))
    return np.stack(
        [(images * rows).sum(axis=(1, 2)) / mass, (images * cols).sum(axis=(1, 2)) / mass], axis=1
    )


def test_no_movement_leaves_the_digits_as_they_are(sample):
    images = batch(sample)
    moved = np.asarray(random_affine(images, Augmentation(), seed(0)))
    np.testing.assert_allclose(moved, images, atol=1e-6)


def test_a_shift_moves_each_digit_by_at_most_the_fraction_asked(sample):
    images = batch(sample)
    moved = np.asarray(random_affine(images, Augmentation(translation=0.1), seed(1)))
    shift = np.abs(centres(moved) - centres(images))
    assert shift.max() <= 0.1 * 28 + 0.5
    assert shift.max() > 1, "some digit moved by more than a pixel"
    assert len({tuple(np.round(s, 2)) for s in shift}) == len(images), "each digit moves its own way"


def test_turns_and_zooms_keep_the_digit_whole_and_in_range(sample):
    images = batch(sample)
    moved = np.asarray(
        random_affine(images, Augmentation(rotation=0.04, translation=0.08, zoom=0.08), seed(2))
    )
    assert moved.shape == images.shape and moved.dtype == np.float32
    assert moved.min() >= 0 and moved.max() <= 1 + 1e-6
    ink = moved.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert np.all((ink > 0.75) & (ink < 1.3)), "zooming by 8% changes the ink by about 16% at most"
    assert not np.allclose(moved, images)


def test_the_same_seed_gives_the_same_digits_and_another_seed_others(sample):
    images, augmentation = batch(sample), Augmentation(rotation=0.04, translation=0.08, zoom=0.08)
    first, again = (np.asarray(random_affine(images, augmentation, seed(3))) for _ in range(2))
    other = np.asarray(random_affine(images, augmentation, seed(4)))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("quarter", [1, -1])
def test_a_quarter_turn_stands_a_bar_on_end(quarter):
    from mnist_app.learning.augment import affine

    bar = np.zeros((1, 28, 28), np.float32)
    bar[0, 13, 4:24] = 1
    one = np.ones(1, np.float32)
    turned = np.asarray(affine(bar, quarter * one * np.pi / 2, one, 0 * one, 0 * one))[0]
    np.testing.assert_allclose(turned.sum(), bar.sum(), atol=0.5)
    assert turned[4:24, 13:15].sum() > 0.9 * bar.sum(), "the ink stands in the middle columns"


def test_a_shift_moves_right_and_down_by_the_pixels_given():
    from mnist_app.learning.augment import affine

    dot = np.zeros((1, 28, 28), np.float32)
    dot[0, 10, 10] = 1
    one = np.ones(1, np.float32)
    moved = np.asarray(affine(dot, 0 * one, one, 3 * one, 5 * one))[0]
    assert moved[15, 13] == pytest.approx(1)
