"""Where a benchmark asks for it (MNIST_APP_TIMING_LOG=FILE), how long a page's parts take.

Off by default: one environment lookup (`settings.timing_log`) per timed part. On, each
timed part appends one line `NAME MILLISECONDS` to the file, which
`benchmarks/drawing_sessions.py` reads. A part may rename itself once it knows what it did
(the Draw page's fragment: `draw reading` for a run that read a digit, `draw` for one that
only drew the canvas).

Python's garbage collections are timed too, once the first part is (`gc0`, `gc1`, `gc2`, by
generation): a full collection holds the interpreter lock for as long as it walks the heap,
and every session waits behind it (`mnist_app.web.preload` keeps that walk short).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from mnist_app import settings

_WRITING = threading.Lock()
_COLLECTIONS_TIMED = threading.Event()
# Collections timed since the last line was written: a collection may start inside `_write`
# itself, so its callback only appends here (deque appends are atomic) and takes no lock.
_COLLECTED: collections.deque[tuple[str, float]] = collections.deque(maxlen=100_000)


@dataclass
class Part:
    """A timed part of a run; its name is read when the part ends, so it may be refined."""

    name: str


@contextlib.contextmanager
def timed(name: str) -> Iterator[Part]:
    part = Part(name)
    log = settings.timing_log()
    if not log:
        yield part
        return
    time_collections()
    began = time.perf_counter()
    try:
        yield part
    finally:
        _write(log, part.name, (time.perf_counter() - began) * 1000)


def time_collections() -> None:
    """From now on, a line per garbage collection in the timing log, written with the next
    timed part's (once per process)."""
    with _WRITING:
        if _COLLECTIONS_TIMED.is_set():
            return
        _COLLECTIONS_TIMED.set()
    began = [0.0]

    def collection(phase: str, info: dict) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            _COLLECTED.append((f"gc{info['generation']}", (time.perf_counter() - began[0]) * 1000))

    gc.callbacks.append(collection)


def _write(log: str, name: str, elapsed_ms: float) -> None:
    lines = []
    while _COLLECTED:
        lines.append(_COLLECTED.popleft())
    lines.append((name, elapsed_ms))
    with _WRITING, open(log, "a") as file:
        file.write("".join(f"{line} {ms:.3f}\n" for line, ms in lines))
