"""What a model's configuration costs, counted before a weight is built: real networks pass, bombs do not."""

import math

import keras
import pytest
from keras import layers

from mnist_app.learning.architectures import build_cnn, build_mlp
from mnist_app.learning.model_checks import (
    MAX_ACTIVATION,
    MAX_LAYERS,
    MAX_MULTIPLY_ADDS,
    ConfigurationRefused,
    check_cost,
    check_structure,
    planned_cost,
)


def config_of(model) -> dict:
    """The configuration a `.keras` file holds for this model (its `config.json`)."""
    return keras.saving.serialize_keras_object(model)


def lenet5() -> keras.Sequential:
    """LeCun's LeNet-5 for 28x28 digits: the first convolution padded to keep 28x28."""
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(6, 5, padding="same", activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="tanh"),
            layers.Dense(84, activation="tanh"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def builders_biggest() -> keras.Sequential:
    """About the most a network builder of Dense, Conv2D, pooling, Dropout and BatchNorm layers would offer."""
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(128, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Dropout(0.25),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ]
    )


# Multiply-adds counted by hand: output positions x kernel size, layer by layer.
CNN_MULTIPLY_ADDS = (
    26 * 26 * 32 * 3 * 3 * 1
    + 24 * 24 * 32 * 3 * 3 * 32
    + 10 * 10 * 64 * 3 * 3 * 32
    + 8 * 8 * 64 * 3 * 3 * 64
    + 1024 * 128
    + 128 * 10
)
MLP_MULTIPLY_ADDS = 784 * 784 + 784 * 100 + 100 * 10
LENET5_MULTIPLY_ADDS = 28 * 28 * 6 * 5 * 5 + 10 * 10 * 16 * 5 * 5 * 6 + 400 * 120 + 120 * 84 + 84 * 10


@pytest.mark.parametrize(
    ("build", "multiply_adds", "largest"),
    [
        (build_cnn, CNN_MULTIPLY_ADDS, 26 * 26 * 32),
        (build_mlp, MLP_MULTIPLY_ADDS, 784),
        (lenet5, LENET5_MULTIPLY_ADDS, 28 * 28 * 6),
    ],
    ids=["app-cnn", "lab-mlp", "lenet-5"],
)
def test_real_mnist_networks_cost_what_a_hand_count_says_and_pass_by_far(build, multiply_adds, largest):
    model = build()
    cost = planned_cost(config_of(model))
    assert cost.multiply_adds == multiply_adds
    assert cost.largest_activation == largest
    assert cost.parameters == sum(math.prod(v.shape) for v in model.variables), "as the model built for real"
    assert cost.multiply_adds * 10 <= MAX_MULTIPLY_ADDS and cost.largest_activation * 5 <= MAX_ACTIVATION
    check_cost(cost)


def test_the_biggest_network_a_builder_would_offer_passes():
    check_cost(planned_cost(config_of(builders_biggest())))


def test_a_model_within_a_model_counts_the_inner_layers():
    inner = keras.Sequential([keras.Input((784,)), layers.Dense(100), layers.Dense(10)])
    inputs = keras.Input((28, 28))
    outer = keras.Model(inputs, inner(layers.Flatten()(inputs)))
    assert planned_cost(config_of(outer)).multiply_adds == 784 * 100 + 100 * 10


def test_twenty_weights_that_blow_an_image_up_are_refused_naming_the_layer():
    bomb = keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.UpSampling2D(20, name="up_sampling2d"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    cost = planned_cost(config_of(bomb))
    assert cost.parameters == 20
    with pytest.raises(ConfigurationRefused, match=r"313,600 numbers per image in its layer up_sampling2d"):
        check_cost(cost)


def test_a_model_of_too_many_multiply_adds_is_refused_saying_so():
    heavy = keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1)),
            *[layers.Conv2D(128, 3, padding="same") for _ in range(3)],
            layers.GlobalAveragePooling2D(),
            layers.Dense(10),
        ]
    )
    cost = planned_cost(config_of(heavy))
    assert cost.largest_activation <= MAX_ACTIVATION
    with pytest.raises(ConfigurationRefused, match=r"would take [\d,]+ multiply-adds per image"):
        check_cost(cost)


def never_deserialise(*args, **kwargs):
    raise AssertionError("Keras was asked to build the configuration")


def test_thousands_of_layers_are_refused_before_keras_reads_them(monkeypatch):
    config = config_of(build_mlp())
    dense = config["config"]["layers"][1]
    config["config"]["layers"] += [
        {**dense, "config": {**dense["config"], "name": f"dense_{n}"}} for n in range(5_200)
    ]
    monkeypatch.setattr(keras.saving, "deserialize_keras_object", never_deserialise)
    with pytest.raises(ConfigurationRefused, match=f"more than {MAX_LAYERS} layers"):
        planned_cost(config)


def test_a_configuration_nested_too_deep_is_refused_before_keras_reads_it(monkeypatch):
    config = config_of(build_mlp())
    nested: dict = {}
    config["config"]["layers"][1]["config"]["extra"] = nested
    for _ in range(60):
        nested["inner"] = nested = {}
    monkeypatch.setattr(keras.saving, "deserialize_keras_object", never_deserialise)
    with pytest.raises(ConfigurationRefused, match="nested more than"):
        planned_cost(config)


def test_a_layer_called_again_and_again_counts_each_call():
    config = config_of(build_mlp())
    check_structure(config)
    inputs = keras.Input((100,))
    shared, x = layers.Dense(100), inputs
    for _ in range(MAX_LAYERS):
        x = shared(x)
    with pytest.raises(ConfigurationRefused, match="layers"):
        check_structure(config_of(keras.Model(inputs, x)))


def test_a_model_without_an_input_shape_is_refused():
    with pytest.raises(ConfigurationRefused, match="does not say what input"):
        planned_cost(config_of(keras.Sequential([layers.Dense(10)])))
