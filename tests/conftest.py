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

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample():
    """The embedded 5,000-digit MNIST sample: real digits, offline."""
    from mnist_app.data import load_dataset

    return load_dataset("mnist-sample")


@pytest.fixture(scope="session")
def trained_mlp(sample):
    """The lab's MLP trained for two epochs on the sample (about 94% on its test split)."""
    from mnist_app.training import TrainConfig, train

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
