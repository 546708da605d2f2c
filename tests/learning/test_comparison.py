"""Comparing models: the figures agree with `evaluate`, the disagreements with plain NumPy."""

import numpy as np
import pytest

from mnist_app.errors import UserError
from mnist_app.learning.comparison import (
    Contender,
    all_wrong_sentence,
    compare,
    contender,
    default_choice,
    prediction_seconds,
    summary,
)
from mnist_app.learning.evaluation import Evaluation, evaluate

REPO_DEFAULT = "models/default.keras"


def fake_evaluation(predictions, labels, confidence=None) -> Evaluation:
    predictions, labels = np.asarray(predictions), np.asarray(labels)
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    return Evaluation(
        accuracy=float((predictions == labels).mean()),
        loss=0.0,
        confusion=confusion,
        predictions=predictions,
        confidence=np.ones(len(labels)) if confidence is None else np.asarray(confidence),
    )


def entry(name, predictions, labels, confidence=None, **figures) -> Contender:
    return Contender(name, "mlp", 1000, fake_evaluation(predictions, labels, confidence), **figures)


def bold(name: str) -> str:
    """Names in bold, as the Compare page writes them."""
    return f"**{name}**"


@pytest.fixture(scope="module")
def real_comparison(sample, trained_mlp):
    """The lab's MLP (two epochs) against the shipped CNN on the sample's 1,000 test digits."""
    from mnist_app.learning.model_files import load_model, read_metadata

    cnn = load_model(REPO_DEFAULT)
    contenders = [
        contender("mlp", trained_mlp.model, evaluate(trained_mlp.model, sample.x_test, sample.y_test),
                  trained_mlp.metadata()),
        contender("cnn", cnn, evaluate(cnn, sample.x_test, sample.y_test), read_metadata(REPO_DEFAULT)),
    ]  # fmt: skip
    return compare(contenders, sample.y_test), [trained_mlp.model, cnn]


def test_each_models_figures_are_those_evaluate_gives(real_comparison, sample):
    comparison, models = real_comparison
    for entry_, model in zip(comparison.contenders, models, strict=True):
        own = evaluate(model, sample.x_test, sample.y_test)
        assert entry_.evaluation.accuracy == pytest.approx(own.accuracy)
        np.testing.assert_array_equal(entry_.evaluation.confusion, own.confusion)
        assert entry_.mistakes == round((1 - own.accuracy) * len(sample.y_test))
    mlp, cnn = comparison.contenders
    assert mlp.params == 694_950, "the lab's network"
    assert cnn.params == models[1].count_params() and cnn.arch == "cnn"
    assert mlp.training_seconds > 0 and mlp.epochs == 2


def test_disagreements_are_counted_as_numpy_counts_them(real_comparison, sample):
    comparison, models = real_comparison
    said = [np.argmax(model.predict(sample.x_test / 255.0, verbose=0), axis=1) for model in models]
    right = [s == sample.y_test for s in said]
    assert comparison.disagreements.tolist() == [
        [0, int((right[0] & ~right[1]).sum())],
        [int((right[1] & ~right[0]).sum()), 0],
    ]
    assert comparison.all_wrong == int((~right[0] & ~right[1]).sum())
    assert comparison.disagreements[1, 0] > comparison.disagreements[0, 1], "the CNN reads better"
    np.testing.assert_array_equal(np.sort(comparison.right_only(1, 0)), np.flatnonzero(right[1] & ~right[0]))


def test_the_summary_is_computed_from_the_figures(real_comparison):
    comparison, _ = real_comparison
    mlp, cnn = comparison.contenders
    text = " ".join(summary(comparison, name=bold))
    ratio = mlp.mistakes / cnn.mistakes
    assert f"**cnn** makes {ratio:.1f}x fewer mistakes than **mlp**" in text
    assert f"{cnn.params / mlp.params:.1f}x the parameters" in text
    assert f"({cnn.params:,} against {mlp.params:,})" in text
    assert f"took {cnn.training_seconds / mlp.training_seconds:.1f}x longer to train" in text
    assert all_wrong_sentence(comparison) == f"{comparison.all_wrong:,} digits fool both models."


def test_three_models_on_made_up_predictions():
    labels = np.array([0, 1, 2, 3, 4, 5])
    a = entry("a", [0, 1, 2, 0, 0, 0], labels, confidence=[0.9, 0.9, 0.9, 0.5, 0.6, 0.7])
    b = entry("b", [0, 0, 0, 3, 4, 0], labels, confidence=[0.9, 0.4, 0.8, 0.9, 0.9, 0.9])
    c = entry("c", [1, 1, 1, 1, 1, 0], labels)
    comparison = compare([a, b, c], labels)
    assert comparison.disagreements.tolist() == [[0, 2, 2], [2, 0, 3], [0, 1, 0]]
    assert comparison.all_wrong == 1
    assert comparison.right_only(0, 1).tolist() == [2, 1], "b's surer mistake first"
    assert comparison.right_only(1, 0).tolist() == [4, 3], "a's surer mistake first"
    assert comparison.wrong_in_all().tolist() == [5]


def test_even_figures_read_as_even():
    labels = np.arange(4)
    comparison = compare(
        [entry("a", [0, 1, 2, 0], labels, training_seconds=2.0), entry("b", [0, 1, 0, 3], labels,
                                                                       training_seconds=1.0)],
        labels,
    )  # fmt: skip
    text = " ".join(summary(comparison, name=bold))
    assert "**b** and **a** make as many mistakes (1 of 4 test digits)" in text
    assert "about as many parameters as" in text
    assert "**b** took 2.0x less time to train" in text


def test_a_perfect_model_makes_no_mistakes_rather_than_infinitely_fewer():
    labels = np.arange(3)
    comparison = compare([entry("a", [0, 0, 0], labels), entry("b", [0, 1, 2], labels)], labels)
    assert summary(comparison, name=bold)[0] == "**b** makes no mistakes on the 3 test digits; **a** makes 2."


def test_the_sentences_are_plain_text_unless_the_names_are_formatted():
    labels = np.arange(3)
    comparison = compare([entry("a*", [0, 0, 0], labels), entry("b_", [0, 1, 2], labels)], labels)
    assert summary(comparison)[0] == "b_ makes no mistakes on the 3 test digits; a* makes 2."


def test_a_comparison_needs_two_models_on_the_same_split():
    labels = np.arange(3)
    with pytest.raises(UserError, match="at least two"):
        compare([entry("a", [0, 1, 2], labels)], labels)
    with pytest.raises(UserError, match="another test split"):
        compare([entry("a", [0, 1, 2], labels), entry("b", [0, 1], labels[:2])], labels)


def test_the_default_choice_is_the_newest_mlp_and_the_newest_cnn():
    described = [("cnn-2", {"arch": "cnn"}), ("mlp-2", {"arch": "mlp"}), ("cnn-1", {"arch": "cnn"}),
                 ("mlp-1", {"arch": "mlp"})]  # fmt: skip
    assert default_choice(described) == ["mlp-2", "cnn-2"]
    assert default_choice([("x", {}), ("y", {"arch": "cnn"}), ("z", {"arch": "cnn"})]) == ["x", "y"]


def test_prediction_time_is_a_median_of_real_calls(trained_mlp):
    seconds = prediction_seconds(trained_mlp.model, np.zeros((28, 28), np.uint8), repeats=5)
    assert 0 < seconds < 5


def test_figures_that_say_nothing_are_left_out_of_the_summary():
    labels = np.arange(3)
    cases = [(0.0, 2.0), (1e300, 1e-300), (2.0, 2.04)]
    texts = []
    for a, b in cases:
        comparison = compare(
            [
                entry("a", [0, 1, 2], labels, training_seconds=a),
                entry("b", [0, 1, 1], labels, training_seconds=b),
            ],
            labels,
        )
        texts.append(" ".join(summary(comparison, name=bold)))
    assert "to train" not in texts[0] and "to train" not in texts[1]
    assert "**b** took about as long to train" in texts[2]
    assert "alone reads 1 digit right" in texts[2] and "alone 0 digits" in texts[2]
