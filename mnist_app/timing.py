"""Where a benchmark asks for it (MNIST_APP_TIMING_LOG=FILE), how long a page's parts take.

Off by default: one environment lookup per timed part. On, each timed part appends one line
`NAME MILLISECONDS` to the file, which `benchmarks/drawing_sessions.py` reads.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

_WRITING = threading.Lock()


@contextlib.contextmanager
def timed(name: str) -> Iterator[None]:
    log = os.environ.get("MNIST_APP_TIMING_LOG")
    if not log:
        yield
        return
    began = time.perf_counter()
    try:
        yield
    finally:
        elapsed_ms = (time.perf_counter() - began) * 1000
        with _WRITING, open(log, "a") as file:
            file.write(f"{name} {elapsed_ms:.3f}\n")
