"""Random turns, shifts and zooms of training digits, in one resampling pass a batch.

Keras' `RandomRotation`, `RandomTranslation` and `RandomZoom` layers each resample the whole
batch; composing the three into one affine map per digit does the same with a third of the
work, and keeps the saved network free of layers that only act while training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mnist_app.learning import tensorflow_runtime


@dataclass(frozen=True)
class Augmentation:
    """How far a training digit may move, as fractions in Keras' layers' sense.

    `rotation` of a full turn either way, `translation` of the image's size either way,
    `zoom` of its size in or out.
    """

    rotation: float = 0.0
    translation: float = 0.0
    zoom: float = 0.0


def random_affine(images, augmentation: Augmentation, seed=None):
    """`images` (batch, height, width) as float32, each turned, shifted and zoomed at random.

    Pixels from outside the image come in black, as the canvas and MNIST's borders are.
    `seed` (a shape-[2] int tensor) makes it stateless: the same seed, the same digits.
    """
    tensorflow_runtime.prepare()
    import tensorflow as tf

    batch = tf.shape(images)[0]
    height, width = images.shape[1], images.shape[2]

    def uniform(index: int, spread: float):
        if seed is None:
            return tf.random.uniform([batch], -spread, spread)
        return tf.random.stateless_uniform([batch], seed + index, -spread, spread)

    angle = uniform(0, augmentation.rotation) * 2 * math.pi
    scale = 1 + uniform(1, augmentation.zoom)
    shift_x = uniform(2, augmentation.translation) * width
    shift_y = uniform(3, augmentation.translation) * height
    return affine(images, angle, scale, shift_x, shift_y)


def affine(images, angle, scale, shift_x, shift_y):
    """Each image turned by `angle` (radians) and zoomed by `scale` about its centre, then
    shifted by (`shift_x`, `shift_y`) pixels; one value of each per image, bilinear."""
    tensorflow_runtime.prepare()
    import tensorflow as tf

    height, width = images.shape[1], images.shape[2]
    # Each output pixel reads the input at centre + scale * R(angle) (pixel - centre) - shift.
    centre_x, centre_y = (width - 1) / 2, (height - 1) / 2
    cos, sin = scale * tf.cos(angle), scale * tf.sin(angle)
    zero = tf.zeros_like(cos)
    transforms = tf.stack(
        [
            cos,
            -sin,
            centre_x - cos * centre_x + sin * centre_y - shift_x,
            sin,
            cos,
            centre_y - sin * centre_x - cos * centre_y - shift_y,
            zero,
            zero,
        ],
        axis=1,
    )
    moved = tf.raw_ops.ImageProjectiveTransformV3(
        images=images[..., None],
        transforms=transforms,
        output_shape=[height, width],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return moved[..., 0]
