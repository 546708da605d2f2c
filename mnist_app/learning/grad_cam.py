"""Grad-CAM: a convolutional layer's feature maps weighted by how much each raises the answer's
probability, put back on the image's pixels. `inspection.Inspector` traces it once per layer."""

from __future__ import annotations

from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.receptive_fields import evenly, grid_axes

tensorflow_runtime.prepare()

import tensorflow as tf  # noqa: E402


def grad_cam(outputs_and_probability, image: tf.Tensor, index: int, rows, columns) -> tf.Tensor:
    """ReLU of the conv layer's maps (output `index` of the graph) weighted by their mean gradient,
    each cell put on the pixels around its receptive field's centre (see receptive_fields).

    `outputs_and_probability(images)` gives the graph's outputs and the target's probability.
    """
    with tf.GradientTape() as tape:
        outputs, probability = outputs_and_probability(image[None])
        maps = outputs[index]
    weights = tf.reduce_mean(tape.gradient(probability, maps), axis=(1, 2), keepdims=True)
    cam = tf.cast(tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))[0], tf.float32)
    return rows @ cam @ tf.transpose(columns)


def cam_spread(pairs: list, conv) -> tuple[tf.Tensor, tf.Tensor]:
    """The matrices that put a conv layer's cells onto the image's rows and columns."""
    chain = pairs[: [layer for layer, _ in pairs].index(conv) + 1]
    shapes = [tuple(output.shape) for _, output in chain]
    axes = grid_axes([layer for layer, _ in chain], shapes)
    if axes is None:
        axes = evenly(shapes[-1][1]), evenly(shapes[-1][2])
    return tuple(tf.constant(axis.spread()) for axis in axes)
