"""Receptive-field centres checked against Keras itself: with every kernel all ones and no
activation, the pixels a cell's gradient reaches are its receptive field."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from mnist_app.learning.receptive_fields import Axis, evenly, grid_axes


def conv(kernel, **options):
    """A convolution of one filter, its kernel all ones, no bias, no activation."""
    return keras.layers.Conv2D(1, kernel, use_bias=False, kernel_initializer="ones", **options)


NETWORKS = {
    "the shipped CNN's grid": lambda: [conv(3), conv(3), keras.layers.AveragePooling2D(2), conv(3), conv(3)],
    "strided, even and dilated, same padding": lambda: [
        conv(3, strides=2, padding="same"),
        conv(4, padding="same"),
        keras.layers.BatchNormalization(),
        conv(3, dilation_rate=2),
        keras.layers.DepthwiseConv2D(3, strides=2, use_bias=False, depthwise_initializer="ones"),
    ],
    "padded, pooled with overlap and cropped": lambda: [
        keras.layers.ZeroPadding2D(((2, 1), (0, 3))),
        conv((5, 3)),
        keras.layers.AveragePooling2D(pool_size=3, strides=2, padding="same"),
        keras.layers.Cropping2D(((1, 0), (2, 1))),
        conv(2, strides=(1, 2)),
    ],
}


def axes_of(model):
    return grid_axes(model.layers, [tuple(layer.output.shape) for layer in model.layers])


def reached(model, row: int, column: int) -> tuple[np.ndarray, np.ndarray]:
    """The image's rows and columns that cell (row, column) of the output depends on."""
    x = tf.ones((1, 28, 28))
    with tf.GradientTape() as tape:
        tape.watch(x)
        cell = model(x, training=False)[0, row, column, 0]
    gradient = tape.gradient(cell, x)[0].numpy()
    return np.flatnonzero(gradient.any(axis=1)), np.flatnonzero(gradient.any(axis=0))


@pytest.mark.parametrize("network", NETWORKS)
def test_each_cells_centre_is_the_middle_of_the_pixels_it_sees(network):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)), *NETWORKS[network]()])
    rows, columns = axes_of(model)
    assert (rows.cells, columns.cells) == tuple(model.layers[-1].output.shape[1:3])
    checked = 0
    for i, centre_row in enumerate(rows.centres()):
        for j, centre_column in enumerate(columns.centres()):
            seen_rows, seen_columns = reached(model, i, j)
            # A field cut by the image's edge (padding) has its middle elsewhere: inner cells only.
            if min(seen_rows[0], seen_columns[0]) == 0 or max(seen_rows[-1], seen_columns[-1]) == 27:
                continue
            assert (seen_rows[0] + seen_rows[-1]) / 2 == pytest.approx(centre_row)
            assert (seen_columns[0] + seen_columns[-1]) / 2 == pytest.approx(centre_column)
            checked += 1
    assert checked >= 4


def test_the_shipped_cnns_last_cells_look_at_the_middle_of_the_image():
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)), *NETWORKS["the shipped CNN's grid"]()]
    )
    rows, columns = axes_of(model)
    assert rows == columns == Axis(8, 6.5, 2.0)
    np.testing.assert_array_equal(rows.centres(), [6.5, 8.5, 10.5, 12.5, 14.5, 16.5, 18.5, 20.5])


def test_spreading_interpolates_between_centres_and_fades_beyond_them():
    spread = Axis(3, 10.0, 4.0).spread(size=24)
    assert spread.shape == (24, 3)
    np.testing.assert_allclose(spread[10], [1, 0, 0])
    np.testing.assert_allclose(spread[12], [0.5, 0.5, 0])
    np.testing.assert_allclose(spread[17], [0, 0.25, 0.75])
    np.testing.assert_allclose(spread[19], [0, 0, 0.75])
    np.testing.assert_allclose(spread[8], [0.5, 0, 0])
    assert not spread[:7].any() and not spread[22:].any(), (
        "nothing beyond a cell's distance from the outer centres"
    )


def test_evenly_spread_cells_are_where_tf_image_resize_puts_them():
    """Resizing each cell's own centre gives back each pixel's place, between the outer centres."""
    centres = evenly(8).centres().astype(np.float32)
    resized = tf.image.resize(centres[None, :, None, None], (28, 1))[0, :, 0, 0].numpy()
    inside = np.arange(2, 26)
    np.testing.assert_allclose(resized[inside], inside, atol=1e-5)


def test_a_grid_not_of_the_images_pixels_is_not_followed():
    """A dense layer on the image's rows, then a convolution: its columns are units, not pixels."""
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Dense(16),
            keras.layers.Reshape((28, 16, 1)),
            keras.layers.Conv2D(2, 3),
        ]
    )
    assert axes_of(model) is None
