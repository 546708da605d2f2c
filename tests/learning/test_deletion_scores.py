"""Deletion scores: the heat map's ink against random ink."""

import numpy as np
import pytest

from mnist_app.errors import UserError
from mnist_app.learning.deletion_scores import (
    RANDOM_DRAWS,
    contest_score,
    deleted,
    deletion_scores,
    sample_rows,
)


class NoiseMaps:
    """An inspector whose heat maps are noise, seeded; the layer each was asked at, kept."""

    def __init__(self, inspector, seed: int = 0):
        self.model, self.has_conv = inspector.model, False
        self.rng, self.layers = np.random.default_rng(seed), set()

    def attribution(self, image, target, method, layer=None):
        self.layers.add(layer)
        return self.rng.random(image.shape).astype(np.float32)


def test_the_most_attributed_tenth_of_the_ink_is_removed_and_as_much_random_ink():
    image = np.zeros((28, 28), np.float32)
    image[5:25, 10:15] = 0.8  # 100 ink pixels
    attribution = np.zeros((28, 28), np.float32)
    attribution[5:25, 10:15] = np.arange(100).reshape(20, 5)
    attribution[0, 0] = 1e6  # no ink there: never chosen
    top, randoms = deleted(image, attribution, np.random.default_rng(0))
    removed = (image > 0) & (top == 0)
    assert removed.sum() == 10 and attribution[removed].min() == 90
    assert randoms.shape == (RANDOM_DRAWS, 28, 28)
    for draw in randoms:
        assert ((image > 0) & (draw == 0)).sum() == 10 and (draw[image == 0] == 0).all()


def test_the_sample_is_seeded_and_sorted():
    assert sample_rows(1000, 20, seed=3).tolist() == sample_rows(1000, 20, seed=3).tolist()
    assert sample_rows(10, 200).tolist() == list(range(10))


def test_heat_maps_of_the_mlp_point_at_ink_that_matters(trained_mlp, sample):
    from mnist_app.learning.inspection import Inspector

    inspector = Inspector(trained_mlp.model)
    fractions = []
    scores = deletion_scores(inspector, sample.x_test, size=12, on_progress=fractions.append)
    assert [s.method for s in scores] == ["integrated-gradients", "gradient"], (
        "no Grad-CAM without a conv layer"
    )
    for score in scores:
        assert score.n == 12 and 0 <= score.score <= 1
    integrated = scores[0]
    assert integrated.score > 0.5 and integrated.mean_drop > integrated.mean_random_drop
    assert fractions[-1] == pytest.approx(1.0)
    with pytest.raises(UserError, match="magic"):
        deletion_scores(inspector, sample.x_test, methods=("magic",))


def test_each_random_draw_is_a_contest_of_its_own_and_a_tie_counts_half():
    drops = np.array([0.2, 0.1])
    random_drops = np.array([[1.0, 0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.0, 0.2, 0.3]])
    # Against the draws' mean both would lose (0.2 < 0.28, 0.1 < 0.14): one skewed draw is not
    # a typical one. Contest by contest: 4 of 5 won, then 1 won and 2 tied of 5.
    assert contest_score(drops, random_drops) == pytest.approx((4 / 5 + 2 / 5) / 2)


def test_a_heat_map_of_noise_scores_a_half(trained_mlp, sample):
    """Removing random ink against removing random ink: a fair test scores 0.5 on average, not less."""
    from mnist_app.learning.inspection import Inspector

    noise = NoiseMaps(Inspector(trained_mlp.model))
    (score,) = deletion_scores(noise, sample.x_test, methods=("gradient",), size=1000, layer="conv")
    assert score.n == 1000 and abs(score.score - 0.5) <= 0.05
    assert noise.layers == {"conv"}, "the layer is passed on to every attribution"
