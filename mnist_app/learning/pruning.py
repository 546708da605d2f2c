"""Keeping the models folder within bounds without taking a model from a visitor still here.

Every training job of the app saves a model, so a busy server would fill its disk. After
each save, the app's own models beyond two bounds go, oldest first: each visitor's share
(on a shared server) and the whole folder's cap. A visitor's models are theirs while they
are connected: pruning takes the models of visitors who have left, then the saver's own,
never another present visitor's. Models saved by the command line, and the shipped default,
never count and are never deleted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from mnist_app import settings
from mnist_app.learning.model_files import ModelError
from mnist_app.learning.model_store import DEFAULT_MODEL_NAME, ModelStore, SavedModel


def models_per_visitor() -> int:
    """How many models one visitor keeps: their share on a shared server; elsewhere, the cap."""
    return settings.models_per_visitor() if settings.shared() else settings.max_models()


def _owner(model: SavedModel) -> str:
    return model.metadata.get("owner", "")


def doomed(
    models: list[SavedModel],
    keep: str,
    owner: str,
    owner_active: Callable[[str], bool],
    limit: int,
    share: int,
) -> list[SavedModel]:
    """Which of `models` go once `owner` has saved `keep`: the policy, without touching a file.

    First the saver's own oldest beyond their share; then, while the app's models pass the
    cap, those of visitors who have left, then the saver's own, oldest first. If only present
    visitors' models are left, the folder holds more than the cap until they leave (each of
    them within their share).
    """
    counted = sorted(
        (
            model
            for model in models
            if not model.error
            and model.metadata.get("saved_by") == "app"
            and model.name not in (keep, DEFAULT_MODEL_NAME)
        ),
        key=lambda model: (model.metadata.get("created", ""), model.name),
    )
    own = [model for model in counted if _owner(model) == owner]
    going = own[: max(0, len(own) + 1 - share)]
    left = [model for model in counted if model not in going]
    excess = len(left) + 1 - limit
    if excess > 0:
        present = {who: owner_active(who) for who in {_owner(model) for model in left}}
        departed = [model for model in left if not present[_owner(model)]]
        own_present = [model for model in left if _owner(model) == owner and present[owner]]
        going += (departed + own_present)[:excess]
    return going


def prune(
    store: ModelStore,
    keep: str,
    owner: str,
    owner_active: Callable[[str], bool],
    limit: int | None = None,
    share: int | None = None,
) -> list[str]:
    """Delete the app's models that `doomed` names after `owner` saved `keep`; the names deleted."""
    going = doomed(
        store.list(),
        keep,
        owner,
        owner_active,
        settings.max_models() if limit is None else limit,
        models_per_visitor() if share is None else share,
    )
    deleted = []
    for model in going:
        with contextlib.suppress(ModelError):
            store.delete(model.name)
            deleted.append(model.name)
    return deleted
