"""Fixtures of the datasets tests."""

import pytest

from mnist_app.datasets import sources


@pytest.fixture
def empty_keras_cache(tmp_path, monkeypatch):
    """Keras' dataset cache (KERAS_HOME) pointed at an empty folder, so no real cached dataset is used."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    cache = sources.keras_datasets()
    cache.mkdir(parents=True)
    return cache
