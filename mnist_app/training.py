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

import keras
import numpy as np

from mnist_app.data import NUM_CLASSES, Dataset, to_model_input
from mnist_app.models import build_model, check_architecture

PROGRESS_INTERVAL_S = 0.1
# Batches of 32 are tiny: run many per call into TensorFlow (one compiled loop), but few
# enough that the curves still move about ten times an epoch.
UPDATES_PER_EPOCH = 10
# Validation does no learning, so it may take big batches: the same figures, far fewer steps.
VALIDATION_BATCH_SIZE = 1024


def steps_per_execution(arch: str, steps_per_epoch: int) -> int:
    """How many batches one call into TensorFlow runs (the callback wakes once per call)."""
    ceiling = check_architecture(arch).max_steps_per_execution
    return max(1, min(ceiling, steps_per_epoch // UPDATES_PER_EPOCH))


@dataclass(frozen=True)
class TrainConfig:
    """What the learner chooses before pressing "Start training"."""

    arch: str = "mlp"
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3

    def validate(self) -> None:
        """Raise ValueError with a message fit for the user if a choice is out of range."""
        check_architecture(self.arch)
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, not {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be at least 1, not {self.batch_size}")
        if not 0 < self.learning_rate <= 1:
            raise ValueError(f"learning rate must lie in (0, 1], not {self.learning_rate}")


@dataclass(frozen=True)
class CurvePoint:
    """One point of a loss/accuracy curve; `epoch` is fractional (1.5 = half way through 2)."""

    epoch: float
    split: str
    loss: float
    accuracy: float


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
            **extra,
        }


def shuffled_batches(images: np.ndarray, labels: np.ndarray, batch_size: int):
    """Batches reshuffled every epoch from tensors held in memory.

    Measured here: about a third less time an epoch than handing Keras the arrays, whose
    adapter slices them batch by batch.
    """
    import tensorflow as tf

    return (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(len(images), reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def one_hot(labels: np.ndarray) -> np.ndarray:
    """Labels as one-hot rows, for the lab's categorical cross-entropy."""
    return np.eye(NUM_CLASSES, dtype=np.float32)[labels]


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
        self.validation: tuple[float, float] | None = None
        self._epoch = 0
        self._epoch_started = 0.0
        self._last_sent = 0.0

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
        if logs and "val_loss" in logs:
            self.validation = (float(logs["val_loss"]), float(logs["val_accuracy"]))
        if self.model.stop_training:
            return
        self.epoch_seconds.append(time.perf_counter() - self._epoch_started)
        points = [self._point(epoch + 1, "train", logs)]
        if logs and "val_loss" in logs:
            points.append(self._point(epoch + 1, "validation", logs, prefix="val_"))
        self._send((epoch + 1) * self.steps_per_epoch, points)

    def _point(self, epoch: float, split: str, logs, prefix: str = "") -> CurvePoint:
        logs = logs or {}
        return CurvePoint(
            epoch=round(float(epoch), 4),
            split=split,
            loss=float(logs.get(prefix + "loss", float("nan"))),
            accuracy=float(logs.get(prefix + "accuracy", float("nan"))),
        )

    def _send(self, steps: int, points: list[CurvePoint]) -> None:
        self.curve.extend(points)
        if self.on_progress is not None:
            total = self.epochs * self.steps_per_epoch
            self.on_progress(Progress(steps, total, self._epoch + 1, self.epochs, tuple(points)))


def train(
    dataset: Dataset,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
) -> TrainResult:
    """Train a fresh model of `config.arch`, validating on the test split as the lab does."""
    config.validate()
    if len(dataset.y_train) == 0:
        raise ValueError(f"dataset {dataset.name!r} has no training images")
    started = time.perf_counter()
    x_train, y_train = to_model_input(dataset.x_train), one_hot(dataset.y_train)
    x_test, y_test = to_model_input(dataset.x_test), one_hot(dataset.y_test)
    steps_per_epoch = -(-len(x_train) // config.batch_size)
    model = build_model(config.arch, config.learning_rate, steps_per_execution(config.arch, steps_per_epoch))
    curves = LiveCurves(steps_per_epoch, config.epochs, on_progress, stop)
    model.fit(
        shuffled_batches(x_train, y_train, config.batch_size),
        epochs=config.epochs,
        validation_data=(x_test, y_test),
        validation_batch_size=VALIDATION_BATCH_SIZE,
        callbacks=[curves],
        shuffle=False,  # the batches come shuffled already
        verbose=0,
    )
    # Keras validates on the test split at the end of every epoch, a stopped one included:
    # those are the final figures, no need to evaluate the same model twice.
    test_loss, test_accuracy = curves.validation or model.evaluate(
        x_test, y_test, batch_size=VALIDATION_BATCH_SIZE, verbose=0
    )
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
