"""Variants of a design for training side by side: one choice varied, each named by what differs."""

from mnist_app.learning.design_variants import MAX_VARIANTS, variables, variants
from mnist_app.learning.designs import PRESETS, parse_text
from mnist_app.learning.training_choices import Choices

SAMPLE_TRAINING_IMAGES = 4_000


def test_a_design_offers_the_training_choices_and_each_layers_number():
    found = {variable.key: variable for variable in variables(PRESETS["LeNet-5"], SAMPLE_TRAINING_IMAGES)}
    assert {"train_size", "label_noise", "learning_rate", "optimizer", "batch_size"} <= set(found)
    assert found["layer1_filters"].title == "the filters of Conv2D 1 (layer 1)"
    assert found["layer7_units"].title == "the units of Dense 2 (layer 7)"
    assert 84 in found["layer7_units"].options, "the layer's own value is among them"


def test_varying_a_dropout_rate_changes_that_layer_only():
    layers = parse_text("flatten,dense:128:relu,dropout:0.3")
    rate = next(
        variable for variable in variables(layers, SAMPLE_TRAINING_IMAGES) if variable.key == "layer3_rate"
    )
    made = variants(layers, Choices(), rate, [0.0, 0.5])
    assert [variant.label for variant in made] == ["dropout 0 at layer 3", "dropout 0.5 at layer 3"]
    assert [variant.layers[2].rate for variant in made] == [0.0, 0.5]
    assert all(variant.layers[:2] == layers[:2] and variant.choices == Choices() for variant in made)


def test_varying_a_training_choice_keeps_the_layers_and_stops_at_four():
    layers = PRESETS["A tiny CNN"]
    size = next(
        variable for variable in variables(layers, SAMPLE_TRAINING_IMAGES) if variable.key == "train_size"
    )
    made = variants(layers, Choices(epochs=3), size, [100, 300, 1_000, 3_000, 0])
    assert len(made) == MAX_VARIANTS
    assert [variant.choices.train_size for variant in made] == [100, 300, 1_000, 3_000]
    assert made[2].label == "1,000 training images" and made[2].choices.epochs == 3
    assert size.value_text(0) == "all"


def test_a_small_dataset_offers_only_the_training_set_sizes_it_has():
    """On 1,000 training images, "1,000" and "3,000" would train just as "all" does."""
    size = next(variable for variable in variables((), 1_000) if variable.key == "train_size")
    assert size.options == (100, 300, 0)
    assert [size.value_text(option) for option in size.options] == ["100", "300", "all"]


def test_each_training_choice_is_titled_as_a_link_refusal_names_it():
    from mnist_app.learning.design_links import from_query

    titles = {variable.name: variable.title for variable in variables((), SAMPLE_TRAINING_IMAGES)}
    assert titles["learning_rate"] == "the learning rate"
    assert from_query({"lr": "7"}).message.startswith(
        f"This link cannot be read: {titles['learning_rate']} (lr="
    )
