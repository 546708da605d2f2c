"""The training choices: every one checked before TensorFlow, and the network named as a learner knows it."""

import subprocess
import sys

import pytest

from mnist_app.errors import UserError
from mnist_app.learning.designs import PRESETS, DesignError, parse_text
from mnist_app.learning.training_choices import (
    EPOCHS_RANGE,
    SEED_RANGE,
    Choices,
    TrainConfig,
    split_sizes,
    train_sizes,
    value_text,
)
from tests.support import REPO


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (TrainConfig(optimizer="adagrad"), "unknown optimizer 'adagrad': use one of adam, sgd, rmsprop"),
        (TrainConfig(train_size=-1), "training-set size must be a whole number of images, 0 for all"),
        (TrainConfig(train_size=2.5), "training-set size must be a whole number"),
        (TrainConfig(label_noise=0.51), "label noise must be a fraction in 0..0.5 of the labels, not 0.51"),
        (TrainConfig(label_noise=float("nan")), "label noise must be a fraction"),
        (TrainConfig(label_noise=-0.1), "label noise"),
        (TrainConfig(seed=-1), "seed must be a whole number in 0..2,147,483,647, not -1"),
        (TrainConfig(seed=2**31), "seed must be a whole number"),
        (TrainConfig(seed=True), "seed must be a whole number"),
        (TrainConfig("cnn", layers=PRESETS["A tiny CNN"]), "a layer list designs a network of its own"),
        (TrainConfig("lenet"), "unknown architecture 'lenet'"),
    ],
)
def test_each_new_choice_out_of_range_is_refused_in_words(config, words):
    with pytest.raises(UserError, match=words):
        config.validate()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("flatten,conv:8:3", r"^layer 2 \(Conv2D\): a convolution needs a grid of pixels"),
        ("pool:2,pool:2,pool:2,pool:2,pool:2", r"^layer 5 \(MaxPooling2D\): a 2x2 window is larger"),
        ("flatten,dense:4096,dense:4096,dense:4096", r"parameters is more than this server trains"),
    ],
)
def test_a_design_that_cannot_be_built_is_refused_with_its_first_mistake_at_its_layer(text, words):
    config = TrainConfig("built", layers=parse_text(text))
    with pytest.raises(DesignError, match=words):
        config.validate()


def test_every_preset_and_no_layer_at_all_are_valid_designs():
    for layers in (*PRESETS.values(), ()):
        TrainConfig("built", layers=layers, optimizer="rmsprop", train_size=100, label_noise=0.5).validate()


@pytest.mark.parametrize(
    ("config", "name"),
    [
        (TrainConfig("mlp"), "mlp"),
        (TrainConfig("cnn"), "cnn"),
        (TrainConfig("built", layers=PRESETS["LeNet-5"]), "lenet-5"),
        (TrainConfig("built", layers=PRESETS["A tiny CNN"]), "tiny-cnn"),
        (TrainConfig("built", layers=PRESETS["Logistic regression"]), "logistic-regression"),
        (TrainConfig("built", layers=()), "logistic-regression"),
        (TrainConfig("built", layers=PRESETS["The lab's MLP"]), "mlp"),
        (TrainConfig("built", layers=parse_text("flatten,dense:32")), "my-network"),
    ],
)
def test_a_network_is_named_as_its_preset_or_as_the_learners_own(config, name):
    assert config.network_name == name


def test_the_presets_list_the_layers_build_would_show_for_them():
    assert TrainConfig("mlp").design == PRESETS["The lab's MLP"]
    assert TrainConfig("cnn").design == PRESETS["The app's CNN"]
    assert TrainConfig("cnn").convolutional and not TrainConfig("mlp").convolutional
    assert TrainConfig("built", layers=PRESETS["LeNet-5"]).convolutional
    assert not TrainConfig("built", layers=parse_text("pool:2,flatten")).convolutional


def test_the_images_trained_on_are_the_size_asked_or_all():
    assert TrainConfig().training_images(4000) == 4000
    assert TrainConfig(train_size=300).training_images(4000) == 300
    with pytest.raises(UserError, match="the dataset has 4,000 training images; cannot train on 5,000"):
        TrainConfig(train_size=5000).training_images(4000)


def test_the_choices_are_made_and_checked_without_tensorflow():
    code = (
        "import sys; from mnist_app.learning.training_choices import TrainConfig; "
        "from mnist_app.learning.designs import PRESETS; "
        "c = TrainConfig('built', layers=PRESETS['LeNet-5']); c.validate(); print(c.network_name); "
        "print('tensorflow' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["lenet-5", "False"], result.stderr


def test_builds_choices_make_the_run_of_its_design_with_every_choice_kept():
    chosen = Choices("sgd", 3e-3, 64, 3, True, 300, 0.2, 7)
    config = chosen.config(PRESETS["A tiny CNN"])
    assert config == TrainConfig(
        "built", 3, 64, 3e-3, layers=PRESETS["A tiny CNN"], optimizer="sgd", augment=True,
        train_size=300, label_noise=0.2, seed=7,
    )  # fmt: skip
    config.validate()
    assert config.network_name == "tiny-cnn"


def test_a_training_set_size_is_offered_only_below_what_the_dataset_has():
    assert train_sizes(60_000) == (100, 300, 1_000, 3_000, 0)
    assert train_sizes(3_000) == (100, 300, 1_000, 0), "3,000 of 3,000 is all of them"
    assert train_sizes(50) == (0,)


def test_choices_are_fitted_to_the_widgets_ranges_and_to_the_dataset():
    fitted = Choices(epochs=10**6, seed=-5, train_size=3_000).fitted(2_000)
    assert (fitted.epochs, fitted.seed, fitted.train_size) == (EPOCHS_RANGE[1], SEED_RANGE[0], 0)
    assert Choices(train_size=300).fitted(2_000) == Choices(train_size=300)


def test_an_epoch_reads_the_chosen_share_of_the_dataset_or_full_mnist_before_one_is_chosen():
    class Split:
        y_train, y_test = range(4_000), range(1_000)

    assert split_sizes(None) == (60_000, 10_000)
    assert Choices(train_size=300).images(Split()) == (300, 1_000)
    assert Choices().images(Split()) == (4_000, 1_000)
    assert Choices(train_size=100).images(None) == (100, 10_000)


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("train_size", 1_000, "1,000"),
        ("train_size", 0, "all"),
        ("label_noise", 0.2, "20%"),
        ("optimizer", "sgd", "SGD with momentum"),
        ("learning_rate", 3e-3, "0.003"),
        ("batch_size", 64, "64"),
        ("augment", True, "on"),
    ],
)
def test_each_choice_reads_as_a_picker_shows_it(name, value, text):
    assert value_text(name, value) == text


def test_the_choices_of_a_run_are_the_choices_it_was_made_from():
    from mnist_app.learning.designs import PRESETS
    from mnist_app.learning.training_choices import Choices

    chosen = Choices(optimizer="sgd", learning_rate=0.01, batch_size=64, epochs=3, augment=True,
                     train_size=1_000, label_noise=0.1, seed=7)  # fmt: skip
    assert Choices.of(chosen.config(PRESETS["Logistic regression"])) == chosen
