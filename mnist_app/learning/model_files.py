"""A model's `.keras` file, which nothing trusts: its description, its checks, loading it safely.

The description (architecture, dataset, accuracy, ...) travels inside the `.keras` zip as
`mnist_app.json`, so a model and what it says about itself can never drift apart, and a
save is one atomic rename. Models load with Keras' safe mode on, always.

A file may come from anyone (the shared models folder, another machine's bytes), so a
description is read with a size cap and checked, an archive is checked before Keras opens it
(`model_checks` bounds what its configuration would build), and a model is checked for the
shape the app feeds it. The folder of such files is `model_store`'s.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from mnist_app.datasets.digit_arrays import IMAGE_SIZE, NUM_CLASSES
from mnist_app.errors import UserError
from mnist_app.file_names import escaped
from mnist_app.files import StagedFile, open_regular, read_capped, staged_file
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.limits import MAX_BATCH_SIZE
from mnist_app.learning.model_checks import ConfigurationRefused, check_cost, planned_cost

METADATA_ENTRY = "mnist_app.json"
SUFFIX = ".keras"
# The largest model here (the lab's MLP with Adam's state) is about 8 MB; fifty times that
# is still a model, a bigger file is not one of ours.
MAX_MODEL_BYTES = 400 * 1024 * 1024
# A description with a whole training history is tens of kilobytes, a model's configuration
# a few (Keras reads it whole into memory).
MAX_METADATA_BYTES = 1024 * 1024
MAX_CONFIG_BYTES = 4 * 1024 * 1024
CONFIG_ENTRY = "config.json"
# A file being written (`files.staged_file`): hidden, beside its final place, never listed as a model.
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp" + SUFFIX


class ModelError(UserError):
    """A model that cannot be found, read or trusted; the message is meant for the user."""


@contextlib.contextmanager
def _archive(path: Path) -> Iterator[zipfile.ZipFile]:
    """A `.keras` zip opened for reading: a regular file under the size cap, or ModelError."""
    try:
        file = open_regular(path, MAX_MODEL_BYTES, ModelError)
    except (
        ModelError
    ) as error:  # Named by the file's name: the models folder's place is the server's business.
        raise ModelError(str(error).replace(str(path), escaped(path.name))) from None
    with file:
        try:
            with zipfile.ZipFile(file) as archive:
                yield archive
        except ModelError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise ModelError(f"{escaped(path.name)} is not a readable .keras file ({error})") from None


def read_metadata(path: Path) -> dict:
    """The description stored inside a `.keras` file, without loading the model."""
    path = Path(path)
    name = escaped(path.name)
    with _archive(path) as archive:
        if METADATA_ENTRY not in archive.namelist():
            return {}
        try:
            with archive.open(METADATA_ENTRY) as entry:
                raw = read_capped(entry, MAX_METADATA_BYTES, f"{name}'s {METADATA_ENTRY}", ModelError)
            metadata = json.loads(raw)
        except ModelError:
            raise
        # Encrypted entries raise RuntimeError, odd compressions NotImplementedError, JSON
        # nested thousands deep RecursionError: all mean the description cannot be read.
        except (
            RuntimeError,
            NotImplementedError,
            ValueError,
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
        ) as error:
            reason = type(error).__name__ if isinstance(error, RecursionError) else error
            raise ModelError(f"{name} carries an unreadable {METADATA_ENTRY} ({reason})") from None
    return check_metadata(metadata, name)


# The description's fields of a known type. Each is optional (older files lack some); any
# other field is free, but every number anywhere in a description must be `_plain_number`.
_TEXT_FIELDS = {
    "arch": 200,
    "dataset": 200,
    "saved_by": 200,
    "owner": 200,
    "created": 200,
    "fine_tuned_from": 1_000,
    "command": 10_000,
    "optimizer": 200,
}
_BOOLEAN_FIELDS = ("stopped_early", "augment")


def check_metadata(metadata: object, name: str) -> dict:
    """The description, if it has the shape the pages rely on; ModelError saying what is off.

    One rule over the whole of it: every number, at the top or inside a list or mapping (a
    curve), is a plain one (`_plain_number`); the fields of a known type have that type.
    """
    if not isinstance(metadata, dict):
        raise ModelError(f"{name} carries a malformed {METADATA_ENTRY}")

    def malformed(what: str) -> ModelError:
        return ModelError(f"{name} carries a malformed {METADATA_ENTRY}: {what}")

    for key, longest in _TEXT_FIELDS.items():
        value = metadata.get(key, "")
        if not isinstance(value, str):
            raise malformed(f"{key!r} is not text")
        if len(value) > longest:
            raise malformed(f"{key!r} is longer than {longest:,} characters")
    for key in _BOOLEAN_FIELDS:
        if not isinstance(metadata.get(key, False), bool):
            raise malformed(f"{key!r} is not true or false")
    classes = metadata.get("classes")
    if classes is not None and (
        not isinstance(classes, list)
        or len(classes) != NUM_CLASSES
        or not all(isinstance(label, str) for label in classes)
    ):
        raise ModelError(
            f"{name} says it reads classes {str(classes)[:60]}; the app reads {NUM_CLASSES} named classes"
        )
    batch_size = metadata.get("batch_size", 1)
    if _plain_number(batch_size) and not (isinstance(batch_size, int) and 1 <= batch_size <= MAX_BATCH_SIZE):
        raise malformed(f"'batch_size' is not a whole number in 1..{MAX_BATCH_SIZE:,}")
    epoch_seconds = metadata.get("epoch_seconds", [])
    if not isinstance(epoch_seconds, list) or not all(map(_plain_number, epoch_seconds)):
        raise malformed("'epoch_seconds' is not a list of plain numbers")
    if metadata.get("test_loss", 0) is not None and not _plain_number(metadata.get("test_loss", 0)):
        raise malformed("'test_loss' is not a plain number")
    for where in _numbers_not_plain(metadata):
        raise malformed(f"{where} is not a plain number")
    return metadata


def _numbers_not_plain(metadata: dict) -> Iterator[str]:
    """Where the description holds a number that is not plain, or a figure field holds no number.

    Walked without recursion (a parsed description may nest hundreds deep). A top-level
    field is named as `'key'`, a value inside one by its path (`'curve'.loss[3]`).
    """
    pending: list[tuple[str, object]] = [(repr(key)[:200], value) for key, value in metadata.items()]
    while pending:
        where, value = pending.pop()
        # Paths are cut short as they grow, so a deep description cannot make long ones.
        if isinstance(value, dict):
            pending.extend((f"{where}.{str(key)[:200]}"[:200], item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((f"{where}[{index}]"[:200], item) for index, item in enumerate(value))
        elif not _plain_number(value):
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if is_number or where in _NUMBER_FIELDS:
                yield where


# Fields a figure must fill: text or null there is as wrong as `Infinity`. `test_loss` may be
# null (a run whose weights overflowed), so it is checked on its own.
_NUMBER_FIELDS = {
    repr(key)
    for key in (
        "test_accuracy",
        "training_seconds",
        "learning_rate",
        "epochs",
        "epochs_completed",
        "batch_size",
    )
}


def _plain_number(value: object) -> bool:
    """A finite, non-negative number of a sane size: what a figure in a description must be.

    JSON allows `Infinity`, `NaN` and integers of 400 digits; each would break a sum, a
    ratio or a table column downstream.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value)) and 0 <= value < 1e15
    except OverflowError:
        return False


def _refuse_unsafe_archive(path: Path) -> None:
    """Check a `.keras` zip before Keras opens it: whole, unencrypted, small when built.

    Python's zipfile never yields more than an entry's declared size, so checking the
    declared sizes bounds what loading can inflate; the configuration's layers are counted,
    then it is built once without its weights to bound what the model would allocate and
    compute (`model_checks`).
    """
    name = escaped(path.name)
    with _archive(path) as archive:
        entries = archive.infolist()
        if any(entry.flag_bits & 0x1 for entry in entries):
            raise ModelError(f"{name} holds encrypted entries; a .keras file has none")
        methods = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
        if any(entry.compress_type not in methods for entry in entries):
            raise ModelError(f"{name} uses a zip compression Keras does not write")
        if sum(entry.file_size for entry in entries) > MAX_MODEL_BYTES:
            raise ModelError(f"{name} inflates to more than {MAX_MODEL_BYTES:,} bytes")
        if CONFIG_ENTRY not in archive.namelist():
            raise ModelError(f"{name} has no {CONFIG_ENTRY}; it is not a Keras 3 model")
        with archive.open(CONFIG_ENTRY) as entry:
            raw = read_capped(entry, MAX_CONFIG_BYTES, f"{name}'s {CONFIG_ENTRY}", ModelError)
    try:
        cost = planned_cost(json.loads(raw))
    except ConfigurationRefused as error:
        raise ModelError(f"{name} {error}") from None
    except Exception as error:  # What Keras would raise on loading it: the same refusal, earlier.
        reason = "RecursionError" if isinstance(error, RecursionError) else error
        raise ModelError(f"{name}: {_keras_refusal(reason)}") from None
    try:
        check_cost(cost)
    except ConfigurationRefused as error:
        raise ModelError(f"{name} {error}") from None


def _keras_refusal(error: object) -> str:
    """What Keras' refusal means to a user, in one line."""
    text = str(error).strip()
    code_layer = re.search(r"deserialization of a `(\w+)`", text)
    if code_layer:
        layer = code_layer.group(1)
        kind = "Python code" if layer == "Lambda" else "code from outside the file"
        return f"it asks to run {kind} (a {layer} layer), which is never done here"
    return text.splitlines()[0][:300] if text else type(error).__name__


def check_model_shape(model, name: str) -> None:
    """Refuse a model that does not read one 28x28 image into one probability per class."""
    inputs, outputs = list(model.inputs), list(model.outputs)
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(
            f"{name} has {len(inputs)} inputs and {len(outputs)} outputs; the app needs one of each"
        )
    input_shape = tuple(inputs[0].shape[1:])
    if input_shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ModelError(f"{name} reads inputs of shape {input_shape}; the app gives it 28x28 images")
    output_shape = tuple(outputs[0].shape[1:])
    if output_shape != (NUM_CLASSES,):
        raise ModelError(
            f"{name} gives outputs of shape {output_shape}; the app needs {NUM_CLASSES} class probabilities"
        )


def load_model(path: Path | str | bytes):
    """Load a `.keras` model with safe mode on: a file carrying code is refused, never run."""
    tensorflow_runtime.prepare()
    import keras

    path = Path(os.fsdecode(path))
    name = escaped(path.name)
    if not path.exists():
        raise ModelError(f"no such model file: {name}")
    try:
        read_metadata(path)  # A broken description is refused for every caller, as the list marks it.
        _refuse_unsafe_archive(path)
    except ModelError as error:
        raise ModelError(f"cannot load model: {error}") from None
    except OSError as error:
        raise ModelError(f"cannot load model {name}: {error.strerror or type(error).__name__}") from None
    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many kinds for a bad file; all mean "unusable".
        raise ModelError(f"cannot load model {name}: {_keras_refusal(error)}") from None
    check_model_shape(model, name)
    return model


def model_bytes(model) -> bytes:
    """The model as a `.keras` file's bytes, to send where the models folder is not."""
    with tempfile.TemporaryDirectory(prefix="mnist-app-model-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(content: bytes):
    """A model from `.keras` bytes another machine sent, loaded as a file would be: safely."""
    with tempfile.TemporaryDirectory(prefix="mnist-app-model-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(content)
        return load_model(path)


@contextlib.contextmanager
def staged_model(model, path: Path, metadata: dict) -> Iterator[StagedFile]:
    """The model and its description written whole to a staged file beside `path`.

    The caller moves it into place (`StagedFile.replace` or `.link`); hidden until then, never
    listed as a model, removed by the store's `clean_up` if its writer was killed. OSError
    comes as it is, for the caller to name the file its own way.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with staged_file(path, suffix=TEMP_SUFFIX) as staged:
        model.save(staged.path)
        with zipfile.ZipFile(staged.path, "a") as archive:
            archive.writestr(METADATA_ENTRY, json.dumps(metadata, indent=2))
        yield staged


def save_model(model, path: Path, metadata: dict) -> Path:
    """Write model and description to path atomically: a crash leaves the old file or the new."""
    path = Path(path)
    try:
        with staged_model(model, path, metadata) as staged:
            staged.replace(path)
    except OSError as error:
        raise ModelError(f"cannot write {path}: {error.strerror or type(error).__name__}") from None
    return path
