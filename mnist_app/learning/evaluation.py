"""How well a model reads a test split: accuracy, loss, confusion matrix, its worst mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.digit_arrays import NUM_CLASSES
from mnist_app.errors import UserError

BATCH_SIZE = 1024
# How far one image's probabilities may miss 1 in total: float32 rounding, with room for a
# model that computes its softmax in 16 bits.
SUM_TOLERANCE = 1e-2


class OutputError(UserError):
    """A model whose outputs are not one probability per class; the message says what it gave."""


def predict_probabilities(model, images: np.ndarray) -> np.ndarray:
    """Class probabilities for uint8 or [0, 1] float images, in batches.

    `predict_on_batch` skips the per-call set-up of `model.predict` (about 35 ms here),
    which matters most for the single image a canvas stroke sends.
    """
    images = to_model_input(np.asarray(images))
    batches = [
        np.asarray(model.predict_on_batch(images[start : start + BATCH_SIZE]))
        for start in range(0, len(images), BATCH_SIZE)
    ]
    return check_probabilities(np.concatenate(batches) if batches else np.zeros((0, NUM_CLASSES), np.float32))


def check_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """`probabilities` if each row is a probability distribution; OutputError saying what is off.

    A model with damaged (NaN) weights, or without a softmax, has the right shape all the
    same; its figures would mean nothing, and NaN is not even JSON.
    """
    if not np.isfinite(probabilities).all():
        raise OutputError(
            "the model gives NaN or infinite outputs instead of probabilities; its weights are damaged"
        )
    if (probabilities < 0).any():
        raise OutputError(
            f"the model gives negative outputs ({float(probabilities.min()):.3g}) instead of probabilities; "
            "its last layer has no softmax"
        )
    sums = probabilities.sum(axis=1)
    worst = int(np.abs(sums - 1).argmax()) if len(sums) else 0
    if len(sums) and abs(sums[worst] - 1) > SUM_TOLERANCE:
        raise OutputError(
            f"the model's outputs for one image add up to {float(sums[worst]):.3g}, not 1: they are not "
            "probabilities; its last layer has no softmax"
        )
    return probabilities


@dataclass(frozen=True)
class Evaluation:
    """The lab's figures (accuracy, loss) and the ones a learner looks at next."""

    accuracy: float
    loss: float
    confusion: np.ndarray
    predictions: np.ndarray
    confidence: np.ndarray

    @property
    def n(self) -> int:
        return int(self.confusion.sum())

    @property
    def per_class_accuracy(self) -> np.ndarray:
        totals = self.confusion.sum(axis=1)
        return np.divide(np.diag(self.confusion), totals, out=np.zeros(NUM_CLASSES), where=totals > 0)

    def most_confidently_wrong(self, labels: np.ndarray, count: int = 12) -> np.ndarray:
        """Indices of the wrong predictions the model was surest of, surest first."""
        wrong = np.flatnonzero(self.predictions != labels)
        return wrong[np.argsort(-self.confidence[wrong])][:count]

    def cell(self, labels: np.ndarray, true: int, said: int) -> np.ndarray:
        """The test digits behind one cell of the confusion matrix, surest first."""
        found = np.flatnonzero((np.asarray(labels) == true) & (self.predictions == said))
        return found[np.argsort(-self.confidence[found], kind="stable")]

    def summary(self) -> dict:
        return {
            "accuracy": round(self.accuracy, 6),
            "loss": round(self.loss, 6),
            "n": self.n,
            "confusion": self.confusion.tolist(),
        }


def evaluate(model, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Evaluate on images and integer labels with the lab's categorical cross-entropy."""
    if len(labels) == 0:
        raise UserError("the dataset has no test images to evaluate on")
    probabilities = predict_probabilities(model, images)
    labels = np.asarray(labels, dtype=np.int64)
    predictions = probabilities.argmax(axis=1)
    true_probability = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    return Evaluation(
        accuracy=float((predictions == labels).mean()),
        loss=float(-np.log(true_probability).mean()),
        confusion=confusion,
        predictions=predictions,
        confidence=probabilities.max(axis=1),
    )
