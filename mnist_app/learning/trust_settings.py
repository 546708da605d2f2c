"""What a model is saved with so that Draw can be honest about it: the not-a-digit threshold and
the temperature that calibrates its probabilities.

Both are measured at the end of training on the test split's second half, which the model
never learnt from (`calibration.measured_and_held_apart`): the threshold keeps 95% of those
digits (`not_a_digit.threshold_keeping`), the temperature minimises their negative log
likelihood (`calibration.fit_temperature`). One pass of the model over those digits serves
both, so a training run pays a fraction of a second. The logits are taken as the log of the
probabilities: the softmax of log p / T is the softmax of z / T exactly, wherever float32
kept p above zero (a class it rounded to zero stays at about zero either way).

A description is read from a file anyone may have written: a value that is not a plain number
in its range is ignored, as if the model had none (an older model, the shipped one), never
trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.errors import UserError

THRESHOLD_KEY = "not_a_digit_threshold"
TEMPERATURE_KEY = "temperature"
# The range `calibration.fit_temperature` searches: a value outside it was not fitted here.
TEMPERATURE_RANGE = (0.01, 100.0)
# Fewer held-apart digits than this make a threshold and a temperature of chance.
MIN_HELD_APART = 100
# float32's smallest normal number: the log of a probability rounded to zero stands in as this.
SMALLEST_PROBABILITY = float(np.finfo(np.float32).tiny)


@dataclass(frozen=True)
class TrustSettings:
    """A model's not-a-digit threshold (its largest probability below it: "not a digit") and its
    temperature (probabilities from logits divided by it); None where it has none."""

    threshold: float | None = None
    temperature: float | None = None

    def as_metadata(self) -> dict:
        """The description's entries for what is known."""
        return {
            **({THRESHOLD_KEY: round(self.threshold, 6)} if self.threshold is not None else {}),
            **({TEMPERATURE_KEY: round(self.temperature, 6)} if self.temperature is not None else {}),
        }

    def doubts(self, probabilities: np.ndarray) -> bool:
        """Whether a reading's largest probability is below the threshold: not a digit to this model."""
        return self.threshold is not None and float(np.max(probabilities)) < self.threshold


def measure(model, images: np.ndarray, labels: np.ndarray, class_names) -> TrustSettings:
    """The threshold and the temperature on the test split's held-apart half; none for a dataset
    whose classes are not the ten digits, with too few test digits to say, or for a model whose
    training diverged (its probabilities are not numbers): training ends as it would have."""
    from mnist_app.learning.calibration import fit_temperature, measured_and_held_apart
    from mnist_app.learning.evaluation import predict_probabilities
    from mnist_app.learning.not_a_digit import threshold_keeping

    if tuple(class_names) != DIGIT_NAMES or len(labels) < 2 * MIN_HELD_APART:
        return TrustSettings()
    _, (held, held_labels) = measured_and_held_apart(images, labels)
    try:
        probabilities = predict_probabilities(model, held)
    except UserError:
        return TrustSettings()
    logits = np.log(np.maximum(probabilities.astype(np.float64), SMALLEST_PROBABILITY))
    return TrustSettings(threshold_keeping(probabilities.max(axis=1)), fit_temperature(logits, held_labels))


def stored(metadata: dict) -> TrustSettings:
    """What a description says, each value kept only if it is a plain number in its range, and
    only for a model of the ten digits (a threshold says how sure it is of a digit)."""
    if tuple(metadata.get("classes") or DIGIT_NAMES) != DIGIT_NAMES:
        return TrustSettings(None, None)
    threshold = _number(metadata.get(THRESHOLD_KEY), 0.0, 1.0)
    temperature = _number(metadata.get(TEMPERATURE_KEY), *TEMPERATURE_RANGE)
    return TrustSettings(threshold, temperature)


def calibrated(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """One reading's probabilities as the model would give them with its logits divided by `temperature`."""
    from mnist_app.learning.calibration import softmax

    logits = np.log(np.maximum(np.asarray(probabilities, np.float64), SMALLEST_PROBABILITY))
    return softmax(logits[None], temperature)[0]


def _number(value: object, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None
