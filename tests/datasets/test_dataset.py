"""Tests for mnist_app.datasets.dataset: the dataset type."""


def test_mnist_sample_summary_has_exactly_the_documented_keys(sample):
    summary = sample.summary()

    assert set(summary) == {"dataset", "source", "train", "test", "classes"}
    assert summary["dataset"] == "mnist-sample"
    assert summary["train"] == 4000
    assert summary["test"] == 1000
    assert summary["classes"] == [str(digit) for digit in range(10)]
