"""TensorFlow, loaded in the background once the first page is on screen.

Importing it takes seconds (about 4.5 s here) and only the pages that train, draw or look
inside need it. Started after the first page has rendered, the import overlaps with the
visitor reading that page, so Train opens at once a few seconds later; a page that needs
TensorFlow before the import is done waits for it (Python's import lock), behind its spinner.

The import waits a second after the first run ends: the browser is still fetching that
page's images then, and the import holds the interpreter lock for long stretches (it loads
TensorFlow's native library), so the server answered nothing else meanwhile. Started at
once, it held the first page's first image back by about a second (BENCHMARKS §8).

Once TensorFlow is in, the heap is settled for a long-running server (`settle_heap`): the
objects it holds then (TensorFlow's and Keras' modules, most of the heap) are frozen out of
Python's garbage collector, and the youngest generation is collected less often. A full
collection walked all of them, holding the interpreter lock, and so every session, for
hundreds of milliseconds at a time under a class; the objects a script run makes and drops
were promoted into the old generation by collections in the middle of the run, which made
full collections come ever more often (BENCHMARKS §18). The C heap is kept small too
(`mnist_app.heap`): from the first script run on, the threads share the malloc arenas already
made instead of each making more, large blocks get pages of their own, and what the threads
free goes back to the system twice a minute.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

from mnist_app import heap

_STARTED = threading.Event()
DELAY_S = 1.0
# Allocations between collections of the youngest generation (Python's default is 700): more
# than a page's run makes, so what the run drops is gone before it could be promoted.
YOUNG_THRESHOLD = 50_000
# The malloc arenas' cap, set as the first run begins. Its server has made about six by then,
# which its threads share: any cap up to that many works the same.
ARENAS = 2
# From this size on a block is mapped, and handed back when freed: glibc's own starting size.
LARGE_BLOCK = 128 * 1024
TRIM_S = 30.0
_MALLOC_SETTLED = threading.Event()
log = logging.getLogger("mnist_app")


def _load() -> None:
    time.sleep(DELAY_S)
    try:
        import mnist_app.jobs.training_job  # noqa: F401  (training, and with it Keras and TensorFlow)
    except Exception:  # A page that needs it will import it again and show what failed.
        log.exception("loading TensorFlow in the background failed")
    settle_heap()
    heap.trim_every(TRIM_S)


def settle_heap() -> None:
    """Freeze what the process holds now out of the garbage collector's reach, and collect the
    youngest generation less often; for a server whose heap is mostly its imports."""
    gc.collect()
    gc.freeze()
    _, *older = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *older)


def tensorflow_in_background() -> None:
    """Start the import once per server process; later calls return at once."""
    if _STARTED.is_set():
        return
    _STARTED.set()
    threading.Thread(target=_load, name="preload-tensorflow", daemon=True).start()


def settle_malloc() -> None:
    """No new malloc arenas from now on, and large blocks always mapped (once per process); as
    early in a run as can be, since glibc ignores the cap once it has made more than eight."""
    if not _MALLOC_SETTLED.is_set():
        _MALLOC_SETTLED.set()
        heap.limit_arenas(ARENAS)
        heap.map_large_blocks(LARGE_BLOCK)
