"""Saved models on disk: one `.keras` file each, its description stored inside it.

The description (architecture, dataset, accuracy, ...) travels inside the `.keras` zip as
`mnist_app.json`, so a model and what it says about itself can never drift apart, and a
save is one atomic rename. Models load with Keras' safe mode on, always.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mnist_app.errors import UserError

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL_NAME = "default"
METADATA_ENTRY = "mnist_app.json"
SUFFIX = ".keras"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def models_dir() -> Path:
    """Where models are saved: MNIST_APP_MODELS_DIR, or the repository's models/ folder."""
    return Path(os.environ.get("MNIST_APP_MODELS_DIR") or MODELS_DIR)


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
    def cache_key(self) -> tuple[str, int, int]:
        """Changes whenever the file is re-saved, so cached loads re-read it."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise ModelError(f"{self.name} was just deleted or renamed") from None
        return (str(self.path), stat.st_mtime_ns, stat.st_size)

    @property
    def label(self) -> str:
        """One line for a select box: name, architecture, dataset and test accuracy."""
        if self.error:
            return f"{self.name} (broken)"
        meta = self.metadata
        accuracy = meta.get("test_accuracy")
        accuracy_text = f", {accuracy:.1%}" if isinstance(accuracy, float) else ""
        return f"{self.name} ({meta.get('arch', '?')} on {meta.get('dataset', '?')}{accuracy_text})"


def read_metadata(path: Path) -> dict:
    """The description stored inside a `.keras` file, without loading the model."""
    try:
        with zipfile.ZipFile(path) as archive:
            if METADATA_ENTRY not in archive.namelist():
                return {}
            metadata = json.loads(archive.read(METADATA_ENTRY))
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelError(f"{path.name} is not a readable .keras file ({error})") from None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("created", ""), str):
        raise ModelError(f"{path.name} carries a malformed {METADATA_ENTRY}")
    return metadata


def load_model(path: Path):
    """Load a `.keras` model with safe mode on: a file carrying Python code is refused."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no such model file: {path}")
    try:
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many kinds for a bad file; all mean "unusable".
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "safe_mode" in str(error) or "lambda" in str(error).lower():
            message = "it contains Python code (a Lambda layer), which is never run here"
        raise ModelError(f"cannot load model {path.name}: {message}") from None


def save_model(model, path: Path, metadata: dict) -> Path:
    """Write model and description to path atomically: a crash leaves the old file or the new."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp" + SUFFIX)
    os.close(fd)
    try:
        model.save(tmp_name)
        with zipfile.ZipFile(tmp_name, "a") as archive:
            archive.writestr(METADATA_ENTRY, json.dumps(metadata, indent=2))
        with open(tmp_name, "rb") as tmp:
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
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


class ModelStore:
    """The folder of saved models: list, save, rename, delete."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else models_dir()

    def path(self, name: str) -> Path:
        return self.root / f"{check_name(name)}{SUFFIX}"

    def list(self) -> list[SavedModel]:
        """Every model file, newest first; a broken file is listed with its error."""
        if not self.root.is_dir():
            return []
        models = []
        for path in self.root.glob(f"*{SUFFIX}"):
            if path.name.startswith("."):
                continue
            try:
                models.append(SavedModel(path.stem, path, read_metadata(path)))
            except ModelError as error:
                models.append(SavedModel(path.stem, path, {}, error=str(error)))
        return sorted(models, key=lambda m: (m.metadata.get("created", ""), m.name), reverse=True)

    def get(self, name: str) -> SavedModel:
        path = self.path(name)
        if not path.is_file():
            raise ModelError(f"no saved model named {name!r}")
        return SavedModel(path.stem, path, read_metadata(path))

    def save(self, model, name: str, metadata: dict) -> SavedModel:
        path = save_model(model, self.path(name), metadata)
        return SavedModel(path.stem, path, metadata)

    def unique_name(self, *parts: str) -> str:
        """A free name made of the parts ("cnn", "mnist" -> "cnn-mnist", then "cnn-mnist-2", ...)."""
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(parts)).strip("-.")[:56] or "model"
        name, n = base, 1
        while self.path(name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    def rename(self, old: str, new: str) -> SavedModel:
        source, target = self.path(old), self.path(new)
        if not source.is_file():
            raise ModelError(f"no saved model named {old!r}")
        try:
            os.link(source, target)
            source.unlink()
        except FileExistsError:
            raise ModelError(f"a model named {new!r} exists already") from None
        except FileNotFoundError:
            raise ModelError(f"no saved model named {old!r}") from None
        return self.get(target.stem)

    def delete(self, name: str) -> None:
        try:
            self.path(name).unlink()
        except FileNotFoundError:
            raise ModelError(f"no saved model named {name!r}") from None
