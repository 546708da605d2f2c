"""What the command line says: one JSON line on stdout, one error line and its exit status,
progress on stderr, and TensorFlow's own stderr kept out of the way."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator

from mnist_app.datasets.digit_arrays import as_text
from mnist_app.errors import one_line

USAGE_ERROR = 2
INTERNAL_ERROR = 1


def print_json(value: dict) -> None:
    """One JSON object on one stdout line; a file name's byte that is not UTF-8 as `\\xff`, as the
    app and the error lines show it, not as a lone surrogate that strict JSON readers refuse."""
    # NaN and Infinity are not JSON: a figure that slipped through every check is a bug, not output.
    print(json.dumps(_readable(value), allow_nan=False), flush=True)


def _readable(value: object) -> object:
    if isinstance(value, str):
        return as_text(value)
    if isinstance(value, dict):
        return {_readable(key): _readable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_readable(item) for item in value]
    return value


def fail(message: object, status: int) -> int:
    """The one line a failed command prints, with control characters escaped; returns `status`."""
    print(f"error: {one_line(message)}", file=sys.stderr, flush=True)
    return status


def print_progress(progress) -> None:
    """A training job's progress as one stderr line, redrawn in place."""
    width = 30
    filled = int(progress.fraction * width)
    point = next(p for p in reversed(progress.points) if p.split == "train")
    print(
        f"\repoch {progress.epoch}/{progress.epochs} [{'#' * filled}{'.' * (width - filled)}] "
        f"loss {point.loss:.4f} accuracy {point.accuracy:.4f}",
        end="",
        file=sys.stderr,
        flush=True,
    )


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null while a command runs; `sys.stderr` at a copy of it.

    TensorFlow's C++ logging (oneDNN, CUDA, CPU features, a failed `cuInit`, allocators)
    writes to descriptor 2 itself, at import and later, some of it whatever
    `TF_CPP_MIN_LOG_LEVEL` says; it would bury a failing command's one line. The command's
    own lines (progress, the error) go through `sys.stderr`, so they still arrive.
    """
    previous = sys.stderr
    try:
        original = os.dup(2)
    except OSError:  # No descriptor 2 at all: nothing to keep quiet.
        yield
        return
    if previous is not None:
        previous.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if _writes_to_descriptor_2(previous):
        # Never closed: a logger made meanwhile (TensorFlow's, Ray's) may keep writing to it.
        sys.stderr = open(  # noqa: SIM115
            os.dup(original), "w", buffering=1, encoding=previous.encoding, errors=previous.errors
        )
    try:
        yield
    finally:
        if sys.stderr is not None:
            sys.stderr.flush()
        os.dup2(original, 2)
        os.close(original)
        sys.stderr = previous


def _writes_to_descriptor_2(stream) -> bool:
    """Whether `stream` is the process's own stderr, not a replacement such as a test's capture."""
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False
