"""Which dataset a student may not open while a challenge keeps it whole for the teacher.

`classroom.hidden_split.opens_hidden` matches a dataset by its names; here, for a path typed in
the data folder, also by the file itself: a hard link, or a file inside a hidden folder, is the
hidden data under another name. The refusal is word for word the catalogue's for a dataset that
is not there, so it tells a student nothing about what the teacher keeps.
"""

from __future__ import annotations

import os
from pathlib import Path

from mnist_app.classroom import hidden_split
from mnist_app.classroom.challenges import Challenge
from mnist_app.datasets.catalogue import NAMED_DATASETS
from mnist_app.errors import UserError
from mnist_app.file_names import unescaped
from mnist_app.files import resolve_inside


def opens_hidden(spec: str, root: str | Path | None, challenge: Challenge) -> bool:
    """Whether opening `spec` (inside `root`, when a visitor typed it) shows the hidden test set."""
    if hidden_split.opens_hidden(spec, challenge):
        return True
    hidden = hidden_split.hidden_specs(challenge)
    if not hidden or root is None:
        return False
    base = Path(root).resolve()
    kept = {_file_id(_inside(base, name)) for name in hidden} - {None}
    for typed in {spec.strip(), unescaped(spec.strip()) or spec.strip()}:
        path = _inside(base, typed)
        while path is not None and path != base and path != path.parent:
            if _file_id(path) in kept:
                return True
            path = path.parent
    return False


def missing(spec: str) -> str:
    """What the catalogue says of a dataset that is not in the data folder, word for word."""
    spec = spec.strip()
    if os.sep not in spec and "." not in spec:
        return f"unknown dataset {spec!r}: use one of {', '.join(NAMED_DATASETS)}, or a path"
    return f"no such dataset file or folder: {spec}"


def _inside(base: Path, typed: str) -> Path | None:
    try:
        return resolve_inside(base, typed)
    except UserError:
        return None


def _file_id(path: Path | None) -> tuple[int, int] | None:
    try:
        status = os.stat(path) if path is not None else None
    except (OSError, ValueError):
        return None
    return None if status is None else (status.st_dev, status.st_ino)
