"""Small JSON files that every script run may ask for: read with a size cap, and read again only
when they change.

Every server process on the same folders sees the others' writes: the file's stamp (its inode,
mtime and size) says whether the value read last still holds. A file that is not a small
regular file, is not JSON, or whose content `check` refuses is logged once per version of it
and read as the default: a class runs on what it has rather than stopping.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

_log = logging.getLogger(__name__)
# What each file held when last read: path -> (stamp, value).
_read: dict[str, tuple[tuple[int, int, int], object]] = {}


def read_cached(
    path: Path,
    default: object,
    max_bytes: int,
    check: Callable[[object], object] = lambda value: value,
    what: str = "the file",
) -> object:
    """The file's JSON as `check` returns it; `default` when it is absent, cannot be opened, is
    not a regular file of at most `max_bytes`, is not JSON, or `check` raises ValueError,
    TypeError, KeyError or AttributeError. `what` names it in the log.

    What the content earns is kept until the file changes; a file that cannot be opened now
    (too many open files, its permissions being mended) is tried again on the next call.
    """
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return default
    stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
    known = _read.get(str(path))
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        if not stat.S_ISREG(status.st_mode) or status.st_size > max_bytes:
            raise ValueError("not a small regular file")
        # Not blocking: a pipe put there after the check above must not hang the page.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as file:
            value = check(json.loads(file.read(max_bytes + 1)))
    except OSError as error:
        _log.warning("%s cannot be read now: %s", what, error)
        return default
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        _log.warning("%s is ignored: %s", what, error)
        value = default
    _read[str(path)] = (stamp, value)
    return value
