"""Where each cell of a convolutional layer's output looks in the image, so Grad-CAM's coarse
map lands on the pixels it is about.

A network without padding shrinks the image at every layer: the shipped CNN's last
convolution gives 8x8 cells whose receptive fields are centred on pixels 6.5, 8.5, ... 20.5,
not spread over 0..27. Resizing that map to 28x28 (`tf.image.resize`) stretches it 1.75 times
from the middle, so a patch found near the ink is drawn off it. Here each cell's centre is
worked out from the layers' kernels, strides and padding, and the map is spread onto the
pixels around those centres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.learning import tensorflow_runtime

tensorflow_runtime.prepare()

import keras  # noqa: E402

WINDOWED = (
    keras.layers.Conv2D,
    keras.layers.SeparableConv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.MaxPooling2D,
    keras.layers.AveragePooling2D,
)


@dataclass(frozen=True)
class Axis:
    """One axis of a grid of cells: how many, the first one's centre and the distance between
    neighbours' centres, in the image's pixels (pixel j's centre is at j)."""

    cells: int
    start: float
    jump: float

    def centres(self) -> np.ndarray:
        return self.start + self.jump * np.arange(self.cells)

    def spread(self, size: int = IMAGE_SIZE) -> np.ndarray:
        """(size, cells) weights that put one value per cell onto the pixels: straight lines
        between neighbouring centres, falling to zero one cell's distance beyond the outer ones.

        `rows @ cells @ columns.T` is then the map at the image's size.
        """
        distance = (np.arange(size)[:, None] - self.centres()[None]) / self.jump
        return np.clip(1.0 - np.abs(distance), 0.0, None).astype(np.float32)


def evenly(cells: int, size: int = IMAGE_SIZE) -> Axis:
    """Cells spread evenly over the image, as `tf.image.resize` assumes: for a grid whose
    layers this module cannot follow."""
    return Axis(cells, (size / cells - 1) / 2, size / cells)


def _window(layer) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], str] | None:
    """Kernel (or pool) size, strides, dilation and padding of a windowed layer."""
    if not isinstance(layer, WINDOWED) or getattr(layer, "data_format", "channels_last") != "channels_last":
        return None
    size = layer.pool_size if hasattr(layer, "pool_size") else layer.kernel_size
    dilation = getattr(layer, "dilation_rate", (1, 1))
    return tuple(size), tuple(layer.strides), tuple(dilation), layer.padding


def _through_window(axis: Axis, size: int, stride: int, dilation: int, padding: str) -> Axis:
    """The axis after one windowed layer, padded as TensorFlow pads ("same": the extra on the end)."""
    reach = (size - 1) * dilation + 1
    if padding == "same":
        cells = -(-axis.cells // stride)
        before = max((cells - 1) * stride + reach - axis.cells, 0) // 2
    else:
        cells, before = (axis.cells - reach) // stride + 1, 0
    return Axis(cells, axis.start + ((reach - 1) / 2 - before) * axis.jump, axis.jump * stride)


def grid_axes(layers: list, shapes: list[tuple]) -> tuple[Axis, Axis] | None:
    """The rows and columns of the last layer's output, from the image through `layers`, each
    given with its output shape; None if some layer moves the grid in a way not followed here
    (a dense layer on the image's rows, upsampling, a grid not of the image's own pixels)."""
    rows = columns = Axis(IMAGE_SIZE, 0.0, 1.0)
    for layer, shape in zip(layers, shapes, strict=True):
        if len(shape) < 3:
            return None
        window = _window(layer)
        if window is not None:
            (height, width), (down, across), (tall, wide), padding = window
            rows = _through_window(rows, height, down, tall, padding)
            columns = _through_window(columns, width, across, wide, padding)
        elif isinstance(layer, keras.layers.ZeroPadding2D):
            (top, bottom), (left, right) = layer.padding
            rows = Axis(rows.cells + top + bottom, rows.start - top * rows.jump, rows.jump)
            columns = Axis(columns.cells + left + right, columns.start - left * columns.jump, columns.jump)
        elif isinstance(layer, keras.layers.Cropping2D):
            (top, bottom), (left, right) = layer.cropping
            rows = Axis(rows.cells - top - bottom, rows.start + top * rows.jump, rows.jump)
            columns = Axis(columns.cells - left - right, columns.start + left * columns.jump, columns.jump)
        if tuple(shape[1:3]) != (rows.cells, columns.cells):
            return None
    return rows, columns
