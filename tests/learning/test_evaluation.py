"""Evaluation of a model on a test split, checked against Keras' own figures."""

import numpy as np
import pytest

from mnist_app.datasets.dataset import to_model_input
from mnist_app.learning.evaluation import OutputError, check_probabilities, evaluate, predict_probabilities


def test_accuracy_and_loss_match_keras_evaluate(trained_mlp, sample):
    evaluation = evaluate(trained_mlp.model, sample.x_test, sample.y_test)
    model = trained_mlp.model
    keras_loss, keras_accuracy = model.evaluate(
        to_model_input(sample.x_test), np.eye(10)[sample.y_test], batch_size=256, verbose=0
    )
    assert evaluation.accuracy == pytest.approx(keras_accuracy, abs=1e-6)
    assert evaluation.loss == pytest.approx(keras_loss, rel=1e-3)


def test_confusion_matrix_counts_every_test_image_once(trained_mlp, sample):
    evaluation = evaluate(trained_mlp.model, sample.x_test, sample.y_test)
    assert evaluation.n == len(sample.y_test) == evaluation.confusion.sum()
    assert np.array_equal(evaluation.confusion.sum(axis=1), np.bincount(sample.y_test, minlength=10))
    assert evaluation.accuracy == pytest.approx(np.trace(evaluation.confusion) / evaluation.n)
    assert set(evaluation.summary()) == {"accuracy", "loss", "n", "confusion"}


def test_most_confidently_wrong_are_wrong_and_surest_first(trained_mlp, sample):
    evaluation = evaluate(trained_mlp.model, sample.x_test, sample.y_test)
    wrong = evaluation.most_confidently_wrong(sample.y_test, count=8)
    assert len(wrong) == 8
    assert all(evaluation.predictions[i] != sample.y_test[i] for i in wrong)
    confidences = evaluation.confidence[wrong]
    assert list(confidences) == sorted(confidences, reverse=True)


def test_uint8_and_scaled_inputs_give_the_same_probabilities(trained_mlp, sample):
    from_uint8 = predict_probabilities(trained_mlp.model, sample.x_test[:20])
    from_float = predict_probabilities(trained_mlp.model, to_model_input(sample.x_test[:20]))
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-6)


def test_empty_test_split_is_refused(trained_mlp, sample):
    with pytest.raises(ValueError, match="no test images"):
        evaluate(trained_mlp.model, sample.x_test[:0], sample.y_test[:0])


@pytest.mark.parametrize(
    ("outputs", "words"),
    [
        ([[np.nan] * 10], "NaN or infinite"),
        ([[np.inf] + [0.0] * 9], "NaN or infinite"),
        ([[-0.5, 1.5] + [0.0] * 8], "negative outputs"),
        ([[0.05] * 10], "add up to 0.5, not 1"),
    ],
)
def test_outputs_that_are_not_probabilities_are_refused(outputs, words):
    with pytest.raises(OutputError, match=words):
        check_probabilities(np.array(outputs, np.float32))


def test_a_softmax_passes_the_probability_check(trained_mlp, sample):
    probabilities = predict_probabilities(trained_mlp.model, sample.x_test[:50])
    assert check_probabilities(probabilities) is probabilities
