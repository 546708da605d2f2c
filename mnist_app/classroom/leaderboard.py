"""A challenge's leaderboard: every model trained under it, ranked on the hidden test set.

Each model is scored once (`score`), in whichever process gets to it first, and the score is
kept in the classroom folder under the model file's name, modification time, size and
challenge: a model re-saved under the same name is scored again, never ranked on an old score.
A score is one accuracy: no per-digit result of the hidden set is kept or returned.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass

from mnist_app.classroom import folder
from mnist_app.classroom.challenges import Challenge
from mnist_app.classroom.names import check_name, names
from mnist_app.datasets.dataset import Dataset
from mnist_app.errors import UserError
from mnist_app.learning.design_plan import plan
from mnist_app.learning.designs import DesignError
from mnist_app.learning.evaluation import evaluate
from mnist_app.learning.model_files import ModelError, load_model
from mnist_app.learning.model_store import ModelStore, SavedModel
from mnist_app.learning.recipes import network_title, recipe

SCORES_FILE = "scores.json"
# Scores kept: every model of many challenges; the oldest are forgotten first.
MAX_SCORES = 10_000
NO_NAME = "a visitor without a name"
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
    """One model on the leaderboard. `rank` is 0 and `accuracy` None while it is being scored."""

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


def _student(metadata: dict, known: dict[str, str]) -> tuple[str, str]:
    """The model's owner (token) and their display name: the one given now, else the one saved with it."""
    owner = metadata.get("owner")
    owner = owner if isinstance(owner, str) else ""
    name = known.get(owner, "")
    if not name:
        try:
            name = check_name(metadata.get("owner_name"))
        except UserError:
            name = NO_NAME
    return owner, name


def _parameters(metadata: dict) -> int:
    try:
        return plan(recipe(metadata).layers).parameters
    except (DesignError, ValueError, TypeError):
        return 0


def _entry(saved: SavedModel, accuracy: float | None, known: dict[str, str]) -> Entry:
    metadata = saved.metadata
    owner, student = _student(metadata, known)
    created = metadata.get("created")
    return Entry(
        rank=0,
        student=student,
        owner=owner,
        network=network_title(metadata) or str(metadata.get("arch") or "?"),
        parameters=_parameters(metadata),
        epochs=_figure(metadata, "epochs_completed", int, 0),
        seconds=float(_figure(metadata, "training_seconds", int | float, 0.0)),
        accuracy=accuracy,
        model=saved.name,
        created=created if isinstance(created, str) else "",
    )


def challenge_models(store: ModelStore, challenge: Challenge) -> list[SavedModel]:
    """Every readable saved model trained under the challenge."""
    return [
        saved for saved in store.list() if not saved.error and saved.metadata.get("challenge") == challenge.id
    ]


def entries(store: ModelStore, challenge: Challenge, scores: dict[str, float]) -> list[Entry]:
    """The challenge's models, best first: by hidden-test accuracy, then fewer parameters, then
    the earlier; those not scored yet (not in `scores`) last, unranked."""
    known = names()
    listed = [_entry(saved, scores.get(saved.name), known) for saved in challenge_models(store, challenge)]
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


def _key(saved: SavedModel, challenge_id: str) -> str | None:
    """The score's key: the file as it is now, under this challenge; None if the file is gone."""
    try:
        status = os.stat(saved.path)
    except OSError:
        return None
    return f"{saved.name}|{status.st_mtime_ns}|{status.st_size}|{challenge_id}"


def _checked_scores(content: object) -> dict[str, float]:
    if not isinstance(content, dict):
        raise folder.Damaged("not a JSON object")
    return {
        key: float(value)
        for key, value in content.items()
        if isinstance(key, str)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 <= value <= 1
    }


def _scores() -> dict[str, float]:
    return folder.read_json(SCORES_FILE, {}, _checked_scores)


def cached_scores(challenge: Challenge, store: ModelStore | None = None) -> dict[str, float]:
    """The hidden-test accuracy of each of the challenge's models scored as its file is now."""
    kept = _scores()
    found = {}
    for saved in challenge_models(store or ModelStore(), challenge):
        key = _key(saved, challenge.id)
        if key in kept:
            found[saved.name] = kept[key]
    return found


def unscored(challenge: Challenge, store: ModelStore | None = None) -> list[SavedModel]:
    """The challenge's models that have no score for their file as it is now: the ones to score."""
    kept = _scores()
    return [
        saved
        for saved in challenge_models(store or ModelStore(), challenge)
        if _key(saved, challenge.id) not in kept
    ]


def score(saved: SavedModel, hidden: Dataset) -> float:
    """The model's accuracy on the hidden test set, loaded in Keras' safe mode; kept for next time.

    The model must have been trained under a challenge (its description says which).
    """
    challenge_id = saved.metadata.get("challenge")
    if not isinstance(challenge_id, str) or not challenge_id:
        raise ModelError(f"{saved.name} was not trained under a challenge")
    key = _key(saved, challenge_id)
    kept = _scores()
    if key is not None and key in kept:
        return kept[key]
    accuracy = float(evaluate(load_model(saved.path), hidden.x_test, hidden.y_test).accuracy)
    if key is not None:
        with folder.locked():
            updated = dict(_scores())
            updated.pop(key, None)
            updated[key] = accuracy
            while len(updated) > MAX_SCORES:
                updated.pop(next(iter(updated)))
            folder.write_json(SCORES_FILE, updated)
    return accuracy


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def csv_text(ranked: list[Entry]) -> str:
    """The leaderboard as CSV, one run a row; no cell a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for entry in ranked:
        writer.writerow(
            _cell(value)
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
