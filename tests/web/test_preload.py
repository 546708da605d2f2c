"""Tests for mnist_app.web.preload: TensorFlow loaded once in the background, then the heap
settled for a long-running server."""

import subprocess
import sys
import threading
import types

from mnist_app.web import preload
from tests.support import REPO


def test_settling_the_heap_freezes_what_the_process_holds_and_collects_the_young_less_often():
    """In a process of its own: a frozen heap stays frozen for the rest of its life."""
    code = (
        "import gc; from mnist_app.web import preload; preload.settle_heap(); "
        "print(gc.get_freeze_count(), *gc.get_threshold())"
    )
    shown = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    frozen, young, *older = map(int, shown.stdout.split())
    assert frozen > 1_000, "the modules' objects are out of the collector's reach"
    assert young == preload.YOUNG_THRESHOLD
    assert older == [10, 10], "the older generations keep Python's thresholds"


def test_the_heap_is_settled_once_tensorflow_is_in(monkeypatch):
    steps = []
    monkeypatch.setattr(preload, "DELAY_S", 0)
    monkeypatch.setattr(preload, "settle_heap", lambda: steps.append(sorted(sys.modules)))
    monkeypatch.setattr(preload.heap, "trim_every", lambda seconds: steps.append(seconds))
    preload._load()
    modules, every = steps
    assert "tensorflow" in modules and "mnist_app.jobs.training_job" in modules
    assert every == preload.TRIM_S, "then the free heap goes back to the system now and then"


def test_the_import_starts_once_however_often_asked(monkeypatch):
    started = []
    fake_threading = types.SimpleNamespace(Thread=lambda **kwargs: started.append(kwargs) or NoThread())
    monkeypatch.setattr(preload, "_STARTED", threading.Event())
    monkeypatch.setattr(preload, "threading", fake_threading)
    preload.tensorflow_in_background()
    preload.tensorflow_in_background()
    assert [kwargs["target"] for kwargs in started] == [preload._load]


def test_malloc_is_settled_once_as_the_first_run_begins(monkeypatch):
    calls = []
    monkeypatch.setattr(preload, "_MALLOC_SETTLED", threading.Event())
    monkeypatch.setattr(preload.heap, "limit_arenas", lambda count: calls.append(("arenas", count)))
    monkeypatch.setattr(preload.heap, "map_large_blocks", lambda size: calls.append(("mapped from", size)))
    preload.settle_malloc()
    preload.settle_malloc()
    assert calls == [("arenas", preload.ARENAS), ("mapped from", preload.LARGE_BLOCK)]
    assert "settle_malloc()" in (REPO / "app.py").read_text().split("def run() -> None:")[1].splitlines()[1]


class NoThread:
    def start(self):
        pass
