"""The dataset type: train and test splits of 28x28 uint8 images with their labels, read-only.

Every source (`sources`), the learner's own digits (`digit_store`) and the layers above
share it. `checked_dataset` builds one from arrays of any numeric type, checked; the
shape of a digit, the number of classes and the layer's error live in `digit_arrays`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mnist_app.datasets.digit_arrays import IMAGE_SIZE, NUM_CLASSES, DatasetError, all_within, as_text

DIGIT_NAMES = tuple(str(digit) for digit in range(NUM_CLASSES))
FASHION_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass(frozen=True)
class Dataset:
    """Train and test splits of 28x28 uint8 images with integer labels."""

    name: str
    source: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...] = DIGIT_NAMES
    notice: str = field(default="", compare=False)  # for the learner: what the data is
    operator_help: str = field(default="", compare=False)  # for whoever runs the server

    def __post_init__(self) -> None:
        # Both are printed and shown: a file name in them that is not UTF-8 must not break either.
        object.__setattr__(self, "name", as_text(self.name))
        object.__setattr__(self, "source", as_text(self.source))

    def summary(self) -> dict:
        """The figures the command line prints and the Explore page shows."""
        return {
            "dataset": self.name,
            "source": self.source,
            "train": len(self.y_train),
            "test": len(self.y_test),
            "classes": list(self.class_names),
        }


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale uint8 images to the [0, 1] range the models expect (floats pass unchanged)."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32, copy=False)


def checked_dataset(name: str, source: str, train: tuple, test: tuple) -> Dataset:
    """Check shapes and values, and freeze the arrays: one copy serves every session."""
    arrays = []
    for split, (images, labels) in (("train", train), ("test", test)):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise DatasetError(f"{source}: {split} images have shape {images.shape}, expected (n, 28, 28)")
        if labels.shape != (len(images),):
            raise DatasetError(f"{source}: {len(images)} {split} images but labels of shape {labels.shape}")
        if not all_within(labels, NUM_CLASSES - 1, whole=True):
            raise DatasetError(f"{source}: {split} labels must be whole numbers in 0..9")
        if not all_within(images, 255):
            raise DatasetError(f"{source}: {split} pixels must be finite numbers in 0..255")
        images, labels = np.ascontiguousarray(images, np.uint8), np.ascontiguousarray(labels, np.uint8)
        for array in (images, labels):
            array.flags.writeable = False
        arrays += [images, labels]
    return Dataset(name, source, *arrays)
