"""A design read from a link, a file or a command line: every text is a design or one message
naming the layer that is wrong, never an exception."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_app.learning.design_plan import plan
from mnist_app.learning.designs import (
    ACTIVATIONS,
    KINDS,
    MAX_LAYERS,
    MAX_TEXT_LENGTH,
    OWN_DESIGN_NAME,
    PADDINGS,
    PRESETS,
    DesignError,
    Layer,
    design_name,
    from_dicts,
    layers_json,
    layers_text,
    parse_json,
    parse_text,
    preset_title,
)


def valid_layers():
    """Any layer Build can make, with values inside its ranges."""
    return st.one_of(
        st.builds(
            Layer, st.just("dense"), units=st.integers(1, 4096), activation=st.sampled_from(ACTIVATIONS)
        ),
        st.builds(
            Layer,
            st.just("conv"),
            units=st.integers(1, 512),
            size=st.integers(1, 28),
            strides=st.integers(1, 4),
            padding=st.sampled_from(PADDINGS),
            activation=st.sampled_from(ACTIVATIONS),
        ),
        st.builds(Layer, st.sampled_from(["pool", "avgpool"]), size=st.integers(1, 28)),
        st.builds(Layer, st.just("dropout"), rate=st.integers(0, 90).map(lambda n: n / 100)),
        st.builds(Layer, st.sampled_from(["batchnorm", "flatten", "gap"])),
    )


@given(st.lists(valid_layers(), max_size=MAX_LAYERS))
def test_a_design_survives_its_short_form_and_its_json(layers):
    assert parse_text(layers_text(layers)) == tuple(layers)
    assert parse_json(layers_json(layers)) == tuple(layers)


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_any_text_is_a_design_or_one_message(text):
    try:
        parse_text(text)
    except DesignError as error:
        assert "\n" not in str(error)


@settings(max_examples=300)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_json_is_a_design_or_one_message(value):
    try:
        from_dicts(value)
    except DesignError as error:
        assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dense", "layer 1 (Dense): write dense:UNITS"),
        ("flatten,dense:abc", "layer 2 (Dense): units must be a whole number, not 'abc'"),
        ("dense:0", "units must lie in 1..4,096, not 0"),
        ("dense:64:softmax", "activation must be one of relu, sigmoid, tanh, elu, gelu, linear"),
        ("conv:32:3:relu:9", "layer 1 (Conv2D): strides must lie in 1..4, not 9"),
        ("conv:32:3:relu:1:full", "padding must be one of valid, same"),
        ("dropout:1", "layer 1 (Dropout): rate must lie in 0..0.9, not 1"),
        ("dropout:nan", "rate must be a number, not 'nan'"),
        ("dropout:inf", "rate must be a number, not 'inf'"),
        ("lstm:32", "layer 1: 'lstm' is not a layer kind here"),
        ("flatten:3", "layer 1 (Flatten): write flatten, with nothing after it"),
        ("dense:99999999999", "units must be a whole number"),
        (",".join(["flatten"] * (MAX_LAYERS + 1)), f"{MAX_LAYERS + 1} layers is more than {MAX_LAYERS}"),
        ("x" * (MAX_TEXT_LENGTH + 1), "a design fits in"),
    ],
)
def test_a_bad_short_form_is_refused_at_its_layer(text, message):
    with pytest.raises(DesignError) as refused:
        parse_text(text)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"kind": "dense"}, "must be a JSON list"),
        ([{"units": 3}], "layer 1 is not an object with a 'kind'"),
        ([{"kind": "dense", "units": 64, "bias": 1}], "layer 1 (Dense) has no field 'bias'"),
        ([{"kind": "dense"}], "layer 1 (Dense): units is missing"),
        ([{"kind": "dense", "units": 6.5}], "units must be a whole number, not '6.5'"),
        ([{"kind": "dense", "units": True}], "units must be a whole number"),
        ([{"kind": "dropout", "rate": "0.2"}], None),
    ],
)
def test_a_bad_json_design_is_refused_at_its_layer(items, message):
    if message is None:
        assert from_dicts(items) == (Layer("dropout", rate=0.2),)
        return
    with pytest.raises(DesignError) as refused:
        from_dicts(items)
    assert message in str(refused.value)


def test_kinds_are_read_under_keras_names_too():
    assert parse_text("Conv2D:8:3, MaxPooling2D:2, GlobalAveragePooling2D, BatchNormalization") == (
        Layer("conv", units=8, size=3),
        Layer("pool", size=2),
        Layer("gap"),
        Layer("batchnorm"),
    )


def test_no_layer_at_all_is_a_design():
    assert parse_text("") == parse_text("  ") == parse_json("[]") == ()


def test_every_kind_has_a_starting_layer_that_reads_back():
    for kind in KINDS:
        layer = Layer.new(kind)
        assert parse_text(layer.as_text()) == (layer,)
        assert json.loads(layers_json([layer]))[0]["kind"] == kind


def test_the_presets_read_as_written():
    assert set(PRESETS) == {"Logistic regression", "The lab's MLP", "The app's CNN", "LeNet-5", "A tiny CNN"}
    for layers in PRESETS.values():
        assert parse_text(layers_text(layers)) == layers


def test_a_design_is_titled_as_the_preset_it_equals_else_it_is_the_learners_own():
    for title, layers in PRESETS.items():
        assert preset_title(layers) == preset_title(list(layers)) == title
    own = parse_text("flatten,dense:32")
    assert preset_title(own) is None and design_name(own) == OWN_DESIGN_NAME
    assert design_name(PRESETS["LeNet-5"]) == "lenet-5"


def test_no_layer_at_all_is_logistic_regression_as_it_builds_the_same_network():
    def network(layers):
        return [(row.call.layer, row.shape, row.parameters) for row in plan(layers).rows]

    assert network(()) == network(PRESETS["Logistic regression"])
    assert preset_title(()) == "Logistic regression" and design_name(()) == "logistic-regression"
