"""The two architectures: the lab's MLP exactly, and a convnet."""

import keras
import numpy as np
import pytest

from mnist_app.models import build_cnn, build_mlp, build_model


def test_mlp_is_the_labs_network():
    """Dense(784, relu) -> Dense(100, relu) -> Dense(10, softmax) over 784 flattened pixels."""
    dense = [layer for layer in build_mlp().layers if layer.__class__.__name__ == "Dense"]
    assert [layer.units for layer in dense] == [784, 100, 10]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "softmax"]
    assert build_mlp().count_params() == (784 * 784 + 784) + (784 * 100 + 100) + (100 * 10 + 10)


def test_models_compile_like_the_lab():
    for arch in ("mlp", "cnn"):
        model = build_model(arch)
        assert isinstance(model.optimizer, keras.optimizers.Adam)
        assert model.loss == "categorical_crossentropy"


def test_learning_rate_reaches_the_optimizer():
    model = build_model("cnn", learning_rate=0.003)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.003)


@pytest.mark.parametrize("builder", [build_mlp, build_cnn])
def test_models_map_28x28_images_to_ten_probabilities(builder):
    probabilities = np.asarray(builder()(np.zeros((3, 28, 28), np.float32)))
    assert probabilities.shape == (3, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("transformer")
