"""Many training steps per call into TensorFlow, over data held as tensors: the trainer's inner loop.

`training.train` runs it epoch by epoch; it knows nothing of curves, callbacks or stopping.
"""

from __future__ import annotations

import numpy as np

from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.digit_arrays import NUM_CLASSES
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.augment import Augmentation, random_affine

tensorflow_runtime.prepare()

import keras  # noqa: E402

# Validation does no learning, so it may take big batches: the same figures, far fewer steps.
VALIDATION_BATCH_SIZE = 1024


class StepLoop:
    """Runs many training steps per call into TensorFlow, over data it holds as tensors.

    The lab's batches of 32 are tiny: with `fit`, TensorFlow pays a dispatch and an input
    pipeline hop for each one. Here one compiled `tf.while_loop` takes a tenth of an epoch
    of shuffled row indices and runs Keras' own `train_step` on each batch of them, fused
    by XLA where the architecture allows: the same optimizer steps, far less overhead.
    Validation is one compiled loop too (a third of `evaluate`'s time on the MLP here).
    With an `augmentation`, each training batch is turned, shifted and zoomed at random first.
    """

    def __init__(self, model: keras.Model, dataset: Dataset, augmentation: Augmentation | None = None):
        import tensorflow as tf

        self._model = model
        self._augmentation = augmentation
        self._train = tf.constant(dataset.x_train), tf.constant(dataset.y_train.astype(np.int32))
        self._test = tf.constant(dataset.x_test), tf.constant(dataset.y_test.astype(np.int32))
        self._test_batches = padded_batches(len(dataset.y_test), VALIDATION_BATCH_SIZE)
        # XLA or not, as the architecture's model was compiled (`architectures.build_model`).
        self._run = tf.function(self._steps, jit_compile=model.jit_compile, reduce_retracing=True)
        self._validate = tf.function(self._validation, jit_compile=model.jit_compile)

    def run(self, batches: np.ndarray, first: int, count: int) -> dict[str, float]:
        """Train on `batches[first : first + count]` (rows of indices); the epoch's running metrics."""
        logs = self._run(batches, np.int32(first), np.int32(count))
        return {name: float(value) for name, value in logs.items()}

    def validate(self) -> tuple[float, float]:
        """Loss and accuracy on the whole test split, as `model.evaluate` gives them."""
        loss, accuracy = self._validate(*self._test_batches)
        return float(loss), float(accuracy)

    def _steps(self, batches, first, count):
        import tensorflow as tf

        def one_step(step):
            images, labels = _batch(*self._train, tf.gather(batches, first + step))
            if self._augmentation is not None:
                images = random_affine(images, self._augmentation)
            self._model.train_step((images, labels))
            return step + 1

        tf.while_loop(lambda step: step < count, one_step, [tf.constant(0)])
        return self._model.get_metrics_result()

    def _validation(self, batches, weights):
        import tensorflow as tf

        def one_batch(i, loss, correct):
            images, labels = _batch(*self._test, batches[i])
            probabilities = self._model(images, training=False)
            losses = keras.losses.categorical_crossentropy(labels, probabilities)
            hits = tf.cast(tf.argmax(probabilities, axis=1) == tf.argmax(labels, axis=1), tf.float32)
            return (
                i + 1,
                loss + tf.reduce_sum(losses * weights[i]),
                correct + tf.reduce_sum(hits * weights[i]),
            )

        zero = tf.constant(0.0)
        _, loss, correct = tf.while_loop(
            lambda i, *_: i < tf.shape(batches)[0], one_batch, [tf.constant(0), zero, zero]
        )
        total = tf.reduce_sum(weights)
        return loss / total, correct / total


def _batch(images, labels, rows):
    """The model's input for some rows: scaled like `dataset.to_model_input`, labels one-hot."""
    import tensorflow as tf

    scaled = tf.cast(tf.gather(images, rows), tf.float32) / 255.0
    return scaled, tf.one_hot(tf.gather(labels, rows), NUM_CLASSES)


def padded_batches(n_images: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every row once, as equal batches: the last padded with row 0, which weighs nothing."""
    n_batches = -(-n_images // batch_size)
    rows = np.zeros(n_batches * batch_size, dtype=np.int32)
    rows[:n_images] = np.arange(n_images)
    weights = (np.arange(n_batches * batch_size) < n_images).astype(np.float32)
    return rows.reshape(n_batches, batch_size), weights.reshape(n_batches, batch_size)


def epoch_batches(n_images: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """This epoch's shuffled row indices as batches: one array of full batches, then the rest."""
    order = rng.permutation(n_images).astype(np.int32)
    full = n_images // batch_size * batch_size
    arrays = [order[:full].reshape(-1, batch_size)] if full else []
    if full < n_images:
        arrays.append(order[full:][np.newaxis])
    return arrays


def epoch_calls(n_images: int, batch_size: int, per_call: int, rng: np.random.Generator):
    """This epoch's calls into TensorFlow: (batches, first, count) for `StepLoop.run`."""
    for batches in epoch_batches(n_images, batch_size, rng):
        for first in range(0, len(batches), per_call):
            yield batches, first, min(per_call, len(batches) - first)
