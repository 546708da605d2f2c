"""Less, or noisier, training data: how few images are enough, and what wrong labels do.

Both draws are seeded, each from its own stream of the seed, so the same choices give the
same images and the same wrong labels, and changing the noise keeps the images. The test
split is never touched: it measures what the model learnt, not what it was told.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.digit_arrays import DatasetError

MAX_LABEL_NOISE = 0.5
# Each draw's own stream of the seed, so that one choice does not change the other's draw.
_SUBSET_STREAM, _NOISE_STREAM = 0, 1


def training_subset(dataset: Dataset, size: int, seed: int = 0) -> Dataset:
    """`size` training images drawn at random (0: all of them), in the dataset's own order.

    One image of each class comes first where `size` allows, so a small subset still has every
    class; the rest are drawn from all the others alike.
    """
    available = len(dataset.y_train)
    if not 0 <= size <= available:
        raise DatasetError(f"{dataset.name} has {available:,} training images; cannot train on {size:,}")
    if size in (0, available):
        return dataset
    rng = np.random.default_rng((seed, _SUBSET_STREAM))
    classes = np.unique(dataset.y_train)
    chosen = np.zeros(available, dtype=bool)
    if size >= len(classes):
        for label in classes:
            chosen[rng.choice(np.flatnonzero(dataset.y_train == label))] = True
    rest = np.flatnonzero(~chosen)
    chosen[rng.choice(rest, size=size - int(chosen.sum()), replace=False)] = True
    rows = np.flatnonzero(chosen)
    return replace(dataset, x_train=_frozen(dataset.x_train[rows]), y_train=_frozen(dataset.y_train[rows]))


def with_label_noise(dataset: Dataset, fraction: float, seed: int = 0) -> tuple[Dataset, int]:
    """Exactly round(fraction * n) training labels, drawn at random, each replaced by another
    class drawn at random; the dataset and how many labels were changed."""
    if not 0 <= fraction <= MAX_LABEL_NOISE:
        raise DatasetError(f"label noise must lie in 0..{MAX_LABEL_NOISE:g}, not {fraction:g}")
    labels = dataset.y_train
    count = round(fraction * len(labels))
    if count == 0:
        return dataset, 0
    rng = np.random.default_rng((seed, _NOISE_STREAM))
    rows = rng.choice(len(labels), size=count, replace=False)
    n_classes = len(dataset.class_names)
    # A shift of 1 to n_classes - 1 lands on every other class alike, never on the label itself.
    shifts = rng.integers(1, n_classes, size=count)
    noisy = labels.copy()
    noisy[rows] = (labels[rows].astype(np.int64) + shifts) % n_classes
    return replace(dataset, y_train=_frozen(noisy)), count


def training_data(dataset: Dataset, size: int, noise: float, seed: int) -> tuple[Dataset, int]:
    """The training split a run learns from: `size` images (0: all), then `noise` of their
    labels made wrong; and how many were."""
    return with_label_noise(training_subset(dataset, size, seed), noise, seed)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
