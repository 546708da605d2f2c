"""Bounds on the training choices a user, or an operator, may make; checked without TensorFlow.

A run of months, or one batch of a billion rows (allocated up front), is a typo, not an
experiment.
"""

import numbers

from mnist_app import settings
from mnist_app.datasets.subsets import MAX_LABEL_NOISE
from mnist_app.errors import UserError
from mnist_app.learning.design_plan import Plan, plan
from mnist_app.learning.designs import KIND_TITLES, DesignError, Layer

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
# A network designed on Build (or with `train --layers`): its layers say what it is.
BUILT = "built"
# Each optimizer a run may use, by its name in a link or on the command line, with its title.
OPTIMIZER_TITLES = {"adam": "Adam", "sgd": "SGD with momentum", "rmsprop": "RMSprop"}
OPTIMIZERS = tuple(OPTIMIZER_TITLES)
MAX_SEED = 2**31 - 1


def check_architecture_name(arch: str) -> None:
    """Raise UserError unless `arch` names a network the app builds."""
    if arch not in ARCHITECTURE_NAMES:
        raise UserError(f"unknown architecture {arch!r}: use one of {', '.join(ARCHITECTURE_NAMES)}")


def check_design(layers: tuple[Layer, ...]) -> Plan:
    """The design's plan, or DesignError with its first mistake, at the layer that makes it."""
    planned = plan(layers)
    if not planned.ok:
        first = planned.problems[0]
        if first.position is None:
            raise DesignError(first.message)
        kind = KIND_TITLES[layers[first.position - 1].kind]
        raise DesignError(f"layer {first.position} ({kind}): {first.message}")
    return planned


def check_training_choices(
    arch: str,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    *,
    layers: tuple[Layer, ...] = (),
    optimizer: str = "adam",
    train_size: int = 0,
    label_noise: float = 0.0,
    seed: int = 0,
) -> None:
    """Every choice a training run takes, checked before TensorFlow is imported."""
    if arch == BUILT:
        check_design(layers)
    else:
        check_architecture_name(arch)
        if layers:
            raise UserError(f"a layer list designs a network of its own; {arch} has its layers already")
    check_epochs_and_batch_size(epochs, batch_size)
    if not 0 < learning_rate <= 1:
        raise UserError(f"learning rate must lie in (0, 1], not {learning_rate}")
    if optimizer not in OPTIMIZERS:
        raise UserError(f"unknown optimizer {str(optimizer)[:40]!r}: use one of {', '.join(OPTIMIZERS)}")
    if not _whole(train_size) or train_size < 0:
        raise UserError(f"training-set size must be a whole number of images, 0 for all, not {train_size}")
    if not _number(label_noise) or not 0 <= label_noise <= MAX_LABEL_NOISE:
        raise UserError(
            f"label noise must be a fraction in 0..{MAX_LABEL_NOISE:g} of the labels, not {label_noise}"
        )
    if not _whole(seed) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"seed must be a whole number in 0..{MAX_SEED:,}, not {seed}")


def _whole(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_train_size(train_size: int, available: int) -> int:
    """How many training images a run learns from (`train_size`, 0 for all `available`)."""
    if train_size > available:
        raise UserError(f"the dataset has {available:,} training images; cannot train on {train_size:,}")
    return train_size or available


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
