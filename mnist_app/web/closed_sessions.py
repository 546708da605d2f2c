"""Shutting down the sessions Streamlit kept for a reconnect once nobody can come back to them.

When a browser leaves, Streamlit keeps its session for `server.disconnectedSessionTTL`
seconds, so a page reloaded after a network blip finds its state again. Streamlit (1.67)
never shuts such a session down once that time is past (streamlit/streamlit#12506): its store,
a `TTLCache`, drops it when another session is saved or deleted there, or never, if none is
(after the last student of a class has left). Each kept its state, its script thread's event
loop and its images in the media store, and nothing collected what it dropped: a server
between classes allocates too little for the collector to run on its own (`preload`).

Here every session the store drops as expired is handed over, and a background thread shuts
each down as Streamlit shuts down a closed one, every `EVERY_S`: it first has the store drop
those expired since, then collects the garbage they leave and hands the freed heap back
(`heap.trim`).

The store, its cache and its lock are Streamlit's own, not a public API: where a release
renames or drops them, nothing is shut down, the server's log says so once, and
`tests/web/test_closed_sessions.py` fails.
"""

from __future__ import annotations

import collections
import functools
import gc
import logging
import threading
import time

from streamlit.runtime import Runtime

from mnist_app import heap

# How often the store is looked over: a session outlives its time to reconnect by at most this.
EVERY_S = 15.0
_STARTING = threading.Lock()
_CLOSING = threading.Event()
_log = logging.getLogger(__name__)


def close_expired(session_manager: object) -> int:
    """Shut down every session the manager's store has dropped as expired since last asked,
    those expired by now among them; how many.

    Zero, with a warning in the log, where the manager keeps its sessions otherwise than
    Streamlit 1.67's `WebsocketSessionManager` over a `MemorySessionStorage`.
    """
    lock = getattr(session_manager, "_storage_lock", None)
    cache = getattr(getattr(session_manager, "_session_storage", None), "_cache", None)
    if lock is None or not callable(getattr(cache, "expire", None)):
        _say_the_store_is_gone()
        return 0
    with lock:  # As Streamlit takes sessions in and out of its store.
        dropped = _handing_over(cache)
        cache.expire()
    left = [dropped.popleft() for _ in range(len(dropped))]
    for session_id, session_info in left:
        try:
            session_info.session.shutdown()
        except Exception:  # One that fails must not keep the others from shutting down.
            _log.exception("shutting down session %s, left by its visitor, failed", session_id)
    return len(left)


def _handing_over(cache) -> collections.deque:
    """The queue into which the cache puts what it drops as expired, from now on."""
    expire = cache.expire
    if not hasattr(expire, "dropped"):
        dropped = collections.deque()

        def expire_and_hand_over(*args, **kwargs):
            expired = type(cache).expire(cache, *args, **kwargs)
            dropped.extend(expired)
            return expired

        expire_and_hand_over.dropped = dropped
        cache.expire = expire = expire_and_hand_over
    return expire.dropped


def close_expired_every(seconds: float = EVERY_S) -> None:
    """`close_expired` on a background thread every `seconds` from now on (once per process),
    then the garbage those sessions left collected and the freed heap handed back."""
    with _STARTING:
        if _CLOSING.is_set():
            return
        _CLOSING.set()

    def loop() -> None:
        while True:  # At once first, so the store hands over from the server's first run on.
            if Runtime.exists() and close_expired(Runtime.instance()._session_mgr):
                gc.collect()
                heap.trim()
            time.sleep(seconds)

    threading.Thread(target=loop, name="close-expired-sessions", daemon=True).start()


@functools.cache
def _say_the_store_is_gone() -> None:
    _log.warning(
        "Streamlit's session store is not where this app looks for it: the sessions left by "
        "their visitors stay in the server's memory."
    )
