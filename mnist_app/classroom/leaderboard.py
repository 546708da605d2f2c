"""A challenge's leaderboard: every model trained under it, ranked on the hidden test set.

Each model is scored once (`score`), in whichever process gets to it first, and its row (who,
which network, its figures, its accuracy) is kept in the classroom folder under the model
file's identity (inode, modification time, size) and the challenge: a model renamed keeps its
score, one saved again is scored again, never ranked on an old score. The ranking is read from
those rows, so a run stays on the board after its file goes: pruned (the models folder's cap,
a student's share) or deleted by its student. Only the teacher's removal takes a row off.
A score is one accuracy: no per-digit result of the hidden set is kept or returned.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass

from mnist_app.classroom import folder
from mnist_app.classroom.challenges import Challenge
from mnist_app.classroom.names import names, who
from mnist_app.datasets.dataset import Dataset
from mnist_app.learning.design_plan import plan
from mnist_app.learning.designs import DesignError
from mnist_app.learning.evaluation import evaluate
from mnist_app.learning.model_files import ModelError, load_model
from mnist_app.learning.model_store import ModelStore, SavedModel
from mnist_app.learning.recipes import network_title, recipe

SCORES_FILE = "scores.json"
# Rows kept: every model of many challenges; the oldest are forgotten first.
MAX_ROWS = 5_000
# The longest text a row keeps of a name, a network's title, a token.
MAX_TEXT = 200
CSV_HEADER = (
    "rank",
    "student",
    "network",
    "parameters",
    "epochs",
    "training seconds",
    "hidden-test accuracy",
    "model",
    "created",
)
# A cell a spreadsheet would read as a formula starts with one of these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Entry:
    """One model on the leaderboard (`student`: a name, or `names.NO_NAME`). `rank` is 0 and `accuracy` None while it is being scored."""

    rank: int
    student: str
    owner: str
    network: str
    parameters: int
    epochs: int
    seconds: float
    accuracy: float | None
    model: str
    created: str


def _figure(metadata: dict, key: str, kind: type, default):
    value = metadata.get(key)
    if isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return value
    return default


def _text(value: object, most: int) -> str:
    return value[:most] if isinstance(value, str) else ""


def _parameters(metadata: dict) -> int:
    try:
        return plan(recipe(metadata).layers).parameters
    except (DesignError, ValueError, TypeError):
        return 0


def _row(saved: SavedModel) -> dict:
    """What the leaderboard keeps of a model, so that its row outlives the file."""
    metadata = saved.metadata
    return {
        "model": _text(saved.name, MAX_TEXT),
        "owner": _text(metadata.get("owner"), MAX_TEXT),
        "owner_name": _text(metadata.get("owner_name"), MAX_TEXT),
        "network": _text(network_title(metadata) or str(metadata.get("arch") or "?"), MAX_TEXT),
        "parameters": _parameters(metadata),
        "epochs": _figure(metadata, "epochs_completed", int, 0),
        "seconds": float(_figure(metadata, "training_seconds", int | float, 0.0)),
        "created": _text(metadata.get("created"), MAX_TEXT),
    }


def _entry(row: dict, known: dict[str, str]) -> Entry:
    """A row as the leaderboard shows it (its accuracy None while not scored): the owner's name
    given now, else the one saved with the model, else said plainly."""
    return Entry(
        rank=0,
        student=who(row["owner"], known, row["owner_name"]),
        owner=row["owner"],
        network=row["network"],
        parameters=row["parameters"],
        epochs=row["epochs"],
        seconds=row["seconds"],
        accuracy=row["accuracy"],
        model=row["model"],
        created=row["created"],
    )


def challenge_models(store: ModelStore, challenge: Challenge) -> list[SavedModel]:
    """Every readable saved model trained under the challenge."""
    return [
        saved for saved in store.list() if not saved.error and saved.metadata.get("challenge") == challenge.id
    ]


def entries(store: ModelStore, challenge: Challenge) -> list[Entry]:
    """Every run of the challenge, best first: by hidden-test accuracy, then fewer parameters,
    then the earlier; the models not scored yet last, unranked.

    A scored run is ranked from the row kept with its score, so it stays when its file goes
    (pruned, deleted by its student); a file still there lends the row its name now.
    """
    known = names()
    kept = _kept(challenge.id)
    listed, seen = [], set()
    for saved in challenge_models(store, challenge):
        key = _key(saved, challenge.id)
        row = {**kept[key], "model": saved.name} if key in kept else {**_row(saved), "accuracy": None}
        seen |= {key, _run(row)}
        listed.append(_entry(row, known))
    listed += [_entry(row, known) for key, row in kept.items() if key not in seen and _run(row) not in seen]
    scored = sorted(
        (entry for entry in listed if entry.accuracy is not None),
        key=lambda entry: (-entry.accuracy, entry.parameters, entry.created, entry.model),
    )
    waiting = sorted(
        (entry for entry in listed if entry.accuracy is None), key=lambda e: (e.created, e.model)
    )
    ranked = [_ranked(entry, rank) for rank, entry in enumerate(scored, 1)]
    return ranked + waiting


def _ranked(entry: Entry, rank: int) -> Entry:
    return Entry(**{**entry.__dict__, "rank": rank})


def _run(row: dict) -> tuple[str, str, str]:
    """One training run, however its file is stamped now (a models folder copied back)."""
    return (row["model"], row["owner"], row["created"])


def _key(saved: SavedModel, challenge_id: str) -> str | None:
    """The score's key: the file as it is now (the same after a rename, another once it is saved
    again), under this challenge; None if the file is gone."""
    try:
        status = os.stat(saved.path)
    except OSError:
        return None
    return f"{challenge_id}|{status.st_ino}|{status.st_mtime_ns}|{status.st_size}"


_ROW_FIELDS = {
    "challenge": str,
    "model": str,
    "owner": str,
    "owner_name": str,
    "network": str,
    "parameters": int,
    "epochs": int,
    "seconds": float,
    "created": str,
    "accuracy": float,
}


def _checked_row(row: object) -> dict | None:
    if not isinstance(row, dict) or set(row) != set(_ROW_FIELDS):
        return None
    for field, kind in _ROW_FIELDS.items():
        value = row[field]
        if kind is str and not (isinstance(value, str) and len(value) <= MAX_TEXT):
            return None
        if kind is not str and (
            isinstance(value, bool)
            or not isinstance(value, int | float if kind is float else int)
            or not math.isfinite(value)
            or value < 0
        ):
            return None
    if not row["accuracy"] <= 1:
        return None
    return {**row, "seconds": float(row["seconds"]), "accuracy": float(row["accuracy"])}


def _checked_rows(content: object) -> dict[str, dict]:
    if not isinstance(content, dict):
        raise folder.Damaged("not a JSON object")
    rows = {}
    for key, row in content.items():
        checked = _checked_row(row)
        if isinstance(key, str) and checked is not None and key.startswith(f"{checked['challenge']}|"):
            rows[key] = checked
    return rows


def _rows() -> dict[str, dict]:
    return folder.read_json(SCORES_FILE, {}, _checked_rows)


def _kept(challenge_id: str) -> dict[str, dict]:
    return {key: row for key, row in _rows().items() if row["challenge"] == challenge_id}


def unscored(challenge: Challenge, store: ModelStore | None = None) -> list[SavedModel]:
    """The challenge's models that have no score for their file as it is now: the ones to score."""
    kept = _rows()
    return [
        saved
        for saved in challenge_models(store or ModelStore(), challenge)
        if _key(saved, challenge.id) not in kept
    ]


def score(saved: SavedModel, hidden: Dataset) -> float:
    """The model's accuracy on the hidden test set, loaded in Keras' safe mode; kept, with the
    model's row, for next time.

    The model must have been trained under a challenge (its description says which).
    """
    challenge_id = saved.metadata.get("challenge")
    if not isinstance(challenge_id, str) or not challenge_id:
        raise ModelError(f"{saved.name} was not trained under a challenge")
    key = _key(saved, challenge_id)
    kept = _rows()
    if key is not None and key in kept:
        return kept[key]["accuracy"]
    accuracy = float(evaluate(load_model(saved.path), hidden.x_test, hidden.y_test).accuracy)
    if key is not None:
        with folder.locked():
            updated = dict(_rows())
            updated.pop(key, None)
            updated[key] = {"challenge": challenge_id, **_row(saved), "accuracy": accuracy}
            _write(updated)
    return accuracy


def forget(saved: SavedModel) -> None:
    """Take the model's row off its challenge's leaderboard (the teacher removes the model)."""
    challenge_id = saved.metadata.get("challenge")
    key = _key(saved, challenge_id) if isinstance(challenge_id, str) else None
    if key is None:
        return
    with folder.locked():
        updated = dict(_rows())
        if updated.pop(key, None) is not None:
            _write(updated)


def _write(rows: dict[str, dict]) -> None:
    """Keep the newest rows within MAX_ROWS and what `folder` reads back; the caller holds the lock."""
    while len(rows) > MAX_ROWS:
        rows.pop(next(iter(rows)))
    while (
        len(rows) > 1 and len(json.dumps(rows, indent=1, ensure_ascii=False).encode()) > folder.MAX_FILE_BYTES
    ):
        for _ in range(max(1, len(rows) // 10)):
            rows.pop(next(iter(rows)))
    folder.write_json(SCORES_FILE, rows)


def spreadsheet_safe(value: object) -> str:
    """The value as text no spreadsheet runs as a formula: one that starts like a formula gets a
    leading ' (for the CSV, and for the tables whose own download writes cells as they are)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def csv_text(ranked: list[Entry]) -> str:
    """The leaderboard as CSV, one run a row; no cell a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for entry in ranked:
        writer.writerow(
            spreadsheet_safe(value)
            for value in (
                entry.rank or "",
                entry.student,
                entry.network,
                entry.parameters,
                entry.epochs,
                f"{entry.seconds:.1f}",
                "" if entry.accuracy is None else f"{entry.accuracy:.4f}",
                entry.model,
                entry.created,
            )
        )
    return buffer.getvalue()
