"""What the browser benchmarks share: a Streamlit server started fresh, and Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(script: Path, port: int, env: dict | None = None) -> subprocess.Popen:
    """`streamlit run SCRIPT` on localhost, from the repository root, with the shipped models."""
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=REPO,
        env={**os.environ, "MNIST_APP_OFFLINE": "1", "MNIST_APP_MODELS_DIR": str(REPO / "models"), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def wait_until_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.02)
    raise RuntimeError(f"no Streamlit server answered at {url}")


@contextlib.contextmanager
def server(script: Path, env: dict | None = None):
    port = free_port()
    process = start_server(script, port, env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url)
        yield url, process
    finally:
        stop_server(process)


def stop_server(process: subprocess.Popen) -> None:
    """Ask the server to stop; kill it if TensorFlow's threads hold up its exit."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


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


def tree_with_files_of(revision: str, paths: list[str], folder: Path) -> Path:
    """A copy of this repository in `folder` whose `paths` are as at commit `revision`.

    For a baseline in the same run: the app as it is, but for the parts being compared.
    Returns the copy's `app.py`.
    """
    import shutil

    tree = folder / "baseline"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(".git", "__pycache__", "data", "*.sqlite3*"))
    for path in paths:
        old = subprocess.run(
            ["git", "show", f"{revision}:{path}"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        (tree / path).write_text(old)
    return tree / "app.py"
