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
from mnist_app.datasets.subsets import training_data
from mnist_app.errors import UserError
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.architectures import Architecture, architecture_for, build_model, float32_copy
from mnist_app.learning.curves import HISTORY_KEY, CurvePoint, history
from mnist_app.learning.precision import bfloat16_training
from mnist_app.learning.step_loop import StepLoop, epoch_calls
from mnist_app.learning.training_choices import TrainConfig
from mnist_app.learning.trust_settings import TrustSettings, measure
from mnist_app.learning.weight_history import WEIGHTS_KEY, WeightRecorder, WeightSnapshot
from mnist_app.learning.weight_history import as_description as weight_history

tensorflow_runtime.prepare()

import keras  # noqa: E402

PROGRESS_INTERVAL_S = 0.1
# Batches of 32 are tiny: run many per call into TensorFlow (one compiled loop), but few
# enough that the curves still move about ten times an epoch.
UPDATES_PER_EPOCH = 10


def steps_per_call(architecture: Architecture, steps_per_epoch: int) -> int:
    """How many batches one call into TensorFlow runs (the callback wakes once per call)."""
    return max(1, min(architecture.max_steps_per_call, steps_per_epoch // UPDATES_PER_EPOCH))


@dataclass(frozen=True)
class Progress:
    """What a listener hears during training: where it is, the newest curve points and, at the
    start and at each epoch's end, the weights' snapshot."""

    steps_done: int
    total_steps: int
    epoch: int
    epochs: int
    points: tuple[CurvePoint, ...]
    weights: tuple[WeightSnapshot, ...] = ()

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
    weights: list[WeightSnapshot] = field(default_factory=list)
    # The training images learnt from, the test images checked on each epoch, how many training
    # labels were made wrong, and whether each batch was turned, shifted and zoomed at random.
    train_size: int = 0
    test_images: int = 0
    noisy_labels: int = 0
    augmented: bool = False
    # The not-a-digit threshold and the temperature, measured on the test split's held-apart half.
    trust: TrustSettings = field(default_factory=TrustSettings)

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
            # A run whose weights overflowed has no loss left to keep: null, which readers allow.
            "test_loss": round(self.test_loss, 6) if np.isfinite(self.test_loss) else None,
            "training_seconds": self.seconds,
            "epoch_seconds": self.epoch_seconds,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            HISTORY_KEY: history(self.curve),
            **({WEIGHTS_KEY: weight_history(self.weights)} if self.weights else {}),
            "layers": [layer.as_dict() for layer in self.config.design],
            "optimizer": self.config.optimizer,
            "augment": self.augmented,
            "train_size": self.train_size,
            "test_images": self.test_images,
            "label_noise": float(self.config.label_noise),
            "noisy_labels": self.noisy_labels,
            "seed": int(self.config.seed),
            **({"fine_tuned_from": Path(self.config.base).stem} if self.config.base else {}),
            **self.trust.as_metadata(),
            **extra,
        }


class LiveCurves(keras.callbacks.Callback):
    """Sends curve points about ten times an epoch (at most every 0.1 s), and the weights'
    snapshot before the first epoch and after each; stops when asked."""

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
        self.weights: list[WeightSnapshot] = []
        self._recorder: WeightRecorder | None = None
        self._unsent: tuple[WeightSnapshot, ...] = ()
        self._epoch = 0
        self._epoch_started = 0.0
        self._last_sent = 0.0
        self._started = time.perf_counter()

    def on_train_begin(self, logs=None):
        # Epoch 0 travels with the first curve point: every Progress carries points.
        self._recorder = WeightRecorder(self.model)
        self._unsent = self._snapshot(0)
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
        self._send((epoch + 1) * self.steps_per_epoch, points, self._snapshot(epoch + 1))

    def _snapshot(self, epoch: int) -> tuple[WeightSnapshot, ...]:
        snapshot = self._recorder.record(epoch)
        self.weights.append(snapshot)
        return (snapshot,)

    def _point(self, epoch: float, split: str, logs, prefix: str = "") -> CurvePoint:
        logs = logs or {}
        return CurvePoint(
            epoch=round(float(epoch), 4),
            split=split,
            loss=float(logs.get(prefix + "loss", float("nan"))),
            accuracy=float(logs.get(prefix + "accuracy", float("nan"))),
            seconds=round(time.perf_counter() - self._started, 3),
        )

    def _send(self, steps: int, points: list[CurvePoint], weights: tuple[WeightSnapshot, ...] = ()) -> None:
        self.curve.extend(points)
        weights, self._unsent = self._unsent + weights, ()
        if self.on_progress is not None:
            total = self.epochs * self.steps_per_epoch
            self.on_progress(Progress(steps, total, self._epoch + 1, self.epochs, tuple(points), weights))


def starting_model(config: TrainConfig, architecture: Architecture, bfloat16: bool = False) -> keras.Model:
    """New weights of the chosen network, or the weights of the saved `config.base` to fine-tune.

    Always a new model: the loaded one the pages share for predictions must never be trained,
    and a CNN saved with Keras' random layers inside must not be augmented twice.
    """
    model = build_model(architecture, config.learning_rate, bfloat16=bfloat16, optimizer=config.optimizer)
    if config.base:
        from mnist_app.learning.model_files import load_model

        base = load_model(Path(config.base))
        try:
            model.set_weights(base.get_weights())
        except ValueError as error:
            raise UserError(
                f"{Path(config.base).name} is not a {config.network_name} model of this app: {error}"
            ) from None
    return model


def train(
    dataset: Dataset,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    seed: int | None = None,
) -> TrainResult:
    """Train a fresh model of the chosen network, validating on the test split as the lab does.

    The training split is first cut to `config.train_size` images and `config.label_noise` of
    their labels made wrong (both drawn with `config.seed`); the test split stays whole.
    The loop is Keras' own for custom training (a `CallbackList` around `train_step`), with
    many steps per call into TensorFlow, fused by XLA or not as the network's layers allow
    (`architectures.architecture_for`); `seed` fixes the shuffling, not the initial weights.
    Where the CPU has bfloat16 a convolutional network's steps compute in it; the model that
    comes back, and its final figures, are float32.
    """
    config.validate()
    if len(dataset.y_train) == 0:
        raise UserError(f"dataset {dataset.name!r} has no training images")
    config.training_images(len(dataset.y_train))
    dataset, noisy_labels = training_data(dataset, config.train_size, config.label_noise, config.seed)
    started = time.perf_counter()
    architecture = architecture_for(config.arch, config.layers, config.augment)
    mixed = architecture.bfloat16 and bfloat16_training()
    model = starting_model(config, architecture, bfloat16=mixed)
    loop = StepLoop(model, dataset, architecture.augmentation)
    steps_per_epoch = -(-len(dataset.y_train) // config.batch_size)
    per_call = steps_per_call(architecture, steps_per_epoch)
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
        model = float32_copy(model, architecture, config.learning_rate, config.optimizer)
        from mnist_app.learning.evaluation import evaluate

        final = evaluate(model, dataset.x_test, dataset.y_test)
        test_loss, test_accuracy = final.loss, final.accuracy
    trust = measure(model, dataset.x_test, dataset.y_test, dataset.class_names)
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
        weights=curves.weights,
        train_size=len(dataset.y_train),
        test_images=len(dataset.y_test),
        noisy_labels=noisy_labels,
        augmented=architecture.augmentation is not None,
        trust=trust,
    )
