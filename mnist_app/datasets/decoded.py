"""Decoded datasets kept on disk as NumPy `.npy` files and memory-mapped on later loads.

Decoding 70,000 images from gzipped IDX files or an `.npz` takes a noticeable part of a
second at every server start. The first load writes the four decoded arrays next to each
other; later loads, in this process or any other, map those files read-only: nothing to
decode, and every server process on the machine shares one copy in the page cache.

An entry is named by a hash of its source files' paths, sizes and modification times, so a
changed source is decoded afresh. Each file of an entry is written whole (`files.atomic_write`)
into a temporary folder, and that folder is renamed into place (a folder, which atomic_write
does not rename), so a crash or a second process racing to write leaves no half entry; anything
unreadable in the cache is decoded again and the entry replaced. The cache is an
optimisation only: where it cannot be written, loading works as before. Since a planted
entry could hold wrong labels, a cache folder is used only if it belongs to this user and
no one else may write to it; the app makes its own with mode 0700. Where the cache is, or
that there is none, is the setting MNIST_APP_CACHE_DIR (`settings.cache_dir`).

What is computed from an entry's arrays (the Explore page's figures) can be kept in the
entry beside them (`kept_beside`), so a restart neither decodes nor computes again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from mnist_app import settings
from mnist_app.errors import UserError
from mnist_app.files import atomic_write

KEYS = ("x_train", "y_train", "x_test", "y_test")
# A new layout of entries gets a new prefix, so old ones are never misread.
FORMAT = "v1-"
# Each full-size entry is about 55 MB: keep the most recently used few.
MAX_ENTRIES = 8
# What is derived from an entry is small (the Explore page's figures take 35 KB): a bigger
# kept file, or one whose members are compressed (a zip bomb), is not read but computed again.
MAX_KEPT_BYTES = 1 << 20

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class _Unwritable(UserError):
    """A file of the cache that could not be written: never shown, the cache is only skipped."""


def entry_name(sources: Iterable[Path]) -> str:
    """The entry for these source files as they are now on disk."""
    digest = hashlib.sha256()
    for path in sources:
        status = os.stat(path)
        # A path is bytes on disk: os.fsencode keeps a name that is not UTF-8, which .encode() refuses.
        digest.update(os.fsencode(os.path.realpath(path)))
        digest.update(f"\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return FORMAT + digest.hexdigest()[:32]


def decoded(sources: list[Path], decode: Callable[[], Arrays]) -> Arrays:
    """The four arrays `decode` gives for `sources`, from the cache where they are there."""
    folder = settings.cache_dir()
    if folder is None or not _trusted(folder):
        return decode()
    try:
        entry = folder / entry_name(sources)
    except OSError:
        return decode()
    cached = read_entry(entry)
    if cached is not None:
        return cached
    arrays = decode()
    if _write_entry(folder, entry, arrays):
        _prune(folder)
        return read_entry(entry) or arrays
    return arrays


def _trusted(folder: Path) -> bool:
    """The folder, made if missing, is this user's and no one else's to write."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = os.stat(folder)
    except OSError:
        return False
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_entry(entry: Path) -> Arrays | None:
    """The entry's arrays, memory-mapped read-only; None if it is missing or not as written:
    a real folder of regular files, uint8 digits of 28x28 with as many labels, each 0 to 9."""
    try:
        if not stat.S_ISDIR(os.lstat(entry).st_mode):
            return None
        paths = [entry / f"{key}.npy" for key in KEYS]
        if not all(stat.S_ISREG(os.lstat(path).st_mode) for path in paths):
            return None
        arrays = tuple(np.load(path, mmap_mode="r", allow_pickle=False) for path in paths)
        if not _as_written(*arrays):
            return None
    except Exception:  # numpy raises many kinds on a damaged file; each means "decode again".
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)
    return arrays


def _as_written(x_train, y_train, x_test, y_test) -> bool:
    for images, labels in ((x_train, y_train), (x_test, y_test)):
        if not isinstance(images, np.ndarray) or not isinstance(labels, np.ndarray):
            return False
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            return False
        if images.shape[1:] != (28, 28) or labels.shape != (len(images),):
            return False
        if len(labels) and labels.max() > 9:
            return False
    return True


def _write_entry(folder: Path, entry: Path, arrays: Arrays) -> bool:
    """Write the entry atomically, in place of a damaged one; False where it cannot be written.

    Each file is written whole into a hidden partial folder, which is then renamed into place
    by hand: `atomic_write` renames files, and the entry is a folder.
    """
    try:
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder))
    except OSError:
        return False
    try:
        for key, array in zip(KEYS, arrays, strict=True):
            atomic_write(partial / f"{key}.npy", _npy_writer(array), _Unwritable)
        _move_aside(folder, entry)
        os.rename(partial, entry)
        return True
    except (OSError, _Unwritable):
        # Another process renamed its copy into place first, or the disk is full or read-only.
        return entry.is_dir()
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _npy_writer(array: np.ndarray) -> Callable:
    return lambda file: np.save(file, np.ascontiguousarray(array), allow_pickle=False)


def _move_aside(folder: Path, entry: Path) -> None:
    """Take a damaged entry out of the way; a process still mapping its files keeps them."""
    if not os.path.lexists(entry):
        return
    aside = folder / f".partial-stale-{os.getpid()}-{time.monotonic_ns()}"
    with contextlib.suppress(OSError):
        os.rename(entry, aside)
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            aside.unlink()


def _prune(folder: Path) -> None:
    """Remove all but the MAX_ENTRIES most recently used entries, and partial ones (or partial
    files inside one: `atomic_write`'s hidden `.NAME.*.tmp`) a killed writer left over an hour
    ago. A process that still maps a removed entry keeps reading it."""
    ages = {}
    try:
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                ages[path] = time.time() - os.lstat(path).st_mtime
    except OSError:
        return
    entries = sorted((path for path in ages if path.name.startswith(FORMAT)), key=ages.get)
    abandoned = [path for path, age in ages.items() if path.name.startswith(".partial-") and age > 3600]
    for stale in entries[MAX_ENTRIES:] + abandoned:
        shutil.rmtree(stale, ignore_errors=True)
    for entry in entries[:MAX_ENTRIES]:  # a derived file's writer killed half way (`kept_beside`)
        with contextlib.suppress(OSError):
            for partial in (*entry.glob(".*.tmp"), *entry.glob(".partial-*")):
                if time.time() - os.lstat(partial).st_mtime > 3600 and not partial.is_dir():
                    partial.unlink()


def kept_beside(
    images: np.ndarray,
    name: str,
    compute: Callable[[], dict[str, np.ndarray]],
    as_computed: Callable[[dict], bool],
) -> dict:
    """What `compute` derives from arrays this cache mapped, kept in their entry as NAME.npz.

    `images` is one of the arrays `decoded` returned, whole (a slice of it is not the
    entry's data): the entry is the folder of the file it maps. For arrays decoded in memory,
    or a cache that cannot be written, it is computed each time. A kept file that cannot be
    read, or that `as_computed` does not take for `compute`'s kind of result, is computed
    again and replaced. What is returned is read-only, as it may be shared.
    """
    entry = _entry_of(images)
    if entry is None:
        return compute()
    path = entry / f"{name}.npz"
    with contextlib.suppress(Exception):  # missing, damaged, too big or not a file: compute again
        found = _read_kept(path)
        if found is not None and as_computed(found):
            return _read_only(found)
    derived = compute()
    with contextlib.suppress(_Unwritable, ValueError):
        atomic_write(path, lambda file: np.savez(file, **derived), _Unwritable)
    return _read_only(derived)


def _read_kept(path: Path) -> dict | None:
    """The arrays of a kept .npz as `np.savez` writes it: a small regular file of stored members."""
    status = os.lstat(path)
    if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_KEPT_BYTES:
        return None
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    if any(member.compress_type != zipfile.ZIP_STORED for member in members):
        return None
    if sum(member.file_size for member in members) > MAX_KEPT_BYTES:
        return None
    with np.load(path, allow_pickle=False) as kept:
        return {key: kept[key] for key in kept.files}


def _read_only(arrays: dict) -> dict:
    for array in arrays.values():
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    return arrays


def _entry_of(images: np.ndarray) -> Path | None:
    """The entry folder of the cache file `images` maps whole, if it is one of this cache's."""
    mapped = images
    while mapped is not None and not (isinstance(mapped, np.memmap) and mapped.filename):
        mapped = mapped.base if isinstance(mapped, np.ndarray) else None
    folder = settings.cache_dir()
    if mapped is None or folder is None or not _same_data(images, mapped):
        return None
    entry = Path(mapped.filename).parent
    try:
        inside = (
            entry.parent.resolve() == folder.resolve()
            and entry.name.startswith(FORMAT)
            and stat.S_ISDIR(os.lstat(entry).st_mode)  # not a link put in its place since
        )
    except OSError:
        return None
    return entry if inside and _trusted(folder) else None


def _same_data(view: np.ndarray, mapped: np.ndarray) -> bool:
    return (
        view.shape == mapped.shape
        and view.strides == mapped.strides
        and view.__array_interface__["data"][0] == mapped.__array_interface__["data"][0]
    )
