"""What a model's configuration costs, counted before a weight is built: real networks pass, bombs do not."""

import math

import keras
import pytest
from keras import layers

from mnist_app.learning.architectures import build_cnn, build_mlp
from mnist_app.learning.model_checks import (
    MAX_ACTIVATION,
    MAX_LAYERS,
    MAX_OPERATIONS,
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
    assert cost.multiply_adds * 10 <= MAX_OPERATIONS and cost.largest_activation * 5 <= MAX_ACTIVATION
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


def test_pooling_counts_its_window_and_a_transposed_convolution_its_input_positions():
    cost = planned_cost(config_of(lenet5()))
    assert cost.window_operations == 14 * 14 * 6 * 2 * 2 + 5 * 5 * 16 * 2 * 2
    inputs = keras.Input((28, 28))
    x = layers.Reshape((7, 7, 16))(inputs)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    model = keras.Model(inputs, layers.Dense(10)(layers.GlobalMaxPooling2D()(x)))
    cost = planned_cost(config_of(model))
    assert cost.multiply_adds == 7 * 7 * 3 * 3 * 16 * 4 + 4 * 10
    assert cost.window_operations == 14 * 14 * 4


# --- Twenty weights that blow up at run time, each refused by a rule, not by name ------------


def test_attention_whose_scores_are_no_layer_output_is_refused_by_kind():
    """T x T scores per image (89 GB for one image here) are never a layer's output: the
    check counts only layer kinds whose work it knows, and Attention is not one."""
    inputs = keras.Input((28, 28))
    x = layers.Reshape((784, 1))(inputs)
    x = layers.UpSampling1D(190)(x)
    x = layers.Attention(name="scores")([x, x])
    x = layers.GlobalAveragePooling1D()(x)
    bomb = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
    with pytest.raises(
        ConfigurationRefused, match=r"layer scores \(Attention\).*it loads models of Dense, convolution"
    ):
        planned_cost(config_of(bomb))


def test_an_inner_model_of_unknown_input_size_is_refused_not_counted_as_one():
    inner_inputs = keras.Input((None, None, 1), name="any_size")
    x = layers.UpSampling2D(20)(inner_inputs)
    x = layers.Conv2D(64, 3)(x)
    x = layers.Conv2D(64, 3)(x)
    inner = keras.Model(inner_inputs, layers.GlobalAveragePooling2D()(x))
    inputs = keras.Input((28, 28))
    features = inner(layers.Reshape((28, 28, 1))(inputs))
    bomb = keras.Model(inputs, layers.Dense(10, activation="softmax")(features))
    with pytest.raises(
        ConfigurationRefused, match=r"layer any_size \(InputLayer\).*cannot be sized before it runs"
    ):
        planned_cost(config_of(bomb))


def test_a_wrapper_that_hides_its_model_is_refused_by_kind():
    inner = keras.Sequential(
        [
            keras.Input((28, 1, 1)),
            layers.UpSampling2D((40, 400)),
            layers.Conv2D(1, 3),
            layers.GlobalAveragePooling2D(),
        ]
    )
    bomb = keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1, 1)),
            layers.TimeDistributed(inner, name="every_row"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    with pytest.raises(ConfigurationRefused, match=r"layer every_row \(TimeDistributed\)"):
        planned_cost(config_of(bomb))


def test_a_pooling_window_the_size_of_the_image_at_every_pixel_counts_its_work():
    bomb = keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.UpSampling2D(13),
            layers.MaxPooling2D(pool_size=364, strides=1, padding="same"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    cost = planned_cost(config_of(bomb))
    assert cost.parameters == 20 and cost.largest_activation <= MAX_ACTIVATION
    assert cost.window_operations >= 364 * 364 * 364 * 364
    with pytest.raises(ConfigurationRefused, match=r"and [\d,]+ pooling operations"):
        check_cost(cost)


def test_a_bomb_file_is_refused_on_loading_naming_the_layer(tmp_path):
    from mnist_app.learning.model_files import ModelError, load_model, save_model

    inputs = keras.Input((28, 28))
    x = layers.Reshape((784, 1))(inputs)
    x = layers.MultiHeadAttention(1, 1, name="heads")(x, x)
    bomb = keras.Model(inputs, layers.Dense(10, activation="softmax")(layers.Flatten()(x)))
    path = save_model(bomb, tmp_path / "heads.keras", {})
    with pytest.raises(ModelError, match=r"heads.keras has a layer heads \(MultiHeadAttention\)"):
        load_model(path)


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
