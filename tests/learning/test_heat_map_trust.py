"""Grad-CAM at a chosen convolutional layer, and each heat map's deletion test kept on disk."""

import numpy as np
import pytest

from mnist_app.learning import heat_map_trust, map_cache
from mnist_app.learning.heat_map_trust import HeatMapTrust, best_layer, kept, measure, score_of, trust_key
from mnist_app.learning.inspection import InspectionError, Inspector
from mnist_app.learning.model_files import load_model
from tests.support import REPO


@pytest.fixture(scope="module")
def cnn():
    return Inspector(load_model(REPO / "models" / "default.keras"))


@pytest.fixture(scope="module")
def seven(sample):
    return sample.x_test[0].astype(np.float32) / 255.0


def test_grad_cam_at_the_last_layer_is_the_default_and_differs_elsewhere(cnn, seven):
    layers = cnn.conv_layers
    assert len(layers) == 4
    default = cnn.attribution(seven, 7, "grad-cam")
    np.testing.assert_array_equal(cnn.attribution(seven, 7, "grad-cam", layers[-1]), default)
    for layer in layers[:-1]:
        other = cnn.attribution(seven, 7, "grad-cam", layer)
        assert other.shape == (28, 28) and (other >= 0).all()
        # A sure answer's gradients are tiny (1e-15 here): compare the maps' shapes, each on its own scale.
        assert not np.allclose(other / other.max(), default / default.max(), atol=0.05)


def test_grad_cam_at_a_layer_that_is_not_convolutional_is_refused(cnn, trained_mlp, seven):
    with pytest.raises(InspectionError, match="convolutional layers"):
        cnn.attribution(seven, 7, "grad-cam", "dense")
    with pytest.raises(InspectionError):
        cnn.attribution(seven, 7, "grad-cam", "nothing")
    mlp = Inspector(trained_mlp.model)
    assert mlp.conv_layers == [] and not mlp.has_conv
    with pytest.raises(InspectionError):
        mlp.attribution(seven, 7, "grad-cam")


def test_scores_are_measured_once_then_read_from_disk(trained_mlp, sample, monkeypatch):
    monkeypatch.setattr(heat_map_trust, "SAMPLE_SIZE", 12)
    inspector = Inspector(trained_mlp.model)
    key = trust_key("mlp-file", sample.name, "digits")
    methods = ("integrated-gradients", "gradient")
    assert kept(key, methods, []) is None
    heard = []
    scores = measure(inspector, key, sample.x_test, lambda fraction, words: heard.append((fraction, words)))
    assert {(s.method, s.layer) for s in scores} == {("integrated-gradients", ""), ("gradient", "")}
    assert all(0 <= s.score <= 1 and s.n == 12 for s in scores)
    assert heard[-1][0] == 1.0 and "Input gradient" in heard[-1][1]
    heat_map_trust._remembered.clear()
    assert kept(key, methods, []) == scores, "read back from the disk cache"
    assert kept(key, (*methods, "grad-cam"), ["conv"]) is None, "not whole for a model with a conv layer"


def test_a_damaged_or_forged_entry_is_measured_again(monkeypatch):
    key = trust_key("forged", "mnist-sample", "digits")
    good = {
        "methods": np.array(["gradient"]),
        "layers": np.array([""]),
        "scores": np.array([0.7]),
        "n": np.array([10]),
    }
    for forged in (
        {**good, "scores": np.array([1.5])},
        {**good, "scores": np.array([np.nan])},
        {**good, "methods": np.array(["magic"])},
        {**good, "n": np.array([10, 11])},
        {"methods": good["methods"]},
    ):
        heat_map_trust._remembered.clear()
        map_cache.write(key, forged, heat_map_trust.NAMESPACE)
        assert kept(key, ("gradient",), []) is None
    heat_map_trust._remembered.clear()
    map_cache.write(key, good, heat_map_trust.NAMESPACE)
    assert kept(key, ("gradient",), []) == (HeatMapTrust("gradient", "", 0.7, 10),)
    (map_cache.folder(heat_map_trust.NAMESPACE) / f"{key}.npz").write_bytes(b"PK\x03\x04 torn")
    heat_map_trust._remembered.clear()
    assert kept(key, ("gradient",), []) is None


def test_the_best_layer_is_the_one_whose_grad_cam_scores_best():
    scores = (
        HeatMapTrust("gradient", "", 0.9, 10),
        HeatMapTrust("grad-cam", "first", 0.8, 10),
        HeatMapTrust("grad-cam", "last", 0.5, 10),
    )
    assert best_layer(scores) == "first"
    assert best_layer(scores[:1]) is None and best_layer(None) is None
    assert score_of(scores, "grad-cam", "last").score == 0.5
    assert score_of(scores, "grad-cam", "middle") is None


def test_grad_cam_at_each_layer_is_traced_once(cnn, sample):
    for layer in cnn.conv_layers:
        for image in sample.x_test[1:4]:
            cnn.attribution(image, 3, "grad-cam", layer)
        assert cnn._grad_cam_at(layer).experimental_get_tracing_count() == 1
    assert cnn._grad_cam_at(None) is cnn._grad_cam_at(cnn.conv_layers[-1])
