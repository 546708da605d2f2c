"""The C heap of a long-running process: fewer malloc arenas, and free memory handed back.

glibc gives each new thread a malloc arena of its own, up to eight per core, and keeps what is
freed in an arena for later instead of handing it back. A Streamlit server runs every script
run on a thread, so a class of students spread its short-lived allocations (protobuf messages,
drawings' data URLs, images) over many arenas, each left with freed holes: the server's
resident memory stayed about a tenth over its warm level after the class had left, though
what Python held had hardly grown (BENCHMARKS §18). Two arenas keep the holes few and
reusable, and `malloc_trim` hands whole free pages back to the system.

Elsewhere than glibc (macOS, musl) these calls do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time

# mallopt's parameter for the most arenas (glibc's malloc.h).
_M_ARENA_MAX = -8
_STARTING = threading.Lock()
_GIVING_BACK = threading.Event()


def _glibc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def limit_arenas(count: int) -> bool:
    """Let threads started from now on share `count` arenas (those made already stay);
    whether the C library took it."""
    libc = _glibc()
    with contextlib.suppress(AttributeError):
        return libc is not None and libc.mallopt(_M_ARENA_MAX, count) == 1
    return False


def give_back() -> None:
    """Hand the free pages inside every arena back to the system."""
    libc = _glibc()
    with contextlib.suppress(AttributeError):
        if libc is not None:
            libc.malloc_trim(0)


def give_back_every(seconds: float) -> None:
    """`give_back` on a background thread every `seconds` from now on (once per process): it
    takes milliseconds and releases the interpreter lock while it runs."""
    with _STARTING:
        if _GIVING_BACK.is_set():
            return
        _GIVING_BACK.set()

    def loop() -> None:
        while True:
            time.sleep(seconds)
            give_back()

    threading.Thread(target=loop, name="give-memory-back", daemon=True).start()
