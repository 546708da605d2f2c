"""Work repeated on a background thread for a process's life: one thread a name, whoever asks.

A server's upkeep (`heap.trim_every`, `web.closed_sessions`) runs every so often beside the
pages. Every page run asks for it again, so the thread must start once; and a round that
fails must not end the rounds to come, nor pass unnoticed: it goes to the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

_STARTING = threading.Lock()
_STARTED: set[str] = set()
_log = logging.getLogger(__name__)


def repeat_every(seconds: float, work: Callable[[], object], name: str, at_once: bool = False) -> bool:
    """Call `work` every `seconds` on a daemon thread named `name`, from now on (`at_once`) or
    after the first wait. Once per name and process: False when it was already started."""
    with _STARTING:
        if name in _STARTED:
            return False
        _STARTED.add(name)

    def loop() -> None:
        if not at_once:
            time.sleep(seconds)
        while True:
            try:
                work()
            except Exception:  # The next round may fare better: the thread must live on.
                _log.exception("%s: a round failed", name)
            time.sleep(seconds)

    threading.Thread(target=loop, name=name, daemon=True).start()
    return True
