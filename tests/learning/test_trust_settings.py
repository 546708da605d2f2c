"""The not-a-digit threshold and the temperature a model is saved with: measured at the end of
training, kept in its description, and a forged value ignored, never trusted."""

import json

import numpy as np
import pytest

from mnist_app.datasets.dataset import FASHION_NAMES
from mnist_app.learning.calibration import softmax
from mnist_app.learning.model_files import METADATA_ENTRY, ModelError, read_metadata, save_model
from mnist_app.learning.model_store import ModelStore
from mnist_app.learning.trust_settings import (
    TEMPERATURE_KEY,
    THRESHOLD_KEY,
    TrustSettings,
    calibrated,
    measure,
    stored,
)
from tests.support.models import with_description


def test_training_on_digits_stores_a_threshold_and_a_temperature_that_round_trip(trained_mlp, tmp_path):
    trust = trained_mlp.trust
    assert 0.1 <= trust.threshold <= 1
    assert 0.01 <= trust.temperature <= 100
    path = save_model(trained_mlp.model, tmp_path / "mlp.keras", trained_mlp.metadata())
    metadata = read_metadata(path)
    assert metadata[THRESHOLD_KEY] == round(trust.threshold, 6)
    assert metadata[TEMPERATURE_KEY] == round(trust.temperature, 6)
    saved = ModelStore(tmp_path).get("mlp")
    assert saved.trust == TrustSettings(round(trust.threshold, 6), round(trust.temperature, 6))


def test_the_threshold_keeps_most_of_the_held_apart_digits(trained_mlp, sample):
    """95% of the test split's second half read at or above it (the split's first half is not used)."""
    from mnist_app.learning.evaluation import predict_probabilities

    held = sample.x_test[len(sample.x_test) // 2 :]
    confidence = predict_probabilities(trained_mlp.model, held).max(axis=1)
    assert (confidence >= trained_mlp.trust.threshold).mean() >= 0.95
    assert (confidence > trained_mlp.trust.threshold).mean() < 0.95


def test_nothing_is_measured_for_clothes_or_too_few_digits(trained_mlp, sample):
    assert measure(trained_mlp.model, sample.x_test, sample.y_test, FASHION_NAMES) == TrustSettings()
    few = measure(trained_mlp.model, sample.x_test[:150], sample.y_test[:150], sample.class_names)
    assert few == TrustSettings()
    assert TrustSettings().as_metadata() == {}


def test_a_model_whose_training_diverged_is_saved_without_them(sample):
    import keras

    broken = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
    broken.set_weights([np.full((784, 10), np.nan, np.float32), np.zeros(10, np.float32)])
    assert measure(broken, sample.x_test, sample.y_test, sample.class_names) == TrustSettings()


@pytest.mark.parametrize(
    ("threshold", "temperature"),
    [("high", "warm"), (1.5, 0), (True, 1000.0), (None, [1.0]), ({"a": 1}, 1e300)],
)
def test_forged_values_are_ignored(threshold, temperature):
    assert stored({THRESHOLD_KEY: threshold, TEMPERATURE_KEY: temperature}) == TrustSettings()
    assert stored({THRESHOLD_KEY: -0.5, TEMPERATURE_KEY: -2.0}) == TrustSettings()
    assert stored({}) == TrustSettings()


def test_a_forged_file_reads_as_a_model_without_them_or_is_refused_whole(model_file, tmp_path):
    """Text, 0 or out-of-range values are ignored; a negative number anywhere in a description
    makes the whole file refused, as for any other figure (`model_files.check_metadata`)."""
    base = read_metadata(model_file)

    def forged(name, **values):
        text = json.dumps({**base, **values})
        return with_description(
            model_file, tmp_path / f"{name}.keras", lambda a: a.writestr(METADATA_ENTRY, text)
        )

    forged("text", **{THRESHOLD_KEY: "high", TEMPERATURE_KEY: "hot"})
    forged("range", **{THRESHOLD_KEY: 7.5, TEMPERATURE_KEY: 0})
    forged("negative", **{TEMPERATURE_KEY: -1.0})
    listed = {saved.name: saved for saved in ModelStore(tmp_path).list()}
    assert listed["text"].trust == TrustSettings()
    assert listed["range"].trust == TrustSettings()
    assert listed["negative"].error and listed["negative"].trust == TrustSettings()
    with pytest.raises(ModelError):
        read_metadata(tmp_path / "negative.keras")


def test_a_model_of_other_classes_keeps_no_threshold_whatever_its_description_says():
    from mnist_app.datasets.dataset import FASHION_NAMES

    forged = {THRESHOLD_KEY: 0.99, TEMPERATURE_KEY: 0.5}
    assert stored({**forged, "classes": list(FASHION_NAMES)}) == TrustSettings()
    assert stored({**forged, "classes": [str(d) for d in range(10)]}) == TrustSettings(0.99, 0.5)


def test_calibrated_probabilities_are_the_softmax_of_the_logits_over_the_temperature():
    logits = np.array([2.0, -1.0, 0.5, 3.0, 0.0, -4.0, 1.0, 0.2, -0.3, 2.5])
    probabilities = softmax(logits[None])[0].astype(np.float32)
    for temperature in (0.5, 1.0, 2.0):
        shown = calibrated(probabilities, temperature)
        np.testing.assert_allclose(shown, softmax(logits[None], temperature)[0], rtol=1e-5)
        assert shown.argmax() == probabilities.argmax()
    assert calibrated(probabilities, 2.0).max() < probabilities.max() < calibrated(probabilities, 0.5).max()


def test_doubts_below_the_threshold_only():
    assert TrustSettings(threshold=0.6).doubts(np.array([0.5, 0.3, 0.2]))
    assert not TrustSettings(threshold=0.6).doubts(np.array([0.6, 0.3, 0.1]))
    assert not TrustSettings().doubts(np.array([0.1] * 10))
