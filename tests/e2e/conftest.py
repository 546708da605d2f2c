"""A real Streamlit server and a real Chromium (Debian's, driven by Playwright) for browser tests."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM_FLAGS, REPO, free_port

CHROMIUM = Path("/usr/bin/chromium")


@contextlib.contextmanager
def streamlit_app(tmp_path_factory, **settings):
    """`streamlit run app.py` on a free localhost port, offline, with the shipped default model."""
    models = tmp_path_factory.mktemp("e2e-models")
    shutil.copy(REPO / "models" / "default.keras", models / "default.keras")
    port = free_port()
    data = tmp_path_factory.mktemp("e2e-data")
    env = {
        **os.environ,
        "MNIST_APP_OFFLINE": "1",
        "MNIST_APP_MODELS_DIR": str(models),
        "MNIST_APP_DATA_DIR": str(data),
        **settings,
    }
    log = open(tmp_path_factory.mktemp("e2e-log") / "streamlit.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("the Streamlit server did not start within 60 s")
    try:
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:  # TensorFlow's threads can hold up a graceful exit
            server.kill()
            server.wait(10)
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    with streamlit_app(tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
def cluster_app_url(tmp_path_factory, ray_cluster):
    """The app with its training jobs sent to the test's Ray cluster."""
    cluster, _ = ray_cluster
    with streamlit_app(tmp_path_factory, MNIST_APP_RAY_ADDRESS=cluster.address) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    expect.set_options(timeout=30_000)
    if not CHROMIUM.exists():
        message = "browser tests need Debian's chromium: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
