"""The two architectures: the lab's MLP exactly, and a convnet."""

import keras
import numpy as np
import pytest

from mnist_app.learning.architectures import build_cnn, build_mlp, build_model


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


def test_the_cnn_can_compute_in_bfloat16_and_still_answers_in_float32():
    model = build_model("cnn", bfloat16=True)
    conv = next(layer for layer in model.layers if layer.__class__.__name__ == "Conv2D")
    assert conv.compute_dtype == "bfloat16" and conv.variable_dtype == "float32"
    assert model(np.zeros((2, 28, 28), np.float32)).dtype == "float32"
    assert build_model("mlp", bfloat16=True).layers[-1].compute_dtype == "float32", "the MLP never does"


def test_a_float32_copy_keeps_the_weights_and_the_optimizer_state():
    from mnist_app.learning.architectures import float32_copy

    mixed = build_model("cnn", learning_rate=0.002, bfloat16=True)
    images, labels = np.random.default_rng(0).random((4, 28, 28), np.float32), np.eye(10)[[1, 2, 3, 4]]
    mixed.train_on_batch(images, labels)
    copy = float32_copy(mixed, "cnn", 0.002)
    assert all(layer.compute_dtype == "float32" for layer in copy.layers)
    for theirs, mine in zip(mixed.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(theirs, mine)
    assert int(copy.optimizer.iterations.numpy()) == 1
    assert float(copy.optimizer.learning_rate.numpy()) == pytest.approx(0.002)
    np.testing.assert_allclose(copy.predict_on_batch(images), mixed.predict_on_batch(images), atol=0.05)


def test_the_names_checked_without_keras_are_the_networks_built():
    """The command line checks `--arch` before TensorFlow loads: against the same list of networks."""
    from mnist_app.learning.architectures import ARCHITECTURES
    from mnist_app.learning.limits import ARCHITECTURE_NAMES

    assert list(ARCHITECTURE_NAMES) == list(ARCHITECTURES)
