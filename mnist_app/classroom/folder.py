"""The classroom folder's small JSON files, shared by every server process on the same folders.

Each file is read with a size cap and cached until it changes (its inode, mtime and size), so a
page may ask on every rerun; it is written whole (`files.atomic_write`) while the folder's lock
is held, so two processes changing it at once never lose each other's change. A file that
cannot be read is the caller's to judge: `read_json` says so with `Damaged`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from mnist_app import settings
from mnist_app.errors import UserError
from mnist_app.files import atomic_write

# The largest file here (a class's names, a leaderboard's scores) is tens of kilobytes.
MAX_FILE_BYTES = 4 * 1024 * 1024
LOCK_FILE = ".lock"
_log = logging.getLogger(__name__)
# What each file held when last read: path -> (stamp, value).
_read: dict[str, tuple[tuple[int, int, int], object]] = {}


class ClassroomError(UserError):
    """The classroom folder cannot be written; the message names the file, not the server's path."""


class Damaged(ValueError):
    """A classroom file that is not what this app writes (cut short, forged, too big)."""


def path(name: str) -> Path:
    """A file of the classroom folder."""
    return settings.classroom_dir() / name


def read_json(name: str, default: object, check: Callable[[object], object] = lambda value: value) -> object:
    """The file's content as `check` returns it; `default` when the file is absent or damaged.

    `check` raises `Damaged` (or ValueError, TypeError, KeyError) for content this app would
    not write; that is logged once per version of the file, never raised to a page.
    """
    where = path(name)
    try:
        status = os.stat(where)
    except (OSError, ValueError):
        return default
    stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
    known = _read.get(str(where))
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
            raise Damaged("not a small regular file")
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as file:
            value = check(json.loads(file.read(MAX_FILE_BYTES + 1)))
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        _log.warning("the classroom file %s is ignored: %s", name, error)
        value = default
    _read[str(where)] = (stamp, value)
    return value


def write_json(name: str, value: object) -> None:
    """Write the file whole; ClassroomError naming the file if the folder refuses."""
    where = path(name)
    content = json.dumps(value, indent=1, ensure_ascii=False, allow_nan=False).encode()
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ClassroomError(f"cannot make the classroom folder: {error.strerror}") from None
    try:
        atomic_write(where, lambda file: file.write(content), ClassroomError)
    except ClassroomError:
        raise ClassroomError(f"cannot write the classroom's {name}") from None


def remove(name: str) -> None:
    """Remove the file if it is there."""
    try:
        path(name).unlink()
    except FileNotFoundError:
        pass
    except OSError as error:
        raise ClassroomError(f"cannot remove the classroom's {name}: {error.strerror}") from None


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """One change to the classroom's files at a time, across threads and processes alike."""
    folder = settings.classroom_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise ClassroomError(f"cannot use the classroom folder: {error.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
