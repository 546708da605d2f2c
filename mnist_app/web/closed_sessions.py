"""Shutting down the sessions Streamlit kept for a reconnect once nobody can come back to them.

When a browser leaves, Streamlit keeps its session for `server.disconnectedSessionTTL`
seconds, so a page reloaded after a network blip finds its state again. Streamlit (1.67)
never shuts such a session down once that time is past (streamlit/streamlit#12506): its store,
a `TTLCache`, drops it when another session is saved or deleted there, or never, if none is
(after the last student of a class has left); and drops the oldest unshut when more than 128
are kept. Each kept its state, its script thread's event loop and its images in the media
store, and nothing collected what it dropped: a server between classes allocates too little
for the collector to run on its own (`preload`).

Here every session the store drops, expired or evicted, is handed over, and every `EVERY_S`
a background thread has them shut down as Streamlit shuts down a closed one: on Streamlit's
event loop, the one place Streamlit touches its store, which first drops those expired
since. When the last visitor has left, and again as their sessions are shut down, the
garbage is collected and the freed heap handed back (`heap.trim`); while a class goes on,
allocations run the collector as always.

The store, its cache, its lock and the runtime's event loop are Streamlit's own, not a public
API: where a release renames or drops them, nothing is shut down, the server's log says so,
and `tests/web/test_closed_sessions.py` fails.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import gc
import logging

from streamlit.runtime import Runtime

from mnist_app import heap
from mnist_app.repeating import repeat_every

# How often the store is looked over: a session outlives its time to reconnect by at most this.
EVERY_S = 15.0
_log = logging.getLogger(__name__)


def close_expired(session_manager: object) -> int:
    """Shut down every session the manager's store has dropped since last asked, those expired
    by now among them; how many. On Streamlit's event loop.

    Zero, with a warning in the log, where the manager keeps its sessions otherwise than
    Streamlit 1.67's `WebsocketSessionManager` over a `MemorySessionStorage`.
    """
    lock = getattr(session_manager, "_storage_lock", None)
    cache = getattr(getattr(session_manager, "_session_storage", None), "_cache", None)
    if lock is None or not all(callable(getattr(cache, name, None)) for name in ("expire", "_evict_lru")):
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
    """The queue into which the cache puts what it drops, expired or evicted, from now on."""
    if not hasattr(cache.expire, "dropped"):
        dropped = collections.deque()

        def expire(*args, **kwargs):
            expired = type(cache).expire(cache, *args, **kwargs)
            dropped.extend(expired)
            return expired

        def evict_lru(*args, **kwargs):
            evicted = type(cache)._evict_lru(cache, *args, **kwargs)
            dropped.append((evicted.session.id, evicted))
            return evicted

        expire.dropped = dropped
        cache.expire, cache._evict_lru = expire, evict_lru
    return cache.expire.dropped


def close_expired_every(seconds: float = EVERY_S) -> None:
    """`close_expired` every `seconds` from now on (once per process), from a background
    thread. When the last visitor has left, and when sessions are shut down with nobody left,
    the garbage is collected and the freed heap handed back."""
    was_here = False

    def round_() -> None:
        nonlocal was_here
        closed = _close_on_event_loop()
        here = _visitors_here()
        if not here and (closed or was_here):
            gc.collect()
            heap.trim()
        was_here = here

    # At once first, so the store hands over from the server's first run on.
    repeat_every(seconds, round_, "close-expired-sessions", at_once=True)


def _close_on_event_loop() -> int:
    """`close_expired` run on Streamlit's event loop, waited for; 0 before the server runs."""
    if not Runtime.exists():
        return 0
    runtime = Runtime.instance()
    manager, event_loop = runtime._session_mgr, runtime._get_async_objs().eventloop

    async def close() -> int:
        return close_expired(manager)

    return asyncio.run_coroutine_threadsafe(close(), event_loop).result(timeout=60)


def _visitors_here() -> bool:
    return Runtime.exists() and Runtime.instance()._session_mgr.num_active_sessions() > 0


@functools.cache
def _say_the_store_is_gone() -> None:
    _log.warning(
        "Streamlit's session store is not where this app looks for it: the sessions left by "
        "their visitors stay in the server's memory."
    )
