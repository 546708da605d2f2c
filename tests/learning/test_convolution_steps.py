"""A convolution step by step: the numbers Inside shows equal Keras' own, at every position."""

import keras
import numpy as np
import pytest

from mnist_app.learning.architectures import build_designed
from mnist_app.learning.convolution_steps import convolution_lens, first_conv, same_padding
from mnist_app.learning.designs import PRESETS, parse_text
from mnist_app.learning.model_files import load_model, save_model
from tests.support import REPO


def digit(sample, index: int = 0) -> np.ndarray:
    return sample.x_test[index].astype(np.float32) / 255.0


def with_trained_statistics(model: keras.Model) -> keras.Model:
    """Batch normalisation as after training (not the identity it starts as), seeded."""
    rng = np.random.default_rng(7)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 2.0, gamma.shape),
                    rng.normal(0, 0.3, beta.shape),
                    rng.normal(0.2, 0.1, mean.shape),
                    rng.uniform(0.05, 0.5, variance.shape),
                ]
            )
    return model


def every_step_equals_keras(model: keras.Model, image: np.ndarray) -> None:
    """The feature maps shown are the layer's output from Keras, computed apart from the lens;
    each step's sum of products plus bias, through the layer's activation, gives Keras' pixel."""
    layer = first_conv(model)
    expected = np.asarray(keras.Model(model.inputs[0], layer.output)(image[None], training=False))[0]
    convolution = convolution_lens(model).steps(image)
    np.testing.assert_allclose(convolution.outputs, expected, atol=1e-6)
    totals = np.zeros((convolution.positions, convolution.filters), np.float32)
    for unit in range(convolution.filters):
        for position in range(convolution.positions):
            step = convolution.step(unit, position)
            assert step.window.shape == step.weights.shape == convolution.kernel.shape[:3]
            assert step.products.sum() + step.bias == pytest.approx(step.total, abs=1e-5)
            assert step.output == float(expected[step.row, step.column, unit])
            totals[position, unit] = step.total
    activated = np.asarray(layer.activation(totals), dtype=np.float32)
    np.testing.assert_allclose(activated, expected.reshape(-1, convolution.filters), atol=1e-5)


def test_the_app_cnn_presets_first_convolution_equals_keras_everywhere(sample):
    every_step_equals_keras(build_designed(PRESETS["The app's CNN"]), digit(sample))


def test_the_shipped_models_convolution_equals_keras_everywhere(sample):
    model = load_model(REPO / "models" / "default.keras")
    convolution = convolution_lens(model).steps(digit(sample, 3))
    assert convolution.inputs.shape == (28, 28, 1) and convolution.output_shape == (26, 26)
    every_step_equals_keras(model, digit(sample, 3))


@pytest.mark.parametrize(
    "design",
    [
        "conv:8:3:relu:2:same,flatten",
        "batchnorm,conv:8:3:tanh:2:same,pool:2,flatten",  # not the model's first layer
        "conv:4:4:elu:3:same,flatten",  # an even kernel: the odd zero goes after
        "conv:4:5:gelu:2,flatten",
    ],
)
def test_strides_and_padding_equal_keras_everywhere(sample, design):
    model = with_trained_statistics(build_designed(parse_text(design)))
    every_step_equals_keras(model, digit(sample, 1))


def test_a_convolution_after_another_sees_every_channel(sample, tmp_path):
    """The first Conv2D after a BatchNorm of a saved, reloaded functional model: its input is
    the layer before it, taken through Keras, channels and all."""
    inputs = keras.Input((28, 28))
    x = keras.layers.Reshape((28, 28, 1))(inputs)
    x = keras.layers.Dense(3)(x)  # three channels per pixel
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Conv2D(5, 3, strides=2, padding="same", activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    model = with_trained_statistics(keras.Model(inputs, outputs))
    save_model(model, tmp_path / "functional.keras", {"arch": "functional"})
    reloaded = load_model(tmp_path / "functional.keras")
    convolution = convolution_lens(reloaded).steps(digit(sample, 2))
    assert convolution.inputs.shape == (28, 28, 3) and convolution.kernel.shape == (3, 3, 3, 5)
    every_step_equals_keras(reloaded, digit(sample, 2))


def test_same_padding_puts_the_odd_zero_after():
    assert same_padding(28, 3, 1) == (1, 1)
    assert same_padding(28, 3, 2) == (0, 1)
    assert same_padding(28, 4, 1) == (1, 2)
    assert same_padding(28, 5, 3) == (2, 2)


def test_models_without_a_plain_convolution_have_no_steps(trained_mlp):
    assert convolution_lens(trained_mlp.model) is None
    dilated = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)), keras.layers.Conv2D(2, 3, dilation_rate=2)]
    )
    assert convolution_lens(dilated) is None


def test_a_step_outside_the_map_is_refused(sample):
    convolution = convolution_lens(build_designed(parse_text("conv:2:3:relu"))).steps(digit(sample))
    with pytest.raises(ValueError, match="position"):
        convolution.step(0, convolution.positions)
    with pytest.raises(ValueError, match="filter"):
        convolution.step(2, 0)
