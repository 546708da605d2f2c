"""Shared fixtures. The suite runs offline: no download is ever attempted."""

import os
import tempfile
from pathlib import Path

import pytest

os.environ["MNIST_APP_OFFLINE"] = "1"
os.environ["MNIST_APP_MODELS_DIR"] = tempfile.mkdtemp(prefix="mnist-app-models-")
os.environ["MNIST_APP_DATA_DIR"] = tempfile.mkdtemp(prefix="mnist-app-data-")
os.environ["MNIST_APP_CACHE_DIR"] = tempfile.mkdtemp(prefix="mnist-app-decoded-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Ray's own switch (meant for laptops) that keeps every address it resolves on loopback, read
# when Ray is first imported: the test clusters listen on 127.0.0.1 only, never on the
# machine's network address (see tests/support/ray_cluster.py).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample():
    """The embedded 5,000-digit MNIST sample: real digits, offline."""
    from mnist_app.datasets.catalogue import load_dataset

    return load_dataset("mnist-sample")


@pytest.fixture(scope="session")
def trained_mlp(sample):
    """The lab's MLP trained for two epochs on the sample (about 94% on its test split)."""
    from mnist_app.learning.training import TrainConfig, train

    return train(sample, TrainConfig("mlp", epochs=2, batch_size=64))


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    """An empty models folder that the app and the command line save into."""
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("MNIST_APP_MODELS_DIR", str(folder))
    return folder


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data folder: where paths typed in the browser are read."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("MNIST_APP_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def hostile_model(tmp_path):
    """A .keras file whose Lambda layer carries code that leaves a mark when it runs.

    Returns (path, marker): the code creates `marker`, so a test can tell whether it ran.
    """
    import keras

    marker = tmp_path / "code-ran"
    leaves_a_mark = eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]")
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Lambda(leaves_a_mark),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path / "hostile.keras"
    model.save(path)
    marker.unlink(missing_ok=True)
    return path, marker


@pytest.fixture(scope="module")
def ray_cluster():
    """A real Ray cluster on loopback: a head without CPUs and two worker nodes of one CPU each.

    Yields (cluster, the worker nodes' ids); this process and the processes it starts point
    the app at it. Ray is optional for users, not for CI.
    """
    if not os.environ.get("CI"):
        pytest.importorskip(
            "ray", reason="the cluster tests need Ray: pip install -r requirements-cluster.txt"
        )
    import ray

    from mnist_app import settings
    from tests.support.ray_cluster import local_cluster

    head, workers = local_cluster(2)
    previous = os.environ.get(settings.RAY_ADDRESS)
    os.environ[settings.RAY_ADDRESS] = head.address
    try:
        yield head, {worker.node_id for worker in workers}
    finally:
        ray.shutdown()
        head.shutdown()
        if previous is None:
            os.environ.pop(settings.RAY_ADDRESS, None)
        else:
            os.environ[settings.RAY_ADDRESS] = previous
