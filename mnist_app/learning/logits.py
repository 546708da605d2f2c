"""The numbers a model's softmax turns into probabilities, for gradients that survive a sure answer.

An attack's gradient, and temperature scaling, need the logits: through the softmax, a
probability that float32 rounds to 1 has no gradient left, and its logarithm loses how sure
the model was. Where the last layer is no softmax over known inputs, the log of the
probabilities stands in (the same up to a constant per image, which the softmax ignores).
"""

from __future__ import annotations

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.inspection import graph_outputs, output_logits

tensorflow_runtime.prepare()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

BATCH_SIZE = 1024
# The smallest probability whose log stands in for a logit: float32's smallest normal number.
SMALLEST_PROBABILITY = float(np.finfo(np.float32).tiny)


class Logits:
    """One loaded model's logits and probabilities, callable inside a `tf.function`."""

    def __init__(self, model: keras.Model):
        inputs, pairs, last_input = graph_outputs(model)
        self._last = pairs[-1][0]
        self._graph = keras.Model(inputs, [pairs[-1][1], last_input], name=f"{model.name}_logits")
        self._batch = tf.function(
            self.__call__, input_signature=[tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32)]
        )

    def __call__(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(logits, probabilities) for a batch of [0, 1] images, as tensors."""
        probabilities, last_input = self._graph(images, training=False)
        logits = output_logits(self._last, last_input)
        if logits is None:
            logits = tf.math.log(tf.maximum(probabilities, SMALLEST_PROBABILITY))
        return tf.cast(logits, tf.float32), tf.cast(probabilities, tf.float32)

    def of(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(logits, probabilities) for uint8 or [0, 1] images, in batches, as arrays."""
        images = to_model_input(np.asarray(images))
        logits, probabilities = [], []
        for start in range(0, len(images), BATCH_SIZE):
            batch_logits, batch_probabilities = self._batch(images[start : start + BATCH_SIZE])
            logits.append(batch_logits.numpy())
            probabilities.append(batch_probabilities.numpy())
        if not logits:
            return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
        return np.concatenate(logits), np.concatenate(probabilities)
