"""Datasets by what a user types: the named ones, and paths to an IDX folder or an .npz.

`load_dataset` is the one door: a name (see NAMED_DATASETS) goes to its source (`sources`,
or `digit_store` for the learner's own digits), a path to the reader its kind needs. A web
visitor's path is read inside the data folder only, and `datasets_in` lists what a visitor
may open there. No TensorFlow here: the Explore page imports this module and must not wait
for it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

from mnist_app import settings
from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.digit_arrays import DatasetError, as_text
from mnist_app.datasets.digit_store import DigitStore
from mnist_app.datasets.sources import (
    find_idx,
    load_auto,
    load_fashion_mnist,
    load_idx_dir,
    load_mnist,
    load_mnist_sample,
    load_npz,
    path_status,
)
from mnist_app.file_names import escaped, unescaped
from mnist_app.files import resolve_inside

NAMED_DATASETS = ("auto", "mnist", "mnist-sample", "fashion-mnist", "my-digits")

# Entries datasets_in lists: enough for a classroom's folder, short enough for a select box.
MAX_LISTED_DATASETS = 50


def load_dataset(spec: str, *, require_train: bool = True, root: Path | None = None) -> Dataset:
    """Load a dataset by name (see NAMED_DATASETS) or by path (IDX folder or .npz).

    With `root` (a web visitor's request) a path is read inside that folder only, links
    included, and `~` means nothing; without it (the command line, the operator's setting)
    any path is read, `~` expanded.
    """
    spec = spec.strip()
    if spec == "auto":
        return load_auto()
    if spec == "mnist":
        return load_mnist()
    if spec == "mnist-sample":
        return load_mnist_sample()
    if spec == "fashion-mnist":
        return load_fashion_mnist()
    if spec == "my-digits":
        return DigitStore(settings.data_dir()).read().dataset()
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
    status = path_status(path, spec)
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
        status = path_status(path, relative)
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
        return any(find_idx(folder, split, "images") for split in ("train", "t10k"))
    except DatasetError:
        return False
