"""Bounds on the training choices a user, or an operator, may make; checked without TensorFlow.

A run of months, or one batch of a billion rows (allocated up front), is a typo, not an
experiment.
"""

from mnist_app import settings
from mnist_app.errors import UserError

MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 65_536
# The batch sizes the pages that train offer (the lab's is 32); any up to the cap is allowed.
BATCH_SIZES = [16, 32, 64, 128, 256, 512]


def check_epochs_and_batch_size(epochs: int, batch_size: int) -> None:
    """Raise UserError with a message fit for the user if either is out of range."""
    if not 1 <= epochs <= MAX_EPOCHS:
        raise UserError(f"epochs must lie in 1..{MAX_EPOCHS:,}, not {epochs}")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise UserError(f"batch size must lie in 1..{MAX_BATCH_SIZE:,}, not {batch_size}")


# The networks `architectures.ARCHITECTURES` builds, named here so a choice is checked without Keras.
ARCHITECTURE_NAMES = ("mlp", "cnn")


def check_architecture_name(arch: str) -> None:
    """Raise UserError unless `arch` names a network the app builds."""
    if arch not in ARCHITECTURE_NAMES:
        raise UserError(f"unknown architecture {arch!r}: use one of {', '.join(ARCHITECTURE_NAMES)}")


def check_training_choices(arch: str, epochs: int, batch_size: int, learning_rate: float) -> None:
    """Every choice a training run takes, checked before TensorFlow is imported."""
    check_architecture_name(arch)
    check_epochs_and_batch_size(epochs, batch_size)
    if not 0 < learning_rate <= 1:
        raise UserError(f"learning rate must lie in (0, 1], not {learning_rate}")


def check_job_work(epochs: int, training_images: int) -> None:
    """Refuse a job of the app's that would hold the trainer too long: epochs times images.

    The bound (`settings.max_images_per_job`: by default fifty epochs of full MNIST, five times
    the lab's run) is on a job's share of the trainer, which others queue for; the command
    line, run by the machine's own user, is not held to it.
    """
    limit = settings.max_images_per_job()
    if epochs * training_images <= limit:
        return
    most = limit // max(1, training_images)
    advice = f"choose at most {most:,} epoch{'s' * (most > 1)}" if most else "choose a smaller dataset"
    raise UserError(
        f"{epochs:,} epochs of {training_images:,} training images is {epochs * training_images:,} images "
        f"to train on, and this server lets one job take {limit:,}: {advice}"
    )
