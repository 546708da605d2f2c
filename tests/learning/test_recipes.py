"""What made a saved model, and what differs between two, in words: one phrase a change."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_app.learning.designs import KIND_TITLES, PRESETS, DesignError, Layer, parse_text
from mnist_app.learning.recipes import (
    Recipe,
    differences,
    layer_call,
    network_title,
    recipe,
    training_choices,
)
from tests.learning.test_designs import valid_layers

LAB_MLP = PRESETS["The lab's MLP"]
CHOICES = {
    "dataset": "mnist-sample",
    "fine_tuned_from": "",
    "train_size": 4_000,
    "label_noise": 0.0,
    "optimizer": "adam",
    "learning_rate": 0.001,
    "batch_size": 32,
    "epochs": 10,
    "augment": False,
    "seed": 0,
}


def test_the_example_reads_as_the_learner_would_say_it():
    a = Recipe(parse_text("flatten,dense:128:relu"), choices=CHOICES)
    b = Recipe(parse_text("flatten,dense:64:relu,dropout:0.3"), choices={**CHOICES, "train_size": 1_000})
    assert differences(a, b) == [
        "Dense 1 has 64 units instead of 128",
        "adds Dropout(0.3) after Dense 1",
        "trained on 1,000 images instead of 4,000",
    ]


def test_every_training_choice_that_differs_is_said_and_one_left_unsaid_is_not_compared():
    other = {
        "dataset": "mnist",
        "fine_tuned_from": "default",
        "train_size": 300,
        "label_noise": 0.2,
        "optimizer": "sgd",
        "learning_rate": 0.01,
        "batch_size": 64,
        "epochs": 1,
        "augment": True,
        "seed": 7,
    }
    phrases = differences(Recipe(LAB_MLP, choices=CHOICES), Recipe(LAB_MLP, choices=other))
    assert phrases == [
        "trained on mnist instead of mnist-sample",
        "started from default's weights",
        "trained on 300 images instead of 4,000",
        "20% of its training labels wrong instead of 0%",
        "trained with SGD with momentum instead of Adam",
        "learning rate 0.01 instead of 0.001",
        "batches of 64 images instead of 32",
        "trained for 1 epoch instead of 10",
        "with augmentation instead of without",
        "seed 7 instead of 0",
    ]
    unknown = dict.fromkeys(other)
    assert differences(Recipe(LAB_MLP, choices=CHOICES), Recipe(LAB_MLP, choices=unknown)) == []


def test_one_layer_swapped_for_another_kind_is_one_change_where_a_longest_match_sees_two():
    """difflib's longest block would line the second Flatten up with the first and read a
    removal and an addition."""
    a, b = parse_text("dense:8:relu,flatten"), parse_text("flatten,flatten")
    assert differences(Recipe(a), Recipe(b)) == ["replaces Dense 1 with Flatten"]


def test_networks_far_apart_are_listed_whole():
    phrases = differences(Recipe(PRESETS["The app's CNN"]), Recipe(LAB_MLP))
    assert phrases == [
        "has other layers altogether: Flatten, Dense(784, relu), Dense(100, relu) instead of "
        "Conv2D(32, 3x3, relu), Conv2D(32, 3x3, relu), MaxPooling2D(2x2), Conv2D(64, 3x3, relu), "
        "Conv2D(64, 3x3, relu), MaxPooling2D(2x2), Flatten, Dropout(0.4), Dense(128, relu), Dropout(0.4)"
    ]


def test_layers_build_cannot_express_are_said_when_one_model_has_them():
    shipped = Recipe(PRESETS["The app's CNN"], ("RandomRotation", "RandomZoom"))
    assert differences(Recipe(PRESETS["The app's CNN"]), shipped) == [
        "also holds RandomRotation and RandomZoom, which Build has no layer for"
    ]
    assert differences(shipped, Recipe(PRESETS["The app's CNN"])) == [
        "lacks the first model's RandomRotation and RandomZoom"
    ]


def layer_lists():
    return st.lists(valid_layers(), max_size=10)


@given(layer_lists(), st.fixed_dictionaries({key: st.none() | st.integers(0, 3) for key in CHOICES}))
def test_a_model_differs_in_nothing_from_itself(layers, choices):
    made = Recipe(tuple(layers), choices=choices)
    assert differences(made, made) == []


@given(layer_lists(), st.data())
def test_one_layer_added_is_one_phrase(layers, data):
    at = data.draw(st.integers(0, len(layers)))
    added = data.draw(valid_layers())
    phrases = differences(Recipe(tuple(layers)), Recipe((*layers[:at], added, *layers[at:])))
    assert len(phrases) == 1 and phrases[0].startswith("adds ")


@given(layer_lists().filter(bool), st.data())
def test_one_layer_removed_is_one_phrase(layers, data):
    at = data.draw(st.integers(0, len(layers) - 1))
    phrases = differences(Recipe(tuple(layers)), Recipe((*layers[:at], *layers[at + 1 :])))
    assert len(phrases) == 1 and phrases[0].startswith("removes ")


@given(layer_lists().filter(bool), st.data())
def test_one_layer_changed_is_one_phrase_about_that_layer(layers, data):
    at = data.draw(st.integers(0, len(layers) - 1))
    changed = data.draw(valid_layers().filter(lambda layer: layer.as_dict() != layers[at].as_dict()))
    phrases = differences(Recipe(tuple(layers)), Recipe((*layers[:at], changed, *layers[at + 1 :])))
    number = sum(layer.kind == layers[at].kind for layer in layers[: at + 1])
    name = f"{KIND_TITLES[layers[at].kind]} {number}"
    assert len(phrases) == 1
    assert phrases[0] == f"replaces {name} with {layer_call(changed)}" or phrases[0].startswith(
        f"{name} has "
    )


def test_a_description_keeps_the_layer_list_and_an_older_one_has_it_read_from_the_model():
    from mnist_app.learning.architectures import build_model

    described = recipe({"arch": "built", "layers": [layer.as_dict() for layer in LAB_MLP]})
    assert described.layers == LAB_MLP
    broken = recipe({"arch": "built", "layers": [{"kind": "telepathy"}]}, build_model("mlp"))
    assert broken.layers == LAB_MLP, "a layer list that cannot be read gives way to the model"
    assert recipe({"arch": "cnn"}).layers == PRESETS["The app's CNN"]
    with pytest.raises(DesignError):
        recipe({"arch": "from-elsewhere"})


def test_the_apps_older_models_trained_as_the_app_trained_then():
    sizes = {"mnist-sample": 4_000}
    cnn = training_choices({"arch": "cnn", "dataset": "mnist-sample", "epochs": 20}, sizes)
    assert cnn["optimizer"] == "adam" and cnn["augment"] is True and cnn["label_noise"] == 0.0
    assert cnn["train_size"] == 4_000 and cnn["epochs"] == 20 and cnn["seed"] is None
    mlp = training_choices({"arch": "mlp", "dataset": "mnist"}, sizes)
    assert mlp["augment"] is False and mlp["train_size"] == "all"
    elsewhere = training_choices({"arch": "small"}, sizes)
    assert elsewhere["optimizer"] is None and elsewhere["augment"] is None
    newer = Recipe(LAB_MLP, choices=training_choices({"arch": "mlp", "train_size": 300}, sizes))
    assert differences(Recipe(LAB_MLP, choices=mlp), newer) == [
        "trained on 300 images instead of the whole training split"
    ]


def test_a_layer_that_is_the_same_but_for_fields_its_kind_lacks_is_the_same():
    assert (
        differences(Recipe((Layer("pool", size=2),)), Recipe((Layer("pool", size=2, activation="tanh"),)))
        == []
    )


def test_a_network_is_titled_as_its_preset_or_as_the_learners_own_layers():
    def title(layers):
        return network_title({"layers": [layer.as_dict() for layer in layers]})

    assert title(PRESETS["LeNet-5"]) == "LeNet-5"
    assert title(()) == title(PRESETS["Logistic regression"]) == "Logistic regression"
    assert title(parse_text("flatten,dense:32:relu")) == "your network: Flatten, Dense(32, relu)"
    assert network_title({"arch": "cnn"}) == "The app's CNN", "an older model of the app's"
    assert network_title({"arch": "a file from elsewhere"}) == ""
