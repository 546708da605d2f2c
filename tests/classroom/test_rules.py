"""A challenge's rules: made only of sound values, and every rule a request breaks, in words."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_app.classroom.rules import HALF, Rules, describe, locked, parameters, violations
from mnist_app.errors import UserError
from mnist_app.learning import designs
from mnist_app.learning.designs import parse_text
from mnist_app.learning.training_choices import Choices

SMALL_MLP = parse_text("flatten,dense:32:relu")  # 784*32+32 + 32*10+10 = 25,450 parameters
CNN = parse_text("conv:8:3:relu,pool:2,flatten,dense:16:relu")
RULES = Rules("mnist-sample", train_size=1_000, label_noise=0.1, max_parameters=30_000, max_epochs=3)


def fair(**changes) -> Choices:
    return Choices(**{"epochs": 3, "train_size": 1_000, "label_noise": 0.1, **changes})


def test_parameters_are_counted_as_keras_counts_them():
    assert parameters(SMALL_MLP) == 784 * 32 + 32 + 32 * 10 + 10
    assert parameters(()) == 784 * 10 + 10


def test_a_request_within_the_rules_breaks_none():
    assert violations(RULES, SMALL_MLP, fair(), "mnist-sample") == []
    assert violations(RULES, SMALL_MLP, fair(epochs=1), " mnist-sample ") == []


@pytest.mark.parametrize(
    ("layers", "choices", "dataset", "said"),
    [
        (SMALL_MLP, fair(), "mnist", "trains on the dataset mnist-sample, not mnist"),
        (
            parse_text("flatten,dense:64:relu"),
            fair(),
            "mnist-sample",
            "50,890 parameters; this challenge allows at most 30,000",
        ),
        (SMALL_MLP, fair(epochs=4), "mnist-sample", "4 epochs is more than this challenge's 3"),
        (SMALL_MLP, fair(train_size=0), "mnist-sample", "trains on 1,000 training images, not all"),
        (SMALL_MLP, fair(train_size=100), "mnist-sample", "not 100"),
        (SMALL_MLP, fair(label_noise=0.0), "mnist-sample", "makes 10% of the labels wrong, not 0%"),
    ],
)
def test_each_broken_rule_is_said(layers, choices, dataset, said):
    broken = violations(RULES, layers, choices, dataset)
    assert len(broken) == 1 and said in broken[0]


def test_a_layer_kind_not_allowed_is_named_with_its_places():
    rules = Rules("mnist", layer_kinds=(designs.DENSE,), max_parameters=1_000_000)
    broken = violations(
        rules,
        parse_text("conv:8:3:relu,conv:8:3:relu,flatten,dropout:0.2,dense:16"),
        Choices(epochs=1),
        "mnist",
    )
    assert broken == [
        "layer 1, 2 is a Conv2D, which this challenge does not allow (allowed: Dense, Flatten)",
        "layer 4 is a Dropout, which this challenge does not allow (allowed: Dense, Flatten)",
    ]


def test_every_rule_broken_at_once_is_listed():
    rules = Rules("mnist", layer_kinds=(designs.DENSE,), max_parameters=100, max_epochs=1)
    broken = violations(rules, CNN, Choices(epochs=9, train_size=300, label_noise=0.2), "fashion-mnist")
    assert len(broken) == 7, "the dataset, Conv2D, MaxPooling2D, parameters, epochs, images, labels"


def test_locked_choices_take_the_rules_data_and_stay_within_the_epochs():
    chosen = Choices(optimizer="sgd", epochs=50, train_size=0, label_noise=0.0, seed=7)
    kept = locked(RULES, chosen)
    assert (kept.epochs, kept.train_size, kept.label_noise) == (3, 1_000, 0.1)
    assert (kept.optimizer, kept.seed) == ("sgd", 7)
    assert locked(RULES, fair(epochs=2)).epochs == 2
    assert violations(RULES, SMALL_MLP, locked(RULES, chosen), "mnist-sample") == []


def test_the_rules_read_as_sentences_that_never_name_the_hidden_set():
    rules = Rules(
        "mnist", train_size=300, label_noise=0.2, layer_kinds=("dense", "dropout"), hidden="secret/exam.npz"
    )
    text = describe(rules)
    assert (
        text[0]
        == "Train on the dataset mnist, 300 of its training images, with 20% of their labels made wrong."
    )
    assert "At most 100,000 parameters." in text and "At most 5 epochs." in text
    assert "Layers allowed: Dense, Dropout, Flatten." in text
    assert not any("secret" in line or "exam" in line for line in text)
    assert "Every layer kind is allowed." in describe(Rules("mnist", max_epochs=1))
    assert "At most 1 epoch." in describe(Rules("mnist", max_epochs=1))
    assert any("half of the test digits" in line for line in describe(Rules("mnist")))


def test_flatten_is_always_allowed_and_kinds_keep_builds_order():
    assert Rules("mnist", layer_kinds=["dropout", "dense", "dense"]).layer_kinds == (
        "dense",
        "dropout",
        "flatten",
    )
    assert Rules("mnist", layer_kinds=()).layer_kinds == ("flatten",)


def test_rules_survive_json():
    rules = Rules(
        "data/exam",
        train_size=3_000,
        label_noise=0.25,
        max_parameters=5_000,
        max_epochs=2,
        layer_kinds=("conv", "dense"),
        hidden="mnist",
        hidden_seed=9,
    )
    assert Rules.from_dict(json.loads(json.dumps(rules.as_dict()))) == rules
    assert Rules.from_dict({"dataset": "mnist"}) == Rules("mnist")


@pytest.mark.parametrize(
    ("forged", "said"),
    [
        ([], "JSON object"),
        ({}, "name the dataset"),
        ({"dataset": "mnist", "admin": True}, "unknown field"),
        ({"dataset": ""}, "empty"),
        ({"dataset": 7}, "must be text"),
        ({"dataset": "mnist\nmore"}, "one line"),
        ({"dataset": "mnist", "hidden": "mnist"}, "cannot be the challenge's own dataset"),
        ({"dataset": "mnist", "train_size": -1}, "training images must lie in"),
        ({"dataset": "mnist", "train_size": 1.5}, "whole number"),
        ({"dataset": "mnist", "train_size": True}, "whole number"),
        ({"dataset": "mnist", "label_noise": 0.9}, "wrong labels must lie in"),
        ({"dataset": "mnist", "label_noise": float("nan")}, "must be a number"),
        ({"dataset": "mnist", "label_noise": "0.1"}, "must be a number"),
        ({"dataset": "mnist", "max_parameters": 0}, "parameter budget"),
        ({"dataset": "mnist", "max_parameters": 10**12}, "parameter budget"),
        ({"dataset": "mnist", "max_epochs": 0}, "epoch budget"),
        ({"dataset": "mnist", "max_epochs": 10_000}, "epoch budget"),
        ({"dataset": "mnist", "layer_kinds": "dense"}, "must be a list"),
        ({"dataset": "mnist", "layer_kinds": ["lambda"]}, "unknown layer kind"),
        ({"dataset": "mnist", "layer_kinds": [{"x": 1}]}, "unknown layer kind"),
        ({"dataset": "mnist", "hidden": ""}, "empty"),
        ({"dataset": "mnist", "hidden": "x\u202e"}, "control or formatting"),
        ({"dataset": "mnist", "hidden_seed": -1}, "seed"),
    ],
)
def test_forged_rules_are_refused_saying_what(forged, said):
    with pytest.raises(UserError, match=said):
        Rules.from_dict(forged)


@given(
    epochs=st.integers(-5, 500),
    train_size=st.sampled_from([0, 100, 300, 1_000, 3_000]),
    noise=st.sampled_from([0.0, 0.05, 0.1, 0.5]),
    max_epochs=st.integers(1, 200),
)
def test_locked_choices_never_break_the_data_or_epoch_rules(epochs, train_size, noise, max_epochs):
    rules = Rules("mnist", train_size=1_000, label_noise=0.1, max_epochs=max_epochs, max_parameters=10**6)
    kept = locked(rules, Choices(epochs=epochs, train_size=train_size, label_noise=noise))
    assert violations(rules, SMALL_MLP, kept, "mnist") == []
    assert 1 <= kept.epochs <= max_epochs


def test_the_half_is_the_default_hidden_set():
    assert Rules("mnist").hidden == HALF and Rules("mnist").hides_half
    assert not Rules("mnist", hidden="exam").hides_half


def test_the_challenges_dataset_may_be_opened_by_another_path_to_the_same_file(data_dir):
    (data_dir / "exams").mkdir()
    (data_dir / "exams" / "june.npz").write_bytes(b"")
    rules = Rules("exams/june.npz", max_parameters=10**6)
    for spec in ("exams/june.npz", "./exams/june.npz", "exams//june.npz"):
        assert violations(rules, SMALL_MLP, Choices(epochs=1), spec) == [], spec
    assert violations(rules, SMALL_MLP, Choices(epochs=1), "exams/july.npz")
    assert violations(rules, SMALL_MLP, Choices(epochs=1), "../../etc/passwd")


def test_the_hidden_set_is_not_the_challenges_dataset_by_another_path(data_dir):
    (data_dir / "exam.npz").write_bytes(b"")
    with pytest.raises(UserError, match="cannot be the challenge's own dataset"):
        Rules("exam.npz", hidden="./exam.npz")


def test_the_same_dataset_is_the_same_name_or_file_and_auto_is_mnist(data_dir):
    from mnist_app.classroom.rules import same_dataset

    (data_dir / "exams").mkdir()
    (data_dir / "exams" / "june.npz").write_bytes(b"")
    assert same_dataset("auto", "mnist") and same_dataset(" mnist", "mnist ")
    assert not same_dataset("auto", "mnist-sample"), (
        "the sample only when auto cannot have MNIST: its digits tell"
    )
    assert same_dataset("exams/june.npz", "./exams//june.npz")
    assert not same_dataset("exams/june.npz", "other/june.npz") and not same_dataset("june", "exams/june.npz")
    rules = Rules("auto", max_parameters=10**6)
    assert violations(rules, SMALL_MLP, Choices(epochs=1), "mnist") == []
    assert violations(Rules("mnist-sample", max_parameters=10**6), SMALL_MLP, Choices(epochs=1), "auto")
