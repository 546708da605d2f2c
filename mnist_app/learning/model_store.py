"""Saved models on disk: one `.keras` file each, its description stored inside it.

The description (architecture, dataset, accuracy, ...) travels inside the `.keras` zip as
`mnist_app.json`, so a model and what it says about itself can never drift apart, and a
save is one atomic rename. Models load with Keras' safe mode on, always.

The folder is shared by every visitor of a server and by the command line, so nothing in it
is trusted: a description is read with a size cap and checked, a model is checked for the
shape the app feeds it, and names are claimed and changed under a lock, never replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mnist_app.datasets.catalogue import IMAGE_SIZE, NUM_CLASSES
from mnist_app.errors import UserError
from mnist_app.file_names import escaped, unescaped
from mnist_app.files import open_regular, read_capped
from mnist_app.learning.model_checks import ConfigurationRefused, check_cost, planned_cost

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL_NAME = "default"
METADATA_ENTRY = "mnist_app.json"
SUFFIX = ".keras"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# The largest model here (the lab's MLP with Adam's state) is about 8 MB; fifty times that
# is still a model, a bigger file is not one of ours.
MAX_MODEL_BYTES = 400 * 1024 * 1024
# A description with a whole training history is tens of kilobytes, a model's configuration
# a few (Keras reads it whole into memory).
MAX_METADATA_BYTES = 1024 * 1024
MAX_CONFIG_BYTES = 4 * 1024 * 1024
CONFIG_ENTRY = "config.json"
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp" + SUFFIX


def models_dir() -> Path:
    """Where models are saved: MNIST_APP_MODELS_DIR, or the repository's models/ folder."""
    return Path(os.environ.get("MNIST_APP_MODELS_DIR") or MODELS_DIR)


def shared_deployment() -> bool:
    """MNIST_APP_SHARED=1: a web visitor may rename or delete only the models their session trained."""
    return os.environ.get("MNIST_APP_SHARED", "") in ("1", "true", "yes")


class ModelError(UserError):
    """A model that cannot be found, read or trusted; the message is meant for the user."""


@dataclass(frozen=True)
class SavedModel:
    """A `.keras` file in the store and the description read from it (or why it is broken)."""

    name: str
    path: Path
    metadata: dict
    error: str = ""

    @property
    def cache_key(self) -> tuple[bytes, int, int]:
        """Changes whenever the file is re-saved, so cached loads re-read it.

        The path is bytes: a file name need not be UTF-8, and Streamlit's cache hashes text as UTF-8.
        """
        try:
            stat = self.path.stat()
        except OSError:
            raise ModelError(f"{self.name} was just deleted or renamed") from None
        return (os.fsencode(self.path), stat.st_mtime_ns, stat.st_size)

    @property
    def label(self) -> str:
        """One line for a select box: name, architecture, dataset and test accuracy."""
        if self.error:
            return f"{self.name} (broken)"
        meta = self.metadata
        accuracy = meta.get("test_accuracy")
        accuracy_text = f", {accuracy:.1%}" if isinstance(accuracy, float) else ""
        return f"{self.name} ({meta.get('arch', '?')} on {meta.get('dataset', '?')}{accuracy_text})"

    def reads(self, class_names) -> bool:
        """Whether the model was trained on these classes (an undescribed one is given the benefit)."""
        trained_on = self.metadata.get("classes")
        return not trained_on or list(trained_on) == list(class_names)

    def change_refused(self, owner: str, shared: bool) -> str:
        """Why a web visitor may not rename or delete this model; "" when they may."""
        if self.name == DEFAULT_MODEL_NAME:
            return "the default model ships with the app and is never renamed or deleted from the web"
        if shared and self.metadata.get("owner") != owner:
            return "on this shared server you may rename or delete only the models you trained in this browser session"
        return ""


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


def check_metadata(metadata: object, name: str) -> dict:
    """The description, if it has the shape the pages rely on; ModelError saying what is off."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("created", ""), str):
        raise ModelError(f"{name} carries a malformed {METADATA_ENTRY}")
    for key in ("arch", "dataset", "saved_by", "owner"):
        if not isinstance(metadata.get(key, ""), str):
            raise ModelError(f"{name} carries a malformed {METADATA_ENTRY}: {key!r} is not text")
    classes = metadata.get("classes")
    if classes is not None and (
        not isinstance(classes, list)
        or len(classes) != NUM_CLASSES
        or not all(isinstance(label, str) for label in classes)
    ):
        raise ModelError(
            f"{name} says it reads classes {str(classes)[:60]}; the app reads {NUM_CLASSES} named classes"
        )
    for key in (
        "test_accuracy",
        "test_loss",
        "training_seconds",
        "learning_rate",
        "epochs",
        "epochs_completed",
    ):
        if not _plain_number(metadata.get(key, 0)):
            raise ModelError(f"{name} carries a malformed {METADATA_ENTRY}: {key!r} is not a plain number")
    return metadata


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


@functools.lru_cache(maxsize=256)
def _cached_description(path: str, inode: int, mtime_ns: int, size: int) -> tuple[dict, str]:
    """A file's description, or why it is broken; read again only when the file changes."""
    try:
        return read_metadata(Path(path)), ""
    except ModelError as error:
        return {}, str(error)


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
def _temporary_model_file(model, folder: Path, stem: str, metadata: dict) -> Iterator[str]:
    """The model and its description written whole to a hidden file beside its final place.

    The writer holds a lock on the file while it lives, so `ModelStore.clean_up` can tell a
    file left by a killed writer (unlocked) from one being written (locked).
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{stem}.", suffix=TEMP_SUFFIX)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        model.save(tmp_name)
        with zipfile.ZipFile(tmp_name, "a") as archive:
            archive.writestr(METADATA_ENTRY, json.dumps(metadata, indent=2))
        os.fsync(fd)
        os.chmod(tmp_name, 0o644)
        yield tmp_name
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


def save_model(model, path: Path, metadata: dict) -> Path:
    """Write model and description to path atomically: a crash leaves the old file or the new."""
    path = Path(path)
    with _temporary_model_file(model, path.parent, path.stem, metadata) as tmp_name:
        os.replace(tmp_name, path)
    return path


def check_name(name: str) -> str:
    """A model name is a file name: letters, digits, '-', '_', '.'; at most 64 characters."""
    name = name.strip()
    if name.endswith(SUFFIX):
        name = name[: -len(SUFFIX)]
    if not NAME_PATTERN.match(name):
        raise ModelError(
            f"{name!r} is not a valid model name: use letters, digits, '-', '_' or '.', "
            "starting with a letter or digit, at most 64 characters"
        )
    return name


def _described(path: Path) -> SavedModel:
    """A model file and its description, or why it is broken; OSError if it is gone.

    Its name is the file's as text (`file_names`): pages show it and send it back, and the
    store finds the file from it, even when the file's name is not UTF-8.
    """
    stat = path.stat()
    metadata, error = _cached_description(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return SavedModel(escaped(path.name[: -len(SUFFIX)]), path, metadata, error=error)


@contextlib.contextmanager
def _folder_refusal(action: str, name: str) -> Iterator[None]:
    """The models folder's OSError as a ModelError: its reason and the model, never the server's path."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ModelError(f"the models folder refused to {action} {name}: {reason}") from None


class ModelStore:
    """The folder of saved models: list, save, rename and delete (`pruning` keeps it within a count)."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else models_dir()

    def path(self, name: str) -> Path:
        """Where a model of a valid new name lives."""
        return self.root / f"{check_name(name)}{SUFFIX}"

    def _existing_path(self, name: str) -> Path:
        """The file of a listed model, whatever its name (`my model (copy)`, `x\\xff` included)."""
        stem = unescaped(name)
        if not stem or stem in (".", "..") or "/" in stem or "\0" in stem or stem.startswith(TEMP_PREFIX):
            raise ModelError(f"no saved model named {name!r}")
        path = self.root / f"{stem}{SUFFIX}"
        if not path.is_file():
            raise ModelError(f"no saved model named {name!r}")
        return path

    def list(self) -> list[SavedModel]:
        """Every model file, newest first; a broken file is listed with its error."""
        models = []
        try:
            paths = [p for p in self.root.glob(f"*{SUFFIX}") if not p.name.startswith(TEMP_PREFIX)]
        except OSError:
            return []
        for path in paths:
            with contextlib.suppress(OSError):
                models.append(_described(path))
        return sorted(models, key=lambda m: (m.metadata.get("created", ""), m.name), reverse=True)

    def get(self, name: str) -> SavedModel:
        path = self._existing_path(name)
        return SavedModel(name, path, read_metadata(path))

    def save(self, model, name: str, metadata: dict) -> SavedModel:
        """Save under `name`, replacing a model of that name (the command line's `--output`)."""
        with _folder_refusal("save", name):
            path = save_model(model, self.path(name), metadata)
        return SavedModel(path.stem, path, metadata)

    def save_new(self, model, base: str, metadata: dict) -> SavedModel:
        """Save under a name no model has: `base`, else `base-2`, ...; never replaces one.

        The name is claimed by linking the finished file into place, which fails if the
        name was taken meanwhile: two saves at the same moment both survive.
        """
        with (
            _folder_refusal("save", base),
            _temporary_model_file(model, self.root, base, metadata) as tmp_name,
        ):
            for name in _numbered(base):
                try:
                    os.link(tmp_name, self.path(name))
                except FileExistsError:
                    continue
                return SavedModel(name, self.path(name), metadata)
        raise ModelError(f"no free name for {base!r}")  # pragma: no cover: the candidates never end

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One rename or delete at a time, across threads and processes alike."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _refuse_change(self, name: str, action: str, owner: str | None) -> None:
        """Refuse what a web visitor (`owner` given) may not do to a model; never the default."""
        if name == DEFAULT_MODEL_NAME:
            raise ModelError(f"{DEFAULT_MODEL_NAME}.keras ships with the app and cannot be {action} here")
        if owner is not None:
            refused = _described(self._existing_path(name)).change_refused(owner, shared_deployment())
            if refused:
                raise ModelError(f"{name} cannot be {action}: {refused}")

    def rename(self, old: str, new: str, owner: str | None = None) -> SavedModel:
        """Give a model a new valid name; refused if the name is taken or the model is gone.

        `owner` is a web visitor's token: on a shared server only their own models change.
        """
        target = self.path(new)
        with _folder_refusal("rename", old), self._locked():
            self._refuse_change(old, "renamed", owner)
            source = self._existing_path(old)
            try:
                os.link(source, target)
            except FileExistsError:
                raise ModelError(f"a model named {target.stem!r} exists already") from None
            except FileNotFoundError:
                raise ModelError(f"no saved model named {old!r}") from None
            try:
                source.unlink()
            except OSError:
                with contextlib.suppress(OSError):  # Not renamed after all: no second copy left.
                    target.unlink()
                raise
            return _described(target)

    def delete(self, name: str, owner: str | None = None) -> str:
        """Delete a model for good; the name it had. `owner`: as for `rename`."""
        with _folder_refusal("delete", name), self._locked():
            self._refuse_change(name, "deleted", owner)
            self._existing_path(name).unlink()
        return name

    def clean_up(self) -> list[str]:
        """Remove temporary files left by a save that was killed (no writer holds their lock)."""
        removed = []
        with contextlib.suppress(OSError):
            for path in self.root.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    path.unlink()
                    removed.append(path.name)
                except OSError:
                    continue
                finally:
                    os.close(fd)
        return removed


def _numbered(base: str) -> Iterator[str]:
    """`base`, then `base-2`, `base-3`, ...: the names a new model may claim."""
    return itertools.chain([base], (f"{base}-{n}" for n in itertools.count(2)))


def name_from(*parts: str) -> str:
    """A valid model name made of free text ("mlp", "My Digits (2026)" -> "mlp-My-Digits-2026")."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(parts)).strip("-.")[:56] or "model"
