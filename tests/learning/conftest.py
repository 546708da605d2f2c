"""Fixtures the learning tests share."""

import pytest


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A small valid model file of the app's shape (28x28 in, 10 classes out)."""
    import keras

    from mnist_app.learning.model_files import save_model

    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )
    path = tmp_path_factory.mktemp("model") / "small.keras"
    save_model(model, path, {"arch": "tiny", "classes": [str(d) for d in range(10)]})
    return path
