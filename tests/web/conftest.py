"""Fixtures the web tests share: the shipped model in the models folder, models to look inside and compare."""

import os
import shutil

import pytest

from tests.support import REPO


@pytest.fixture
def default_model(models_dir):
    shutil.copy(REPO / "models" / "default.keras", models_dir / "default.keras")
    return models_dir / "default.keras"


@pytest.fixture(scope="module")
def inside_models(tmp_path_factory, trained_mlp):
    """The shipped CNN, the lab's MLP, and a small Fashion-MNIST model of other layer sizes."""
    import keras

    from mnist_app.datasets.dataset import FASHION_NAMES
    from mnist_app.learning.model_files import save_model

    folder = tmp_path_factory.mktemp("inside-models")
    shutil.copy(REPO / "models" / "default.keras", folder / "cnn.keras")
    save_model(trained_mlp.model, folder / "mlp.keras", trained_mlp.metadata())
    fashion = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(6, 5, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(40, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    save_model(fashion, folder / "fashion.keras", {"arch": "small", "classes": list(FASHION_NAMES)})
    return folder


@pytest.fixture(scope="module")
def every_kind_model(tmp_path_factory, sample):
    """A network built on Build of every layer kind, briefly trained and saved as the app saves one."""
    from tests.support.models import save_designed

    return save_designed(tmp_path_factory.mktemp("built") / "every-kind.keras", sample)


@pytest.fixture
def model_named_in_bytes(default_model, models_dir):
    """A copy of the default model named `x\\xff.keras`, byte 0xff and all (Python: `x\\udcff`).

    Its description is the default's, so it sorts first (by name) and is every page's model in use.
    """
    odd = os.fsencode(models_dir) + b"/x\xff.keras"
    shutil.copy(default_model, odd)
    return odd
