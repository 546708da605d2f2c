"""Digits against things that are not: AUROC, the threshold, and the non-digits themselves."""

import numpy as np
import pytest

from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.errors import UserError
from mnist_app.learning import not_a_digit as module
from mnist_app.learning.not_a_digit import (
    LETTER_STROKES,
    auroc,
    drawn,
    letters,
    noise,
    non_digits,
    not_a_digit,
    scribbles,
    threshold_keeping,
)


def direct_auroc(digits, others):
    """The share of (digit, non-digit) pairs where the digit scores higher, ties counting half."""
    pairs = [(d > o) + 0.5 * (d == o) for d in digits for o in others]
    return sum(pairs) / len(pairs)


@pytest.mark.parametrize(
    ("digits", "others"),
    [
        ([0.99, 0.9, 0.8, 0.7], [0.6, 0.5]),  # all apart: 1
        ([0.5, 0.5, 0.9], [0.5, 0.95, 0.2]),  # ties and an overlap
        ([0.1, 0.2], [0.3, 0.4, 0.5]),  # all the wrong way round: 0
        ([0.31, 0.7, 0.7, 0.2, 0.99], [0.7, 0.3, 0.31, 0.1]),
    ],
)
def test_auroc_is_the_chance_that_a_digit_scores_above_a_non_digit(digits, others):
    assert auroc(np.array(digits), np.array(others)) == pytest.approx(direct_auroc(digits, others))


def test_auroc_on_random_scores_matches_the_pairwise_count():
    rng = np.random.default_rng(0)
    digits, others = rng.beta(5, 1, 300).round(2), rng.beta(2, 2, 200).round(2)
    assert auroc(digits, others) == pytest.approx(direct_auroc(digits, others))
    with pytest.raises(UserError):
        auroc(digits, np.array([]))


def test_the_threshold_is_the_largest_that_keeps_the_share_of_digits():
    scores = np.linspace(0.01, 1.0, 100)
    threshold = threshold_keeping(scores, 0.95)
    assert (scores >= threshold).mean() >= 0.95
    assert (scores >= np.nextafter(threshold, 2)).mean() < 0.95
    assert threshold_keeping(np.array([0.9, 0.9, 0.9]), 0.95) == 0.9
    assert threshold_keeping(np.array([0.2, 0.8]), 1.0) == 0.2


def test_letters_and_scribbles_are_prepared_as_draw_prepares_a_drawing():
    drawn_letters, drawn_scribbles, random_noise = letters(24), scribbles(10), noise(5)
    assert drawn_letters.shape == (24, 28, 28) and 0 < len(drawn_scribbles) <= 10
    for images in (drawn_letters, drawn_scribbles, random_noise):
        assert images.dtype == np.float32 and images.min() >= 0 and images.max() <= 1
    assert np.array_equal(letters(24), drawn_letters), "seeded"
    assert not np.array_equal(drawn_letters[0], drawn_letters[len(LETTER_STROKES)]), "jittered"
    # Draw's preparation fits the ink in a 20x20 box centred by mass.
    ink_rows = np.flatnonzero(drawn_letters[0].max(axis=1) > 0.1)
    assert ink_rows.max() - ink_rows.min() + 1 <= 20
    assert drawn([[(0.5, 0.5), (0.502, 0.5)]]) is None, "a dot is no drawing"


def test_a_missing_fashion_mnist_is_skipped_with_a_reason(monkeypatch):
    def missing(*args, **kwargs):
        raise DatasetError("not installed")

    monkeypatch.setattr("mnist_app.datasets.catalogue.load_dataset", missing)
    found, skipped = module.non_digits(count=4)
    assert "fashion" not in found and "not installed" in skipped["fashion"]
    assert {name: len(items) for name, items in found.items() if name != "scribbles"} == {
        "noise": 4,
        "letters": 4,
    }


def test_the_mlp_tells_digits_from_letters_better_than_chance(trained_mlp, sample):
    others = {"letters": letters(60), "noise": noise(60)}
    result = not_a_digit(
        trained_mlp.model, sample.x_test[500:], sample.x_test[:500], others, {"fashion": "why"}
    )
    by_source = {s.source: s for s in result.sources}
    assert set(by_source) == {"letters", "noise"} and result.skipped == {"fashion": "why"}
    assert by_source["letters"].auroc > 0.6
    assert 0.85 <= result.kept <= 1 and 0 < result.threshold < 1
    roc = by_source["noise"]
    assert roc.false_positive_rate[0] == 0 and roc.true_positive_rate[-1] == 1
    summary = result.summary()
    assert set(summary["auroc"]) == {"letters", "noise"} and summary["skipped"] == {"fashion": "why"}


def test_non_digits_by_default_have_every_source_where_fashion_mnist_is_installed():
    found, skipped = non_digits(count=3)
    assert set(found) | set(skipped) == set(module.SOURCES)
