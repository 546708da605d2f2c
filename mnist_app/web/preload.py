"""TensorFlow, loaded in the background once the first page is on screen.

Importing it takes seconds (about 4.5 s here) and only the pages that train, draw or look
inside need it. Started after the first page has rendered, the import overlaps with the
visitor reading that page, so Train opens at once a few seconds later; a page that needs
TensorFlow before the import is done waits for it (Python's import lock), behind its spinner.

The import waits a second after the first run ends: the browser is still fetching that
page's images then, and the import holds the interpreter lock for long stretches (it loads
TensorFlow's native library), so the server answered nothing else meanwhile. Started at
once, it held the first page's first image back by about a second (BENCHMARKS §8).
"""

from __future__ import annotations

import logging
import threading
import time

_STARTED = threading.Event()
DELAY_S = 1.0
log = logging.getLogger("mnist_app")


def _load() -> None:
    time.sleep(DELAY_S)
    try:
        import mnist_app.jobs.training_job  # noqa: F401  (training, and with it Keras and TensorFlow)
    except Exception:  # A page that needs it will import it again and show what failed.
        log.exception("loading TensorFlow in the background failed")


def tensorflow_in_background() -> None:
    """Start the import once per server process; later calls return at once."""
    if _STARTED.is_set():
        return
    _STARTED.set()
    threading.Thread(target=_load, name="preload-tensorflow", daemon=True).start()
