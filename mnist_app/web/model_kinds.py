"""Which kind of network a saved model is, and which model to show beside the one in use:
Draw and Trust pick the same way, so a learner sees a dense network beside a convolutional one
on both pages.
"""

from __future__ import annotations

from mnist_app.learning.designs import CONV, DesignError
from mnist_app.learning.model_store import SavedModel
from mnist_app.learning.recipes import recipe

NO_SECOND = ""
CNN, MLP = "CNN", "MLP"


def network_kind(saved: SavedModel, model=None) -> str | None:
    """CNN for a network that convolves, MLP for one that does not; None where its layers are
    unknown (a file from elsewhere, judged from its description alone)."""
    try:
        layers = recipe(saved.metadata, model).layers
    except DesignError:
        return None
    return CNN if any(layer.kind == CONV for layer in layers) else MLP


def default_second(kind: str | None, others: list[SavedModel], kinds: dict[str, str | None]) -> str:
    """The newest model of the other kind than the one in use; else the newest other; else none."""
    if not others:
        return NO_SECOND
    other_kind = [m.name for m in others if kind and kinds[m.name] and kinds[m.name] != kind]
    return (other_kind or [m.name for m in others])[0]
