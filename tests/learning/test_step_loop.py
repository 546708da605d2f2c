"""The trainer's inner loop: every row once an epoch, in batches, shuffled anew each epoch."""

import numpy as np


def test_padded_batches_cover_every_row_once_with_weight_one():
    from mnist_app.learning.step_loop import padded_batches

    rows, weights = padded_batches(2500, 1024)
    assert rows.shape == weights.shape == (3, 1024)
    assert sorted(rows[weights == 1].tolist()) == list(range(2500))
    assert weights.sum() == 2500


def test_epoch_batches_shuffle_every_row_into_full_batches_then_the_rest():
    from mnist_app.learning.step_loop import epoch_batches

    rng = np.random.default_rng(0)
    first, second = epoch_batches(100, 32, rng), epoch_batches(100, 32, rng)
    assert [b.shape for b in first] == [(3, 32), (1, 4)]
    assert sorted(np.concatenate([b.ravel() for b in first]).tolist()) == list(range(100))
    assert not np.array_equal(first[0], second[0]), "each epoch reshuffles"
    assert [b.shape for b in epoch_batches(64, 32, rng)] == [(2, 32)]
    assert [b.shape for b in epoch_batches(10, 32, rng)] == [(1, 10)]
