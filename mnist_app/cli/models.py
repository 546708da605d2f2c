"""Model files named on the command line, read and checked before TensorFlow is imported."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from mnist_app.errors import UserError
from mnist_app.learning.model_files import ModelError
from mnist_app.learning.model_store import DEFAULT_MODEL_NAME, ModelStore


def model_description(path: Path) -> dict:
    """A model file's description, read and checked before TensorFlow is imported.

    A missing file, a FIFO or a folder in its place, a torn zip or a broken description is
    refused in a fraction of a second; `load_model` checks the same again, and the rest.
    """
    from mnist_app.learning.model_files import read_metadata

    if not path.exists():
        raise UserError(f"no such model file: {path}")
    try:
        return read_metadata(path)
    except ModelError as error:
        raise ModelError(f"cannot load model: {error}") from None


def check_classes(path: Path, metadata: dict, dataset) -> None:
    """Refuse a model whose description says it reads other classes than the dataset has."""
    trained_on = metadata.get("classes")
    if trained_on and list(trained_on) != list(dataset.class_names):
        raise UserError(
            f"{path} was trained on other classes ({', '.join(trained_on[:3])}, ...) than {dataset.name} has"
        )


def model_path(model: Path | None) -> Path:
    """The model given, or the models folder's default.keras."""
    return model or ModelStore().path(DEFAULT_MODEL_NAME)


@contextlib.contextmanager
def outputs_of(path: Path) -> Iterator[None]:
    """Name the model file when what it computed is refused (NaN, no softmax)."""
    from mnist_app.learning.evaluation import OutputError

    try:
        yield
    except OutputError as error:
        raise UserError(f"{path}: {error}") from None
