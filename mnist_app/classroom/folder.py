"""The classroom folder's small JSON files, shared by every server process on the same folders.

Each file is read with a size cap and cached until it changes (`json_files`), so a page may ask
on every rerun; it is written whole (`files.atomic_write`) while the folder's lock
is held, so two processes changing it at once never lose each other's change. A file that
cannot be read is the caller's to judge: `read_json` says so with `Damaged`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from mnist_app import json_files, settings
from mnist_app.errors import UserError
from mnist_app.files import atomic_write

# The largest file here (a class's names, a leaderboard's scores) is tens of kilobytes.
MAX_FILE_BYTES = 4 * 1024 * 1024
LOCK_FILE = ".lock"


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
    return json_files.read_cached(path(name), default, MAX_FILE_BYTES, check, f"the classroom file {name}")


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
