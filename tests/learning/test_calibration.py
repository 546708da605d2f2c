"""The reliability diagram and the calibration error against a direct computation; temperature
scaling changes confidences, never an answer."""

import numpy as np
import pytest

from mnist_app.errors import UserError
from mnist_app.learning.calibration import (
    calibrate,
    expected_calibration_error,
    fit_temperature,
    measured_and_held_apart,
    reliability,
    softmax,
)


def test_the_calibration_error_matches_a_direct_computation():
    # Five predictions: confidences 0.95, 0.9 (bin 0.9-1), 0.62, 0.68 (bin 0.6-0.7), 0.3 (bin 0.3-0.4).
    probabilities = np.full((5, 3), 0.0)
    probabilities[0] = [0.95, 0.03, 0.02]
    probabilities[1] = [0.05, 0.9, 0.05]
    probabilities[2] = [0.2, 0.18, 0.62]
    probabilities[3] = [0.68, 0.3, 0.02]
    probabilities[4] = [0.3, 0.35, 0.35]  # a tie: argmax takes the first, class 1
    labels = np.array([0, 2, 2, 1, 1])
    # bin 0.9: right 1 of 2, mean confidence 0.925; bin 0.6: right 1 of 2, 0.65; bin 0.3: right 1 of 1, 0.35
    direct = (2 * abs(0.5 - 0.925) + 2 * abs(0.5 - 0.65) + 1 * abs(1.0 - 0.35)) / 5
    assert expected_calibration_error(probabilities, labels) == pytest.approx(direct)
    bins = reliability(probabilities, labels)
    assert bins.counts.tolist() == [0, 0, 0, 1, 0, 0, 2, 0, 0, 2]
    assert bins.accuracy[9] == 0.5 and bins.confidence[6] == pytest.approx(0.65)
    assert np.isnan(bins.accuracy[0]) and [b["n"] for b in bins.summary()["bins"]] == [1, 2, 2]


def test_a_confidence_of_one_falls_in_the_last_bin_and_a_bin_edge_in_the_upper_bin():
    probabilities = np.array([[1.0, 0.0], [0.5, 0.5], [0.7, 0.3]])
    assert reliability(probabilities, np.array([0, 0, 0])).counts.tolist() == [0, 0, 0, 0, 0, 1, 0, 1, 0, 1]


def test_a_perfectly_calibrated_set_has_no_error():
    probabilities = np.tile([0.8, 0.2], (10, 1))
    labels = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.0)


def test_the_fitted_temperature_recovers_the_one_the_labels_were_drawn_with():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, (20_000, 10))
    truth = softmax(logits, 2.5)
    labels = np.array([rng.choice(10, p=p) for p in truth])
    assert fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.05)


def test_temperature_scaling_changes_no_answer(trained_mlp, sample):
    (measured, measured_labels), (held, held_labels) = measured_and_held_apart(sample.x_test, sample.y_test)
    calibration = calibrate(trained_mlp.model, held, held_labels, measured, measured_labels)
    assert calibration.temperature > 0 and calibration.fitted_on == len(held_labels)
    assert 0 <= calibration.before.error <= 1 and 0 <= calibration.after.error <= 1
    from mnist_app.learning.logits import Logits

    logits, _ = Logits(trained_mlp.model).of(measured)
    for temperature in (calibration.temperature, 0.1, 10.0):
        np.testing.assert_array_equal(
            softmax(logits, temperature).argmax(axis=1), softmax(logits).argmax(axis=1)
        )
    assert calibration.before.counts.sum() == calibration.after.counts.sum() == len(measured_labels)


def test_the_test_split_is_cut_into_two_parts_that_never_overlap():
    images = np.arange(10 * 28 * 28, dtype=np.float32).reshape(10, 28, 28) % 255
    labels = np.arange(10) % 10
    (measured, measured_labels), (_, held_labels) = measured_and_held_apart(images.astype(np.uint8), labels)
    assert measured_labels.tolist() == [0, 1, 2, 3, 4] and held_labels.tolist() == [5, 6, 7, 8, 9]
    assert measured.dtype == np.float32 and measured.max() <= 1
    with pytest.raises(UserError):
        measured_and_held_apart(images[:1], labels[:1])
    with pytest.raises(UserError, match="NaN"):
        reliability(np.full((2, 2), np.nan), np.array([0, 1]))
