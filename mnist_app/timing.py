"""Where a benchmark asks for it (MNIST_APP_TIMING_LOG=FILE), how long a page's parts take.

Off by default: one environment lookup (`settings.timing_log`) per timed part. On, each
timed part appends one line `NAME MILLISECONDS` to the file, which
`benchmarks/drawing_sessions.py` reads. A part may rename itself once it knows what it did
(the Draw page's fragment: `draw reading` for a run that read a digit, `draw` for one that
only drew the canvas).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from mnist_app import settings

_WRITING = threading.Lock()


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
    began = time.perf_counter()
    try:
        yield part
    finally:
        elapsed_ms = (time.perf_counter() - began) * 1000
        with _WRITING, open(log, "a") as file:
            file.write(f"{part.name} {elapsed_ms:.3f}\n")
