"""The files a command writes, checked before its work: a name that is UTF-8 and a folder it
can write into. A failed write names the file by itself (`files.atomic_write`,
`model_files.save_model`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mnist_app.errors import UserError


def check_text_name(path: Path, option: str) -> None:
    """Refuse to create a file whose name is not UTF-8: it could not be shown, nor typed back."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise UserError(f"{option} {shown} is not a UTF-8 name; give a name of plain characters") from None


def check_writable(folder: Path, what: str = "a model") -> None:
    """Fail before the work, not after, if its result could not be written into `folder`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A probe, gone when closed: nothing is written under a name.
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UserError(f"cannot write {what} into {folder}: {error.strerror or error}") from None
