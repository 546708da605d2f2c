"""Maps and their figures kept on disk, so a second visit, a restart or another visitor gets them at once.

Each entry is one `.npz` of plain arrays (no pickles), named by a hash of what it was computed
from, in a `maps` folder inside the decoded datasets' cache (`settings.cache_dir`). As with
that cache, the folder is used only if it belongs to this user and no one else may write to
it: a planted entry could draw a false map. Anything read is checked by its caller (shapes,
types, finite numbers) and recomputed when it fails, and the new entry replaces it. Entries
are written whole (`files.atomic_write`) and the MAX_ENTRIES most recently used are kept; a
cache that cannot be written only costs the computation. Other figures measured on a model's
test digits (the Trust page's curves) keep theirs the same way in a folder of their own
(`namespace`), so neither pushes the other's entries out.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mnist_app import settings
from mnist_app.errors import UserError
from mnist_app.files import atomic_write

FOLDER = "maps"
# A map of 10,000 digits takes about 100 KB: a few hundred of them are tens of megabytes.
MAX_ENTRIES = 300
MAX_ENTRY_BYTES = 8 << 20
# A killed writer's hidden file (`atomic_write`'s `.NAME.*.tmp`) is removed after an hour.
ABANDONED_SECONDS = 3600


class _Unwritable(UserError):
    """An entry that could not be written: never shown, the cache is only skipped."""


def folder(namespace: str = FOLDER) -> Path | None:
    """The maps folder (or `namespace`'s), made if missing, if it and the cache around it are this
    user's alone."""
    root = settings.cache_dir()
    if root is None:
        return None
    maps = root / namespace
    return maps if _trusted(root) and _trusted(maps) else None


def _trusted(path: Path) -> bool:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(status.st_mode)
        and status.st_uid == os.getuid()
        and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def read(
    key: str, as_computed: Callable[[dict[str, np.ndarray]], bool], namespace: str = FOLDER
) -> dict[str, np.ndarray] | None:
    """The entry's arrays if it is there and `as_computed` takes them; None means compute again."""
    where = folder(namespace)
    if where is None:
        return None
    path = where / f"{key}.npz"
    try:
        found = _read(path)
    except Exception:  # numpy and zipfile raise many kinds on a damaged file; each means "compute again"
        return None
    if found is None or not as_computed(found):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # most recently used
    return found


def _read(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of an .npz as `np.savez` writes it: a regular file of stored members, not too big."""
    status = os.lstat(path)
    if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_ENTRY_BYTES:
        return None
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    if any(member.compress_type != zipfile.ZIP_STORED for member in members):
        return None
    if sum(member.file_size for member in members) > MAX_ENTRY_BYTES:
        return None
    with np.load(path, allow_pickle=False) as kept:
        return {name: kept[name] for name in kept.files}


def write(key: str, arrays: dict[str, np.ndarray], namespace: str = FOLDER) -> None:
    """Keep the entry (replacing any damaged one), then prune; a cache that cannot be written is skipped."""
    where = folder(namespace)
    if where is None:
        return
    with contextlib.suppress(_Unwritable, ValueError):
        atomic_write(where / f"{key}.npz", lambda file: np.savez(file, **arrays), _Unwritable)
    prune(where)


def prune(where: Path, keep: int = MAX_ENTRIES) -> None:
    """Remove all but the `keep` most recently used entries, and staged files a killed writer left."""
    ages = {}
    with contextlib.suppress(OSError):
        for path in where.iterdir():
            with contextlib.suppress(OSError):
                ages[path] = time.time() - os.lstat(path).st_mtime
    entries = sorted(
        (path for path in ages if path.suffix == ".npz" and not path.name.startswith(".")), key=ages.get
    )
    abandoned = [path for path, age in ages.items() if path.name.startswith(".") and age > ABANDONED_SECONDS]
    for stale in entries[keep:] + abandoned:
        with contextlib.suppress(OSError):
            if not stat.S_ISDIR(os.lstat(stale).st_mode):
                stale.unlink()
