"""Bounds on the training choices a user, or an operator, may make; checked without TensorFlow.

A run of months, or one batch of a billion rows (allocated up front), is a typo, not an
experiment.
"""

import os

from mnist_app.errors import UserError

MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 65_536


def count_setting(name: str) -> int:
    """A count an operator sets in the environment: at least 1; unset or not a number means 1."""
    try:
        return max(1, int(os.environ.get(name, "1")))
    except ValueError:
        return 1


def check_epochs_and_batch_size(epochs: int, batch_size: int) -> None:
    """Raise UserError with a message fit for the user if either is out of range."""
    if not 1 <= epochs <= MAX_EPOCHS:
        raise UserError(f"epochs must lie in 1..{MAX_EPOCHS:,}, not {epochs}")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise UserError(f"batch size must lie in 1..{MAX_BATCH_SIZE:,}, not {batch_size}")
