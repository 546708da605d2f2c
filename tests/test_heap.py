"""Tests for mnist_app.heap: threads sharing few malloc arenas, free pages handed back. Each
runs in a process of its own, since an arena limit and a freed heap last for a process's life."""

import subprocess
import sys

import pytest

from tests.support import REPO

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")

# How many arenas glibc's malloc holds once eight threads have each allocated, all alive at once.
ARENAS_AFTER_EIGHT_THREADS = """
import ctypes, sys, tempfile, threading
from mnist_app import heap
if sys.argv[1] == "limited":
    assert heap.limit_arenas(2)
together = threading.Barrier(9)
def work():
    kept = [bytes(2048) for _ in range(100)]
    together.wait()
    together.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
together.wait()
with tempfile.NamedTemporaryFile() as info:
    stream = ctypes.c_void_p(libc.fopen(info.name.encode(), b"w"))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    together.wait()
    print(open(info.name).read().count("<heap nr="))
for thread in threads:
    thread.join()
"""

# The process's resident memory (MiB) with a heap freed but for its last block, then handed back.
RSS_BEFORE_AND_AFTER_GIVING_BACK = """
from mnist_app import heap
def rss():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) / 1024
blocks = [bytes(1000) for _ in range(200_000)]
last = bytes(1000)
del blocks
before = rss()
heap.give_back()
print(before, rss())
"""


def run(code: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout


@glibc
def test_threads_started_after_the_limit_share_the_arenas():
    alone = int(run(ARENAS_AFTER_EIGHT_THREADS, "free"))
    shared = int(run(ARENAS_AFTER_EIGHT_THREADS, "limited"))
    assert alone >= 8, "without a limit each new thread takes an arena of its own"
    assert shared <= 2


@glibc
def test_giving_back_hands_free_pages_inside_the_heap_to_the_system():
    """The last block keeps the heap's top in use, so glibc would hold the rest of it forever."""
    before, after = map(float, run(RSS_BEFORE_AND_AFTER_GIVING_BACK).split())
    assert before - after > 100, (before, after)


def test_giving_back_every_so_often_starts_one_thread_however_often_asked():
    code = (
        "import threading, time; from mnist_app import heap; calls = []; "
        "heap.give_back = lambda: calls.append(1); "
        "[heap.give_back_every(0.01) for _ in range(3)]; time.sleep(0.3); "
        "print(sum(t.name == 'give-memory-back' for t in threading.enumerate()), len(calls))"
    )
    threads, calls = map(int, run(code).split())
    assert threads == 1
    assert calls >= 3


def test_elsewhere_than_glibc_the_calls_do_nothing(monkeypatch):
    from mnist_app import heap

    monkeypatch.setattr(heap, "_glibc", lambda: None)
    assert heap.limit_arenas(2) is False
    heap.give_back()
