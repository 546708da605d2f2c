"""What the browser benchmarks share beyond the tests' server and Chromium: the browser driven,
a process's memory, strokes timed, and an older commit checked out whole for a baseline."""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, REPO, server


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def stroke_latencies(path: str, answered: Callable, strokes: int) -> list[float]:
    """Milliseconds from mouse up after a vertical stroke on a page's canvas to `answered(page)`.

    On a fresh server with the shipped models; the first stroke also loads and compiles, a
    one-off, and is left out. The canvas is cleared between strokes.
    """
    latencies = []
    with server(REPO / "app.py") as (url, _), chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/{path}")
        page.get_by_text("Draw a digit on the canvas.").wait_for(timeout=60_000)
        for i in range(strokes + 1):
            canvas = page.locator("canvas.upper-canvas").first
            canvas.wait_for()
            page.wait_for_timeout(500)  # let a new canvas finish mounting before drawing on it
            box = canvas.bounding_box()
            x = box["x"] + box["width"] / 2
            page.mouse.move(x, box["y"] + 0.12 * box["height"])
            page.mouse.down()
            page.mouse.move(x, box["y"] + 0.88 * box["height"], steps=10)
            began = time.perf_counter()
            page.mouse.up()
            answered(page)
            if i:
                latencies.append((time.perf_counter() - began) * 1000)
            page.get_by_role("button", name="Clear").click()
            page.get_by_text("Draw a digit on the canvas.").wait_for()
    return latencies


@contextlib.contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The whole tree of commit `revision` in a temporary folder, removed afterwards; yields its root.

    For a baseline in the same run: that commit's own `app.py`, pages, settings and models, in
    whatever layout it had. `git archive` reads the commit without touching this checkout.
    """
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory(prefix="baseline-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)
