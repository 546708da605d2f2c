"""The models folder: one `.keras` file per model (`model_files`), listed, saved, renamed, deleted.

The folder is shared by every visitor of a server and by the command line, so nothing in it
is trusted: each file's description is read and checked (`model_files`), and names are
claimed and changed under a lock, never replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mnist_app import settings
from mnist_app.file_names import escaped, unescaped
from mnist_app.files import remove_abandoned
from mnist_app.learning.model_files import (
    SUFFIX,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    ModelError,
    read_metadata,
    staged_model,
)
from mnist_app.learning.trust_settings import TrustSettings, stored

DEFAULT_MODEL_NAME = "default"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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

    @property
    def trust(self) -> TrustSettings:
        """Its not-a-digit threshold and temperature, where its description holds sound ones."""
        return stored(self.metadata)

    def reads(self, class_names) -> bool:
        """Whether the model was trained on these classes (an undescribed one is given the benefit)."""
        trained_on = self.metadata.get("classes")
        return not trained_on or list(trained_on) == list(class_names)

    def origin(self, owner: str, shared: bool) -> str:
        """Where the model came from, in a learner's words."""
        if self.name == DEFAULT_MODEL_NAME:
            return "shipped with the app"
        if self.metadata.get("saved_by") == "app":
            if shared and self.metadata.get("owner") != owner:
                return "trained by another visitor"
            return "trained by you"
        if self.metadata.get("command"):
            return "the command line"
        return "copied into the models folder"

    def change_refused(self, owner: str, shared: bool) -> str:
        """Why a web visitor may not rename or delete this model; "" when they may."""
        if self.name == DEFAULT_MODEL_NAME:
            return "the default model ships with the app and is never renamed or deleted from the web"
        if shared and self.metadata.get("owner") != owner:
            return "on this shared server you may rename or delete only the models you trained in this browser session"
        return ""


@functools.lru_cache(maxsize=256)
def _cached_description(path: str, inode: int, mtime_ns: int, size: int) -> tuple[dict, str]:
    """A file's description, or why it is broken; read again only when the file changes."""
    try:
        return read_metadata(Path(path)), ""
    except ModelError as error:
        return {}, str(error)


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
        self.root = Path(root) if root else settings.models_dir()

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
        path = self.path(name)
        with _folder_refusal("save", name), staged_model(model, path, metadata) as staged:
            staged.replace(path)
        return SavedModel(path.stem, path, metadata)

    def save_new(self, model, base: str, metadata: dict) -> SavedModel:
        """Save under a name no model has: `base`, else `base-2`, ...; never replaces one.

        The name is claimed by linking the finished file into place, which fails if the
        name was taken meanwhile: two saves at the same moment both survive.
        """
        with _folder_refusal("save", base), staged_model(model, self.path(base), metadata) as staged:
            for name in _numbered(base):
                try:
                    staged.link(self.path(name))
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
            refused = _described(self._existing_path(name)).change_refused(owner, settings.shared())
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
        return remove_abandoned(self.root, f"{TEMP_PREFIX}*{TEMP_SUFFIX}")


def _numbered(base: str) -> Iterator[str]:
    """`base`, then `base-2`, `base-3`, ...: the names a new model may claim."""
    return itertools.chain([base], (f"{base}-{n}" for n in itertools.count(2)))


def trained_name(network: str, dataset: str, when: datetime | None = None) -> str:
    """What a newly trained model is called: what, on what, when ("lenet-5-on-mnist-02dec-0612")."""
    return name_from(network, "on", dataset, (when or datetime.now()).strftime("%d%b-%H%M").lower())


def name_from(*parts: str) -> str:
    """A valid model name made of free text ("mlp", "My Digits (2026)" -> "mlp-My-Digits-2026")."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(parts)).strip("-.")[:56] or "model"
