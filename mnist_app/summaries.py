"""Figures about a dataset for the Explore page: class counts, mean images, pixel intensities.

Written for 60,000-image datasets: the figures take about 0.17 s there (1.2 s done the
plain way, which made the first page wait). The histogram is counted in chunks, because
`np.bincount` widens its input to 64-bit integers (376 MB at once for 47 million pixels);
mean and standard deviation follow exactly from the histogram; the mean image of each
class is one matrix product. For a dataset the decoded cache maps, they are kept in its
entry (`kept_figures`): after a restart the first page reads them, in about a millisecond.
"""

from __future__ import annotations

import numpy as np

from mnist_app.data import IMAGE_SIZE, Dataset
from mnist_app.decoded import kept_beside

CHUNK_PIXELS = 1 << 20
# A new layout of the figures gets a new name, so a kept file of the old one is never misread.
KEPT_AS = "explore-figures-v1"


def pixel_histogram(images: np.ndarray) -> np.ndarray:
    """How many pixels have each value 0..255."""
    flat = np.ascontiguousarray(images, np.uint8).reshape(-1)
    histogram = np.zeros(256, np.int64)
    for start in range(0, len(flat), CHUNK_PIXELS):
        histogram += np.bincount(flat[start : start + CHUNK_PIXELS], minlength=256)
    return histogram


def figures(data: Dataset) -> dict:
    """Class counts, mean image per class (zeros for a class without images), pixel histogram,
    and the pixels' mean and standard deviation: plain arrays, so they can be kept on disk."""
    classes = len(data.class_names)
    counts = np.bincount(data.y_train, minlength=classes)
    histogram = pixel_histogram(data.x_train)
    pixels = int(histogram.sum())
    values = np.arange(256, dtype=np.float64)
    mean = float(values @ histogram / pixels) if pixels else 0.0
    std = float(np.sqrt(((values - mean) ** 2) @ histogram / pixels)) if pixels else 0.0
    one_hot = (data.y_train[:, None] == np.arange(classes)).astype(np.float32)
    shape = data.x_train.shape[1:]
    sums = one_hot.T @ data.x_train.reshape(len(data.y_train), int(np.prod(shape))).astype(np.float32)
    means = sums / np.maximum(counts, 1)[:, None]
    return {
        "train_counts": counts,
        "test_counts": np.bincount(data.y_test, minlength=classes),
        "mean_images": means.reshape(classes, *shape).astype(np.float32),
        "histogram": histogram,
        "mean": np.float64(mean),
        "std": np.float64(std),
    }


def kept_figures(data: Dataset) -> dict:
    """The figures, kept beside the dataset's decoded arrays where the cache maps them."""
    return kept_beside(
        data.x_train, KEPT_AS, lambda: figures(data), lambda kept: looks_like_figures(kept, data)
    )


def looks_like_figures(kept: dict, data: Dataset) -> bool:
    """Whether what was kept has the layout `figures` gives for this dataset, counts included.

    A change to that layout needs a new KEPT_AS, so files of the old one are not read.
    """
    classes = len(data.class_names)
    shapes = {
        "train_counts": (classes,),
        "test_counts": (classes,),
        "mean_images": (classes, IMAGE_SIZE, IMAGE_SIZE),
        "histogram": (256,),
        "mean": (),
        "std": (),
    }
    return (
        kept.keys() == shapes.keys()
        and all(
            isinstance(kept[key], np.ndarray | np.generic)
            and kept[key].shape == shape
            and kept[key].dtype.kind in "iuf"
            for key, shape in shapes.items()
        )
        and int(kept["train_counts"].sum()) == len(data.y_train)
        and int(kept["test_counts"].sum()) == len(data.y_test)
        and int(kept["histogram"].sum()) == data.x_train.size
    )
