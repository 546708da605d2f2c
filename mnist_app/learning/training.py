"""Training a model on a dataset, reporting live curve points to whoever listens.

Nothing here knows Streamlit: the Train page, the command line and the tests all listen
through the same `on_progress` callback, and stop a run through a `threading.Event`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.digit_arrays import NUM_CLASSES
from mnist_app.errors import UserError
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.architectures import ARCHITECTURES, build_model, float32_copy
from mnist_app.learning.augment import Augmentation, random_affine
from mnist_app.learning.curves import HISTORY_KEY, CurvePoint, history
from mnist_app.learning.limits import check_training_choices
from mnist_app.learning.precision import bfloat16_training

tensorflow_runtime.prepare()

import keras  # noqa: E402

PROGRESS_INTERVAL_S = 0.1
# Batches of 32 are tiny: run many per call into TensorFlow (one compiled loop), but few
# enough that the curves still move about ten times an epoch.
UPDATES_PER_EPOCH = 10
# Validation does no learning, so it may take big batches: the same figures, far fewer steps.
VALIDATION_BATCH_SIZE = 1024


def steps_per_call(arch: str, steps_per_epoch: int) -> int:
    """How many batches one call into TensorFlow runs (the callback wakes once per call)."""
    ceiling = ARCHITECTURES[arch].max_steps_per_call
    return max(1, min(ceiling, steps_per_epoch // UPDATES_PER_EPOCH))


@dataclass(frozen=True)
class TrainConfig:
    """What the learner chooses before pressing "Start training"."""

    arch: str = "mlp"
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    # A saved model to start from (fine-tuning), read afresh by the job; "" for new weights.
    base: str = ""

    def validate(self) -> None:
        """Raise UserError with a message fit for the user if a choice is out of range."""
        check_training_choices(self.arch, self.epochs, self.batch_size, self.learning_rate)


@dataclass(frozen=True)
class Progress:
    """What a listener hears during training: where it is and the newest curve points."""

    steps_done: int
    total_steps: int
    epoch: int
    epochs: int
    points: tuple[CurvePoint, ...]

    @property
    def fraction(self) -> float:
        return min(1.0, self.steps_done / max(1, self.total_steps))


@dataclass
class TrainResult:
    """A trained model and the figures the lab prints about it."""

    model: keras.Model
    config: TrainConfig
    dataset: str
    class_names: tuple[str, ...]
    test_loss: float
    test_accuracy: float
    epochs_completed: int
    epoch_seconds: list[float]
    seconds: float
    stopped_early: bool
    curve: list[CurvePoint] = field(default_factory=list)

    @property
    def test_error(self) -> float:
        return 1.0 - self.test_accuracy

    def metadata(self, **extra) -> dict:
        """What a saved model records about itself."""
        return {
            "arch": self.config.arch,
            "dataset": self.dataset,
            "classes": list(self.class_names),
            "epochs": self.config.epochs,
            "epochs_completed": self.epochs_completed,
            "stopped_early": self.stopped_early,
            "batch_size": self.config.batch_size,
            "learning_rate": self.config.learning_rate,
            "test_accuracy": round(self.test_accuracy, 6),
            "test_loss": round(self.test_loss, 6),
            "training_seconds": self.seconds,
            "epoch_seconds": self.epoch_seconds,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            HISTORY_KEY: history(self.curve),
            **({"fine_tuned_from": Path(self.config.base).stem} if self.config.base else {}),
            **extra,
        }


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


class LiveCurves(keras.callbacks.Callback):
    """Sends curve points about ten times an epoch (at most every 0.1 s); stops when asked."""

    def __init__(
        self,
        steps_per_epoch: int,
        epochs: int,
        on_progress: Callable[[Progress], None] | None,
        stop: threading.Event | None,
        interval_s: float = PROGRESS_INTERVAL_S,
    ):
        super().__init__()
        self.steps_per_epoch = steps_per_epoch
        self.epochs = epochs
        self.on_progress = on_progress
        self.stop = stop
        self.interval_s = interval_s
        self.curve: list[CurvePoint] = []
        self.epoch_seconds: list[float] = []
        self._epoch = 0
        self._epoch_started = 0.0
        self._last_sent = 0.0
        self._started = time.perf_counter()

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.stop is not None and self.stop.is_set():
            self.model.stop_training = True
        now = time.perf_counter()
        if now - self._last_sent < self.interval_s:
            return
        self._last_sent = now
        steps = self._epoch * self.steps_per_epoch + batch + 1
        self._send(steps, [self._point(steps / self.steps_per_epoch, "train", logs)])

    def on_epoch_end(self, epoch, logs=None):
        if self.model.stop_training:
            return
        self.epoch_seconds.append(time.perf_counter() - self._epoch_started)
        points = [
            self._point(epoch + 1, "train", logs),
            self._point(epoch + 1, "validation", logs, prefix="val_"),
        ]
        self._send((epoch + 1) * self.steps_per_epoch, points)

    def _point(self, epoch: float, split: str, logs, prefix: str = "") -> CurvePoint:
        logs = logs or {}
        return CurvePoint(
            epoch=round(float(epoch), 4),
            split=split,
            loss=float(logs.get(prefix + "loss", float("nan"))),
            accuracy=float(logs.get(prefix + "accuracy", float("nan"))),
            seconds=round(time.perf_counter() - self._started, 3),
        )

    def _send(self, steps: int, points: list[CurvePoint]) -> None:
        self.curve.extend(points)
        if self.on_progress is not None:
            total = self.epochs * self.steps_per_epoch
            self.on_progress(Progress(steps, total, self._epoch + 1, self.epochs, tuple(points)))


def starting_model(config: TrainConfig, bfloat16: bool = False) -> keras.Model:
    """New weights of `config.arch`, or the weights of the saved `config.base` to fine-tune.

    Always a new model: the loaded one the pages share for predictions must never be trained,
    and a CNN saved with Keras' random layers inside must not be augmented twice.
    """
    model = build_model(config.arch, config.learning_rate, bfloat16=bfloat16)
    if config.base:
        from mnist_app.learning.model_files import load_model

        base = load_model(Path(config.base))
        try:
            model.set_weights(base.get_weights())
        except ValueError as error:
            raise UserError(
                f"{Path(config.base).name} is not a {config.arch} model of this app: {error}"
            ) from None
    return model


def train(
    dataset: Dataset,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    seed: int | None = None,
) -> TrainResult:
    """Train a fresh model of `config.arch`, validating on the test split as the lab does.

    The loop is Keras' own for custom training (a `CallbackList` around `train_step`), with
    many steps per call into TensorFlow; `seed` fixes the shuffling, not the initial weights.
    Where the CPU has bfloat16 the CNN's steps compute in it; the model that comes back, and
    its final figures, are float32.
    """
    config.validate()
    if len(dataset.y_train) == 0:
        raise UserError(f"dataset {dataset.name!r} has no training images")
    started = time.perf_counter()
    architecture = ARCHITECTURES[config.arch]
    mixed = architecture.bfloat16 and bfloat16_training()
    model = starting_model(config, bfloat16=mixed)
    loop = StepLoop(model, dataset, architecture.augmentation)
    steps_per_epoch = -(-len(dataset.y_train) // config.batch_size)
    per_call = steps_per_call(config.arch, steps_per_epoch)
    curves = LiveCurves(steps_per_epoch, config.epochs, on_progress, stop)
    callbacks = keras.callbacks.CallbackList([curves], model=model)
    rng = np.random.default_rng(seed)

    callbacks.on_train_begin()
    for epoch in range(config.epochs):
        model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        steps_done = 0
        for batches, first, count in epoch_calls(len(dataset.y_train), config.batch_size, per_call, rng):
            logs = loop.run(batches, first, count)
            steps_done += count
            callbacks.on_train_batch_end(steps_done - 1, logs)
            if model.stop_training:
                break
        # Like `fit`, validate at the end of every epoch, a stopped one included: those are
        # the final figures, no need to evaluate the same model twice.
        test_loss, test_accuracy = loop.validate()
        callbacks.on_epoch_end(epoch, {**logs, "val_loss": test_loss, "val_accuracy": test_accuracy})
        if model.stop_training:
            break
    callbacks.on_train_end()
    if mixed:
        model = float32_copy(model, config.arch, config.learning_rate)
        from mnist_app.learning.evaluation import evaluate

        final = evaluate(model, dataset.x_test, dataset.y_test)
        test_loss, test_accuracy = final.loss, final.accuracy
    return TrainResult(
        model=model,
        config=config,
        dataset=dataset.name,
        class_names=dataset.class_names,
        test_loss=float(test_loss),
        test_accuracy=float(test_accuracy),
        epochs_completed=len(curves.epoch_seconds),
        epoch_seconds=[round(s, 3) for s in curves.epoch_seconds],
        seconds=round(time.perf_counter() - started, 3),
        stopped_early=len(curves.epoch_seconds) < config.epochs,
        curve=curves.curve,
    )
