"""A Streamlit server started fresh and Debian's Chromium: for the browser tests and the benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support import REPO

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


def start_server(
    script: Path, port: int, env: dict | None = None, root: Path = REPO, log: Path | None = None
) -> subprocess.Popen:
    """`streamlit run SCRIPT` on localhost, from the tree `root` (its settings), with its shipped
    models; its output appended to `log`, or dropped."""
    with contextlib.ExitStack() as files:
        output = subprocess.DEVNULL if log is None else files.enter_context(log.open("ab"))
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=root,
            env={**os.environ, "MNIST_APP_OFFLINE": "1", "MNIST_APP_MODELS_DIR": str(root / "models"), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
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
def server(script: Path, env: dict | None = None, root: Path = REPO, log: Path | None = None):
    """A fresh server for `script`, healthy; yields its URL and process, and stops it after."""
    port = free_port()
    process = start_server(script, port, env, root, log)
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
