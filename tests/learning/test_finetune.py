"""Fine-tuning on the learner's digits: better on their handwriting, no worse on MNIST."""

import numpy as np
import pytest
from PIL import Image

from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.digit_store import splits_by_label
from mnist_app.errors import UserError
from mnist_app.learning.finetune import LEARNING_RATE, MIN_REPLAY, before_and_after, mixed


def slanted_handwriting(sample, count=300, seed=1) -> Dataset:
    """Real digits as someone who writes them turned by 60 degrees would: a style MNIST lacks.

    Split by the my-digits rule; taken from the sample's training split only, so the
    sample's test split stays unseen.
    """
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(sample.y_train), count, replace=False)
    images = np.stack([np.asarray(Image.fromarray(sample.x_train[i]).rotate(60)) for i in picked])
    labels = sample.y_train[picked]
    test = np.array(splits_by_label(labels, [image.tobytes() for image in images])) == "test"
    return Dataset("my-digits", "slanted", images[~test], labels[~test], images[test], labels[test])


def test_the_mix_is_a_third_own_digits_and_tests_on_them(sample):
    own = slanted_handwriting(sample)
    mix = mixed(own, sample)
    share = (len(mix.y_train) - MIN_REPLAY) / len(mix.y_train)
    assert 0.25 < share < 0.45
    np.testing.assert_array_equal(mix.x_test, own.x_test)
    assert mix.name == "my-digits+mnist-sample"


def test_a_mix_needs_digits_in_both_splits_and_the_same_classes(sample):
    own = slanted_handwriting(sample, count=20)
    empty = Dataset("my-digits", "x", own.x_train[:0], own.y_train[:0], own.x_test, own.y_test)
    with pytest.raises(UserError, match="no training digits"):
        mixed(empty, sample)
    untested = Dataset("my-digits", "x", own.x_train, own.y_train, own.x_test[:0], own.y_test[:0])
    with pytest.raises(UserError, match="no test digits"):
        mixed(untested, sample)
    fashion = Dataset(
        "f", "f", sample.x_train, sample.y_train, sample.x_test, sample.y_test, tuple("abcdefghij")
    )
    with pytest.raises(UserError, match="other classes"):
        mixed(own, fashion)


def test_fine_tuning_reads_the_learners_style_and_keeps_mnist(sample, trained_mlp, tmp_path):
    from mnist_app.learning.model_files import read_metadata, save_model
    from mnist_app.learning.training import TrainConfig, train

    base = save_model(trained_mlp.model, tmp_path / "base.keras", trained_mlp.metadata())
    own = slanted_handwriting(sample)
    tuned = train(mixed(own, sample), TrainConfig("mlp", 5, 32, LEARNING_RATE, base=str(base)), seed=0)
    figures = before_and_after(trained_mlp.model, tuned.model, own, sample)
    assert figures.own_before < 0.4, "the style is one the base model misreads"
    assert figures.own_after > figures.own_before + 0.3
    assert figures.replay_after >= figures.replay_before - 0.01, "within a point on the sample's test split"
    saved = save_model(tuned.model, tmp_path / "tuned.keras", tuned.metadata())
    assert read_metadata(saved)["fine_tuned_from"] == "base", "the model keeps its lineage"
    assert trained_mlp.model.count_params() == tuned.model.count_params()


def test_the_network_to_fine_tune_is_read_from_the_saved_description():
    """mlp and cnn by name; a designed network from the layer list it keeps; others refused."""
    from mnist_app.learning.designs import PRESETS
    from mnist_app.learning.finetune import base_network

    lenet = [layer.as_dict() for layer in PRESETS["LeNet-5"]]
    assert base_network({"arch": "cnn"}, "a") == ("cnn", ())
    assert base_network({"arch": "built", "layers": lenet}, "b") == ("built", PRESETS["LeNet-5"])
    with pytest.raises(UserError, match="^c was not trained by this app"):
        base_network({"arch": "resnet"}, "c")
    with pytest.raises(
        UserError, match="^d describes its layers wrongly: the layer list must be a JSON list"
    ):
        base_network({"arch": "built"}, "d")
    with pytest.raises(UserError, match=r"^e describes its layers wrongly: layer 1 \(Conv2D\): filters"):
        base_network({"arch": "built", "layers": [{"kind": "conv", "filters": 0, "kernel_size": 3}]}, "e")


def test_figures_on_too_few_test_digits_say_so():
    from mnist_app.learning.finetune import too_few

    images = np.zeros((6, 28, 28), np.uint8)
    few = Dataset("my-digits", "x", images[:4], np.array([4, 4, 7, 1]), images[:2], np.array([4, 7]))
    sentence = too_few(few)
    assert "rest on 2 test digits: one digit read right or wrong moves them by 50 points" in sentence
    assert "No test digit shows a 1 yet" in sentence
    many = np.repeat(np.arange(10), 2)
    enough = Dataset(
        "my-digits", "x", np.zeros((20, 28, 28), np.uint8), many, np.zeros((20, 28, 28), np.uint8), many
    )
    assert too_few(enough) == ""
