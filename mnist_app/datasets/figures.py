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

from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.decoded import kept_beside
from mnist_app.datasets.digit_arrays import IMAGE_SIZE

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


def moments(histogram: np.ndarray) -> tuple[float, float]:
    """The pixels' mean and standard deviation, exactly, from their histogram (0, 0 for none)."""
    pixels = int(histogram.sum())
    if not pixels:
        return 0.0, 0.0
    values = np.arange(256, dtype=np.float64)
    mean = float(values @ histogram / pixels)
    return mean, float(np.sqrt(((values - mean) ** 2) @ histogram / pixels))


def figures(data: Dataset) -> dict:
    """Class counts, mean image per class (zeros for a class without images), pixel histogram,
    and the pixels' mean and standard deviation: plain arrays, so they can be kept on disk."""
    classes = len(data.class_names)
    counts = np.bincount(data.y_train, minlength=classes)
    histogram = pixel_histogram(data.x_train)
    mean, std = moments(histogram)
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
    """Whether what was kept is what `figures` gives for this dataset, as far as cheap checks
    tell: the layout, the class counts exactly (a count of labels costs nothing), a histogram
    of as many pixels with the mean and deviation it implies, and mean images within 0..255.

    A change to the layout needs a new KEPT_AS, so files of the old one are not read.
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
    if kept.keys() != shapes.keys() or not all(
        isinstance(kept[key], np.ndarray | np.generic)
        and kept[key].shape == shape
        and kept[key].dtype.kind in "iuf"
        for key, shape in shapes.items()
    ):
        return False
    histogram = kept["histogram"]
    if histogram.dtype.kind not in "iu" or histogram.min() < 0 or histogram.max() > data.x_train.size:
        return False
    if int(histogram.sum()) != data.x_train.size:  # 256 bins of at most that many: no overflow
        return False
    mean, std = moments(histogram)
    means = kept["mean_images"]
    return (
        np.array_equal(kept["train_counts"], np.bincount(data.y_train, minlength=classes))
        and np.array_equal(kept["test_counts"], np.bincount(data.y_test, minlength=classes))
        and bool(np.isclose(kept["mean"], mean) and np.isclose(kept["std"], std))
        and bool(np.isfinite(means).all() and means.min(initial=0) >= 0 and means.max(initial=0) <= 255)
    )
