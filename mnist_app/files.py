"""Reading files that a user names: regular files only, sizes checked before reading.

A path may name a FIFO (opening it for reading blocks until someone writes), a device, a
50 GB sparse file, or a small archive that inflates to gigabytes. Everything here checks
before it reads, reads no more than it was allowed, and raises the caller's own error type.
Files are written whole or not at all: always through `staged_file` (hidden beside its place,
synced, then renamed or linked there), most simply through `atomic_write`.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mnist_app.errors import UserError

# What read_capped asks a stream for at a time.
READ_CHUNK = 4 * 2**20


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def open_regular(path: Path, max_bytes: int, error: type[UserError] = UserError) -> BinaryIO:
    """Open `path` for binary reading if it is a regular file of at most `max_bytes` bytes.

    Opened without blocking and checked on the open descriptor, so a FIFO or a device put
    in a file's place is refused, never waited on.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as cause:
        raise error(f"cannot open {path}: {_reason(cause)}") from None
    except ValueError:
        raise error(f"cannot open {path}: the path holds a NUL character") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise error(f"{path} is not a regular file")
        if status.st_size > max_bytes:
            raise error(f"{path} is {status.st_size:,} bytes; at most {max_bytes:,} are read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path, max_bytes: int, error: type[UserError] = UserError) -> bytes:
    """The whole content of a regular file of at most `max_bytes` bytes."""
    with open_regular(path, max_bytes, error) as file:
        try:
            return read_capped(file, max_bytes, str(path), error)
        except OSError as cause:
            raise error(f"cannot read {path}: {_reason(cause)}") from None


def read_capped(stream: BinaryIO, limit: int, what: str, error: type[UserError] = UserError) -> bytes:
    """Read `stream` to its end, but never more than `limit` bytes: more is an error.

    For decompressing streams this is the cap on inflation: a header or a size field may lie,
    the count of bytes actually produced cannot. Read in chunks, so memory follows the bytes
    that come, not the limit: one `read(limit + 1)` allocates the whole limit up front.
    """
    buffer = io.BytesIO()
    while buffer.tell() <= limit:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - buffer.tell()))
        if not chunk:
            break
        buffer.write(chunk)
    if buffer.tell() > limit:
        raise error(f"{what} holds more than {limit:,} bytes")
    return buffer.getvalue()


def resolve_inside(root: Path, typed: str, error: type[UserError] = UserError) -> Path:
    """The path a web visitor typed, resolved inside `root`, or an error that reveals nothing.

    Relative paths are taken from `root`; `..`, absolute paths and symbolic links that lead
    outside it are refused with the same message whether or not the target exists, so the
    answer says nothing about the rest of the server's disk.
    """
    base = Path(root).resolve()
    outside = error(
        f"paths are read inside the data folder only ({Path(root).name}/): {typed!r} is not in it"
    )
    try:
        resolved = (base / typed).resolve()
    except (OSError, ValueError, RuntimeError):
        raise outside from None
    if resolved != base and not resolved.is_relative_to(base):
        raise outside
    return resolved


class StagedFile:
    """A hidden file being written beside its final place, locked by its writer while it lives."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd
        self._synced = self._replaced = False

    def _sync(self) -> None:
        if not self._synced:
            os.fsync(self.fd)
            os.chmod(self.path, 0o644)
            self._synced = True

    def replace(self, target: Path) -> None:
        """Sync the file and rename it over `target`: readers see the old file or the whole new one."""
        self._sync()
        os.replace(self.path, target)
        self._replaced = True

    def link(self, target: Path) -> None:
        """Sync the file and link it as `target` too; FileExistsError if that name is taken.

        For claiming a free name: two writers linking at once never overwrite each other.
        """
        self._sync()
        os.link(self.path, target)


@contextlib.contextmanager
def staged_file(path: Path, suffix: str = ".tmp") -> Iterator[StagedFile]:
    """A hidden file beside `path` for the caller to fill and then `replace` or `link` into place.

    Removed at the end unless renamed. It is locked while it lives, so `remove_abandoned` can
    tell a file a killed writer left (unlocked) from one being written. OSError comes as it is:
    each caller names the file its own way.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:32]}.", suffix=suffix)
    staged = StagedFile(Path(name), fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield staged
    finally:
        os.close(fd)
        if not staged._replaced:
            with contextlib.suppress(OSError):
                os.unlink(name)


def remove_abandoned(folder: Path, pattern: str) -> list[str]:
    """Remove the staged files matching `pattern` in `folder` that no writer holds; their names."""
    removed = []
    with contextlib.suppress(OSError):
        for path in Path(folder).glob(pattern):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink()
                removed.append(path.name)
            except OSError:
                continue
            finally:
                os.close(fd)
    return removed


def atomic_write(path: Path, write: Callable[[BinaryIO], object], error: type[UserError] = UserError) -> None:
    """Write `path` whole or not at all: `write` fills a staged file, which then replaces it.

    A crash or a full disk leaves the old file (or none), never half of a new one; the
    hidden file is removed on any failure, and the error names the file being written.
    """
    path = Path(path)
    try:
        with staged_file(path) as staged:
            with open(staged.fd, "wb", closefd=False) as file:
                write(file)
            staged.replace(path)
    except OSError as cause:
        raise error(f"cannot write {path}: {_reason(cause)}") from None
