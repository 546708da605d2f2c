"""Build's address: any design and choices survive a link; any address is read or refused with
one message and the default network, never an exception."""

from hypothesis import given
from hypothesis import strategies as st

from mnist_app.learning.design_links import ALL_KEYS, DEFAULT_PRESET, MAX_QUERY_CHARS, from_query, to_query
from mnist_app.learning.designs import MAX_LAYERS, PRESETS, parse_text
from mnist_app.learning.limits import BATCH_SIZES, OPTIMIZERS
from mnist_app.learning.training_choices import (
    EPOCHS_RANGE,
    LABEL_NOISES,
    LEARNING_RATES,
    SEED_RANGE,
    TRAIN_SIZES,
    Choices,
)
from tests.learning.test_designs import valid_layers

choices = st.builds(
    Choices,
    optimizer=st.sampled_from(OPTIMIZERS),
    learning_rate=st.sampled_from(LEARNING_RATES),
    batch_size=st.sampled_from(BATCH_SIZES),
    epochs=st.integers(*EPOCHS_RANGE),
    augment=st.booleans(),
    train_size=st.sampled_from(TRAIN_SIZES),
    label_noise=st.sampled_from(LABEL_NOISES),
    seed=st.integers(*SEED_RANGE),
)


@given(st.lists(valid_layers(), max_size=MAX_LAYERS), choices)
def test_any_design_and_choices_survive_the_address(layers, chosen):
    link = from_query(to_query(layers, chosen))
    assert (link.layers, link.choices, link.message) == (tuple(layers), chosen, "")


@given(st.dictionaries(st.sampled_from([*ALL_KEYS, "embed"]), st.text(max_size=300)))
def test_any_address_is_read_or_refused_with_one_message(query):
    link = from_query(query)
    if link is None:
        assert not set(query) & set(ALL_KEYS)
    elif link.message:
        assert "\n" not in link.message and link.message.startswith("This link cannot be read: ")
        assert (link.layers, link.choices) == (PRESETS[DEFAULT_PRESET], Choices())


def test_an_address_without_builds_parameters_is_not_a_link():
    assert from_query({}) is None
    assert from_query({"embed": "true"}) is None


def test_a_link_with_only_some_choices_keeps_the_defaults_for_the_rest():
    link = from_query({"net": "conv:8:3:relu,pool:2", "n": "300", "noise": "0.2"})
    assert link.layers == parse_text("conv:8:3:relu,pool:2")
    assert link.choices == Choices(train_size=300, label_noise=0.2)
    assert from_query({"lr": "0.01"}).layers == PRESETS[DEFAULT_PRESET]


def test_an_empty_design_is_the_output_alone():
    assert from_query({"net": ""}).layers == ()


def test_a_truncated_link_names_what_it_cannot_read():
    cut_in_a_layer = from_query({"net": "conv:32:3:relu,pool:2,fla"})
    assert "layer 3: 'fla' is not a layer kind" in cut_in_a_layer.message
    cut_in_a_choice = from_query({"net": "flatten", "lr": "0.00"})
    assert "the learning rate (lr='0.00') must be one of 0.0001" in cut_in_a_choice.message
    assert cut_in_a_choice.layers == PRESETS[DEFAULT_PRESET], "the whole link is refused"


def test_an_enormous_link_is_refused_before_it_is_read():
    link = from_query({"net": "dense:1:relu," * 1_000, "seed": "1"})
    assert f"a design fits in {MAX_QUERY_CHARS:,}" in link.message


def test_a_number_is_matched_as_written_or_refused():
    assert from_query({"lr": "1e-3", "noise": "0.50", "n": "1000"}).choices == Choices(
        learning_rate=1e-3, label_noise=0.5, train_size=1000
    )
    for query in (
        {"lr": "nan"},
        {"noise": "0.6"},
        {"n": "0"},
        {"epochs": "0"},
        {"seed": "-1"},
        {"batch": "33"},
    ):
        assert from_query(query).message, query
