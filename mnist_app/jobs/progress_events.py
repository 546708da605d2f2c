"""A training job's progress as plain data, for a job that trains in another process.

A Ray worker and a trainer process both send their progress to the server this way: plain
tuples and dicts that unpickle without TensorFlow's modules, the weights' snapshots as a
saved model's description keeps them.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # The server side of a queue must not wait for TensorFlow.
    from mnist_app.learning.training import Progress


def as_event(progress: Progress) -> dict:
    from mnist_app.learning.weight_history import as_description

    return {
        "steps_done": progress.steps_done,
        "total_steps": progress.total_steps,
        "epoch": progress.epoch,
        "epochs": progress.epochs,
        "points": [astuple(point) for point in progress.points],
        "weights": as_description(list(progress.weights)),
    }


def from_event(event: dict) -> Progress:
    from mnist_app.learning.curves import CurvePoint
    from mnist_app.learning.training import Progress
    from mnist_app.learning.weight_history import from_description

    points = tuple(CurvePoint(*point) for point in event["points"])
    weights = tuple(from_description(event.get("weights")) or ())
    return Progress(
        event["steps_done"], event["total_steps"], event["epoch"], event["epochs"], points, weights
    )
