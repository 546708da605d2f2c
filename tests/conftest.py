"""Shared fixtures. The suite runs offline: no download is ever attempted."""

import os
import tempfile
from pathlib import Path

import pytest

os.environ["MNIST_APP_OFFLINE"] = "1"
os.environ["MNIST_APP_MODELS_DIR"] = tempfile.mkdtemp(prefix="mnist-app-models-")
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
