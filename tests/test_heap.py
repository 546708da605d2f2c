"""Tests for mnist_app.heap: threads sharing the malloc arenas there are, free pages handed back.
Those of glibc's malloc run in a process of their own, since a cap on arenas and a freed heap
last for a process's life, without the settings that would change its malloc."""

import os
import platform
import subprocess
import sys

import pytest

from tests.support import REPO

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc")
_libc, _version = platform.libc_ver()
with_mallinfo2 = pytest.mark.skipif(
    _libc != "glibc" or tuple(map(int, _version.split("."))) < (2, 33), reason="glibc's mallinfo2, from 2.33"
)

# How many arenas glibc's malloc holds after `first` threads, then eight more, have allocated,
# each staying alive until the count is taken; the cap set, or not, between the two groups.
ARENAS_AFTER_THREADS = """
import ctypes, sys, tempfile, threading
from mnist_app import heap
first, capped = int(sys.argv[1]), sys.argv[2] == "capped"
hold = threading.Event()
def work(started):
    kept = [bytes(2048) for _ in range(100)]
    started.release()
    hold.wait()
def start(count):
    started = threading.Semaphore(0)
    threads = [threading.Thread(target=work, args=(started,)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for _ in threads:
        started.acquire()
    return threads
threads = start(first)
if capped:
    assert heap.limit_arenas(2)
threads += start(8)
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile() as info:
    stream = ctypes.c_void_p(libc.fopen(info.name.encode(), b"w"))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(open(info.name).read().count("<heap nr="))
hold.set()
for thread in threads:
    thread.join()
"""

# Resident memory (MiB) at the start, with a heap freed but for its last block, and after
# handing it back.
RSS_FREED_THEN_GIVEN_BACK = """
from mnist_app import heap
def rss():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) / 1024
start = rss()
blocks = [bytes(1000) for _ in range(200_000)]
last = bytes(1000)
del blocks
before = rss()
heap.trim()
print(start, before, rss())
"""

# How many more blocks glibc's malloc holds mapped once one of 256 KiB is kept, after one of
# 4 MiB was freed; large blocks mapped from 128 KiB on, or not.
MAPPED_AFTER_A_LARGE_BLOCK = """
import ctypes, sys
from mnist_app import heap
if sys.argv[1] == "fixed":
    assert heap.map_large_blocks(128 * 1024)
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
large = bytearray(4 << 20)
del large
before = libc.mallinfo2().hblks
kept = bytearray(256 << 10)
print(libc.mallinfo2().hblks - before)
"""


def run(code: str, *args: str) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MALLOC_") and key not in ("GLIBC_TUNABLES", "LD_PRELOAD")
    }
    shown = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


@glibc
def test_without_a_cap_each_new_thread_makes_an_arena():
    assert int(run(ARENAS_AFTER_THREADS, "0", "free")) >= 9


@glibc
def test_threads_started_after_the_cap_share_the_arenas_there_are():
    """As in a server: a few arenas made before the cap, none after it, however many threads."""
    assert int(run(ARENAS_AFTER_THREADS, "3", "capped")) == 4


@glibc
def test_trimming_hands_free_pages_inside_the_heap_to_the_system():
    """The last block keeps the heap's top in use, so glibc would hold the rest of it forever."""
    start, before, after = map(float, run(RSS_FREED_THEN_GIVEN_BACK).split())
    assert before - start > 150, "the freed blocks still counted in the process's memory"
    assert before - after > 100, (before, after)


@with_mallinfo2
def test_large_blocks_stay_mapped_once_their_size_is_fixed():
    """Left to itself, glibc puts blocks up to the largest freed so far on the heap."""
    assert int(run(MAPPED_AFTER_A_LARGE_BLOCK, "dynamic")) == 0
    assert int(run(MAPPED_AFTER_A_LARGE_BLOCK, "fixed")) == 1


def test_trimming_every_so_often_starts_one_thread_however_often_asked():
    code = (
        "import threading, time; from mnist_app import heap; calls = []; "
        "heap.trim = lambda: calls.append(1); "
        "[heap.trim_every(0.01) for _ in range(3)]; time.sleep(0.3); "
        "print(sum(t.name == 'trim-heap' for t in threading.enumerate()), len(calls))"
    )
    threads, calls = map(int, run(code).split())
    assert threads == 1
    assert calls >= 3


def test_elsewhere_than_glibc_the_calls_do_nothing(monkeypatch):
    from mnist_app import heap

    monkeypatch.setattr(heap, "_glibc", lambda: None)
    assert heap.limit_arenas(2) is False
    assert heap.map_large_blocks(1 << 17) is False
    heap.trim()
