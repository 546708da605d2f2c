"""The C heap of a long-running process: no more malloc arenas, and free memory handed back.

glibc gives each new thread a malloc arena of its own, up to eight per core, and keeps what is
freed in an arena for later instead of handing it back. A Streamlit server runs every script
run on a thread, so a class of students spread its short-lived allocations (protobuf messages,
drawings' data URLs, images) over ever more arenas, each left with freed holes: the server's
resident memory stayed a tenth or more over its warm level after the class had left, though
what the heap held in use had hardly grown (BENCHMARKS §18). Capped, the threads to come take
turns at the arenas already made, whose holes they fill; `malloc_trim` hands the whole free
pages among the holes back to the system.

Large blocks are a second way the heap frays: see `map_large_blocks`.

The cap binds only while glibc has not fixed its own, which it does the first time a thread
wants a new arena with more than eight made: set it early. `MALLOC_ARENA_MAX=2` in the
environment a process starts with caps it from the start. Elsewhere than glibc (macOS, musl)
these calls do nothing.
"""

from __future__ import annotations

import ctypes
import functools

from mnist_app.repeating import repeat_every

# mallopt's parameters (glibc's malloc.h): the most arenas; the size from which a block is mapped.
_M_ARENA_MAX = -8
_M_MMAP_THRESHOLD = -3


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def limit_arenas(count: int) -> bool:
    """No new arena once `count` exist: threads started from now on share those there are
    (all of them, if more were made before). Whether the C library accepted the cap."""
    mallopt = getattr(_glibc(), "mallopt", None)
    return mallopt is not None and mallopt(_M_ARENA_MAX, count) == 1


def map_large_blocks(from_bytes: int) -> bool:
    """Blocks of `from_bytes` or more get pages of their own from now on, handed back to the
    system as they are freed. Whether the C library accepted it.

    glibc starts there too (128 KiB), but raises the size each time such a block is freed, up
    to 32 MiB: a server that had sent a few large messages then put its every large buffer (a
    page's protobuf message, a drawing's data URL, an image) on the heap, among small blocks
    that outlive it, and the holes they left made the heap grow over a class (BENCHMARKS §18).
    Set, the size stays fixed.
    """
    mallopt = getattr(_glibc(), "mallopt", None)
    return mallopt is not None and mallopt(_M_MMAP_THRESHOLD, from_bytes) == 1


def trim() -> None:
    """Hand the free pages inside every arena back to the system."""
    malloc_trim = getattr(_glibc(), "malloc_trim", None)
    if malloc_trim is not None:
        malloc_trim(ctypes.c_size_t(0))


def trim_every(seconds: float) -> None:
    """`trim` on a background thread every `seconds` from now on (once per process): it
    takes milliseconds and releases the interpreter lock while it runs."""
    repeat_every(seconds, trim, "trim-heap")
