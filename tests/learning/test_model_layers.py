"""A Keras model's layer list read back in Build's words, and each layer's title, against the
designs and the summary Build itself writes."""

from pathlib import Path

import keras
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mnist_app.learning.architectures import build_designed, build_model
from mnist_app.learning.design_plan import plan
from mnist_app.learning.designs import PRESETS, parse_text
from mnist_app.learning.model_layers import layer_title, layer_titles, model_layers, named_by_keras
from tests.learning.test_designs import valid_layers
from tests.support import REPO
from tests.support.models import EVERY_KIND

DESIGNS = {**PRESETS, "every kind": parse_text(EVERY_KIND), "dense on the raw rows": parse_text("dense:16")}


@pytest.mark.parametrize(("arch", "preset"), [("mlp", "The lab's MLP"), ("cnn", "The app's CNN")])
def test_the_apps_own_networks_read_as_their_presets(arch, preset):
    assert model_layers(build_model(arch)) == (PRESETS[preset], ())


@pytest.mark.parametrize("name", list(DESIGNS))
def test_a_designed_network_reads_back_as_its_design_and_is_titled_as_builds_summary(name):
    design = DESIGNS[name]
    model = build_designed(design)
    assert model_layers(model) == (design, ())
    assert list(layer_titles(model).values()) == [row.title for row in plan(design).rows]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(valid_layers(), max_size=6))
def test_any_buildable_design_reads_back_as_itself(layers):
    planned = plan(layers)
    assume(planned.ok and planned.parameters < 2_000_000)
    assert model_layers(build_designed(tuple(layers))) == (tuple(layers), ())


def test_the_shipped_cnn_reports_its_augmentation_layers_rather_than_hiding_them():
    from mnist_app.learning.model_files import load_model

    layers, unexpressed = model_layers(load_model(Path(REPO / "models" / "default.keras")))
    assert layers == PRESETS["The app's CNN"]
    assert unexpressed == ("RandomRotation", "RandomTranslation", "RandomZoom")


def test_layers_build_has_no_kind_for_are_named_in_order():
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(4, (3, 5)),
            keras.layers.LayerNormalization(),
            keras.layers.Flatten(),
            keras.layers.Dense(8, activation="silu"),
            keras.layers.Dense(6, use_bias=False),
            keras.layers.Dense(10),
        ]
    )
    layers, unexpressed = model_layers(model)
    assert layers == parse_text("flatten,dense:10:linear")
    assert unexpressed == (
        "an output other than Dense with softmax",
        "Conv2D with a rectangular kernel or stride, a dilation or groups",
        "LayerNormalization",
        "Dense with silu activation",
        "Dense without a bias",
    )


def test_old_keras_names_become_titles_in_words():
    """Keras names layers by the order they were made in a session: `dense_2` was the CNN's
    hidden layer in one model and the MLP's output in another."""
    titles = layer_titles(build_model("cnn"))
    assert list(titles.values()) == [
        "Reshape: the image as a 28x28 grid of one channel",
        "Conv2D 1: 32 filters of 3x3, relu",
        "Conv2D 2: 32 filters of 3x3, relu",
        "MaxPooling2D 1: the max of each 2x2 window",
        "Conv2D 3: 64 filters of 3x3, relu",
        "Conv2D 4: 64 filters of 3x3, relu",
        "MaxPooling2D 2: the max of each 2x2 window",
        "Flatten 1: the 4x4x64 grid as one row",
        "Dropout 1: 40% of its inputs zeroed while training",
        "Dense 1: 128 units, relu",
        "Dropout 2: 40% of its inputs zeroed while training",
        "Output: 10 classes, softmax",
    ]
    assert list(layer_titles(build_model("mlp")).values())[1:] == [
        "Dense 1: 784 units, relu",
        "Dense 2: 100 units, relu",
        "Output: 10 classes, softmax",
    ]


def test_a_layer_of_a_kind_build_lacks_is_titled_by_its_kind():
    layer = keras.layers.LayerNormalization()
    assert layer_title(layer, 2) == "LayerNormalization 2"
    assert (
        layer_title(keras.layers.RandomZoom(0.1), 1)
        == "RandomZoom 1: the digits varied at random while training"
    )
    assert layer_title(keras.layers.Conv2D(4, (3, 5)), 1) == "Conv2D 1", "no square kernel to title"


def test_a_layer_build_has_but_with_settings_it_lacks_is_titled_as_builds_summary_would():
    conv = keras.layers.Conv2D(4, 3, strides=2, activation="silu")
    assert layer_title(conv, 1) == "Conv2D 1: 4 filters of 3x3, silu, stride 2, valid padding"
    assert layer_title(keras.layers.Dense(6, use_bias=False), 2) == "Dense 2: 6 units, linear"


def test_a_name_keras_made_up_is_told_from_one_given():
    old_style = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
         keras.layers.Dense(10, activation="softmax")]
    )  # fmt: skip
    assert all(named_by_keras(layer) for layer in old_style.layers), "conv2d_N, dense_N, ..."
    assert not any(named_by_keras(layer) for layer in build_model("cnn").layers), (
        "the app's CNN names its layers"
    )
    given = [
        layer.name for layer in build_designed(parse_text(EVERY_KIND)).layers if not named_by_keras(layer)
    ]
    assert "conv1_8_filters_3x3_relu" in given and len(given) == len(parse_text(EVERY_KIND)) + 2
