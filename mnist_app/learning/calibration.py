"""Sure when wrong: how far a model's confidence matches how often it is right, and temperature
scaling, which divides the logits by one number so that it does, without changing any answer.

Confidence is the answer's probability. The reliability diagram puts the digits in `BINS`
equal bins of confidence, each from its lower edge up to (not including) the next, the last
including 1; the expected calibration error (ECE) is the gap between each bin's accuracy and
its mean confidence, weighted by the share of digits in it. The temperature is fitted on
digits held apart from the measurement (`measured_and_held_apart`) by minimising the negative log
likelihood; dividing every logit by the same positive number keeps their order, so every
answer stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.errors import UserError
from mnist_app.learning.robustness import MAX_CURVE_DIGITS

BINS = 10
# Temperatures searched, as powers of ten: from a hundredth to a hundred.
LOG10_TEMPERATURE_RANGE = (-2.0, 2.0)
HELD_APART_IMAGES = 5000


@dataclass(frozen=True)
class Reliability:
    """Per confidence bin: its edges, the digits in it, their mean confidence and accuracy."""

    edges: np.ndarray  # (bins + 1,)
    counts: np.ndarray  # (bins,)
    confidence: np.ndarray  # (bins,), NaN where a bin is empty
    accuracy: np.ndarray  # (bins,), NaN where a bin is empty
    error: float  # the expected calibration error, 0 to 1

    def summary(self) -> dict:
        full = self.counts > 0
        return {
            "ece": round(self.error, 6),
            "bins": [
                {
                    "from": round(float(low), 6),
                    "n": int(n),
                    "confidence": round(float(c), 6),
                    "accuracy": round(float(a), 6),
                }
                for low, n, c, a, kept in zip(
                    self.edges[:-1], self.counts, self.confidence, self.accuracy, full, strict=True
                )
                if kept
            ],
        }


@dataclass(frozen=True)
class Calibration:
    """A model's reliability on the test digits before and after temperature scaling."""

    temperature: float
    before: Reliability
    after: Reliability
    fitted_on: int  # how many held-apart digits the temperature was fitted on


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> Reliability:
    """The reliability diagram's bins and the expected calibration error."""
    probabilities, labels = _checked(probabilities, labels)
    confidence = probabilities.max(axis=1).astype(np.float64)
    right = (probabilities.argmax(axis=1) == labels).astype(np.float64)
    which = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, confidence, minlength=bins) / counts
        accuracy = np.bincount(which, right, minlength=bins) / counts
    gaps = np.where(counts > 0, np.abs(accuracy - mean_confidence), 0.0)
    error = float((counts * gaps).sum() / len(labels))
    return Reliability(np.linspace(0, 1, bins + 1), counts, mean_confidence, accuracy, error)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    return reliability(probabilities, labels, bins).error


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """The probabilities of logits divided by `temperature`, computed stably."""
    scaled = np.asarray(logits, np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    scaled = np.asarray(logits, np.float64) / temperature
    top = scaled.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(scaled - top).sum(axis=1)) + top[:, 0]
    return float((log_sum - scaled[np.arange(len(labels)), labels]).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log likelihood of `labels`."""
    from scipy.optimize import minimize_scalar

    logits, labels = _checked(logits, labels)
    fitted = minimize_scalar(
        lambda log10_t: negative_log_likelihood(logits, labels, 10.0**log10_t),
        bounds=LOG10_TEMPERATURE_RANGE,
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(10.0**fitted.x)


def measured_and_held_apart(images: np.ndarray, labels: np.ndarray) -> tuple[tuple, tuple]:
    """The test split cut in two: (images, labels) measured on, its first half (at most
    `MAX_CURVE_DIGITS`), and (images, labels) held apart, its second half (at most
    `HELD_APART_IMAGES`, from the end), as [0, 1] floats and integers.

    The app trains on the whole training split, so none of it is held apart from the model:
    there it is surer than on digits it never saw, and a temperature fitted there sharpens
    what should soften. The test split's second half is never seen in training either.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if len(labels) < 2 or images.shape[:1] != labels.shape:
        raise UserError("a temperature needs at least two test digits with their labels")
    half = len(labels) // 2
    measured, held = (
        slice(0, min(half, MAX_CURVE_DIGITS)),
        slice(max(half, len(labels) - HELD_APART_IMAGES), None),
    )
    return (
        (to_model_input(images[measured]), labels[measured].astype(np.int64)),
        (to_model_input(images[held]), labels[held].astype(np.int64)),
    )


def calibrate(
    model, fit_images: np.ndarray, fit_labels: np.ndarray, test_images: np.ndarray, test_labels: np.ndarray
) -> Calibration:
    """Fit a temperature on the held-apart digits; the test digits' reliability before and after."""
    from mnist_app.learning.logits import Logits

    logits = Logits(model)
    fit_logits, _ = logits.of(fit_images)
    temperature = fit_temperature(fit_logits, np.asarray(fit_labels, np.int64))
    test_logits, _ = logits.of(test_images)
    test_labels = np.asarray(test_labels, np.int64)
    return Calibration(
        temperature=temperature,
        before=reliability(softmax(test_logits), test_labels),
        after=reliability(softmax(test_logits, temperature), test_labels),
        fitted_on=len(fit_labels),
    )


def _checked(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores, labels = np.asarray(scores), np.asarray(labels)
    if scores.ndim != 2 or labels.shape != scores.shape[:1] or len(labels) == 0:
        raise UserError(f"expected (n, classes) scores with n labels, not {scores.shape} and {labels.shape}")
    if not np.isfinite(scores).all():
        raise UserError("the scores hold NaN or infinite values")
    return scores, labels.astype(np.int64)
