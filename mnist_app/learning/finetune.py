"""Teaching a model the learner's handwriting without making it forget MNIST.

Fine-tuning on a few dozen of one person's digits alone would pull the model towards them
and away from everything else it read ("catastrophic forgetting"). So the training set
mixes the learner's digits, repeated, with digits replayed from a dataset the model already
knows: about a third theirs, two thirds replayed. Validation is on the learner's own test
split, the figure that should rise; the replayed dataset's test split shows what was kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import Dataset
from mnist_app.errors import UserError
from mnist_app.learning.designs import DesignError, Layer, from_dicts
from mnist_app.learning.limits import ARCHITECTURE_NAMES, BUILT

# A third of the usual step: it nudges what the model knows rather than overwriting it
# (on the CNN, 1e-3 for two epochs cost it a point of MNIST accuracy; 3e-4 kept it).
LEARNING_RATE = 3e-4
REPLAY_PER_OWN = 4
# With 1,000 replayed digits the sample's test accuracy moved by -1.3 to +1.1 points over five
# fresh base models (an MLP, 2 epochs); with 3,000 it rose by 1.2 to 2.0 points every time.
MIN_REPLAY = 3_000
OWN_SHARE = 1 / 3


def base_network(metadata: dict, name: str) -> tuple[str, tuple[Layer, ...]]:
    """A saved model's network, to fine-tune: its architecture and, if designed, its layers.

    A designed network ("built") is rebuilt from the layer list its description keeps, so its
    weights fit; a model the app did not train is refused.
    """
    arch = metadata.get("arch", "")
    if arch in ARCHITECTURE_NAMES:
        return arch, ()
    if arch != BUILT:
        raise UserError(
            f"{name} was not trained by this app (mlp, cnn or one built on Build); use one that was"
        )
    try:
        return arch, from_dicts(metadata.get("layers"))
    except DesignError as error:
        raise UserError(f"{name} describes its layers wrongly: {error}") from None


def mixed(own: Dataset, replay: Dataset, seed: int = 0) -> Dataset:
    """The learner's training digits, repeated, among replayed ones; tested on their own test split."""
    if len(own.y_train) == 0:
        raise UserError(
            f"{own.name} has no training digits yet: save some more (of each label's digits the second, then one in five, is kept for testing)"
        )
    if len(own.y_test) == 0:
        raise UserError(
            f"{own.name} has no test digits yet: save a second digit of a label (of each label's digits the second, then one in five, is kept for testing)"
        )
    if list(own.class_names) != list(replay.class_names):
        raise UserError(f"{replay.name} has other classes than {own.name}; replay a dataset of digits")
    rng = np.random.default_rng(seed)
    count = min(len(replay.y_train), max(MIN_REPLAY, REPLAY_PER_OWN * len(own.y_train)))
    replayed = rng.choice(len(replay.y_train), size=count, replace=False)
    repeats = max(1, round(count * OWN_SHARE / (1 - OWN_SHARE) / len(own.y_train)))
    x_train = np.concatenate([np.repeat(own.x_train, repeats, axis=0), replay.x_train[replayed]])
    y_train = np.concatenate([np.repeat(own.y_train, repeats), replay.y_train[replayed]])
    return Dataset(
        f"{own.name}+{replay.name}",
        f"{len(own.y_train):,} of your digits (each {repeats} times) among {count:,} replayed from {replay.name}",
        x_train,
        y_train,
        own.x_test,
        own.y_test,
        own.class_names,
    )


@dataclass(frozen=True)
class BeforeAfter:
    """Accuracy on the learner's test digits and on the replayed test split, before and after."""

    own_before: float
    own_after: float
    replay_before: float
    replay_after: float

    def rows(self, own_name: str, replay_name: str) -> list[dict]:
        return [
            {"test split": own_name, "before": self.own_before, "after": self.own_after},
            {"test split": replay_name, "before": self.replay_before, "after": self.replay_after},
        ]


def before_and_after(base, tuned, own: Dataset, replay: Dataset) -> BeforeAfter:
    from mnist_app.learning.evaluation import evaluate

    def accuracy(model, data: Dataset) -> float:
        return evaluate(model, data.x_test, data.y_test).accuracy

    return BeforeAfter(
        accuracy(base, own), accuracy(tuned, own), accuracy(base, replay), accuracy(tuned, replay)
    )


# Below this many test digits, one digit read right or wrong moves a figure by 5 points or more.
ENOUGH_TEST_DIGITS = 20


def too_few(own: Dataset) -> str:
    """Why a figure on the learner's own test digits says little, in a sentence; "" when it has enough.

    With two test digits a before/after can only read 0%, 50% or 100%, and says nothing about a
    label that has no test digit at all.
    """
    tested = np.bincount(own.y_test, minlength=len(own.class_names))
    trained = np.bincount(own.y_train, minlength=len(own.class_names))
    untested = [own.class_names[label] for label in np.flatnonzero((trained > 0) & (tested == 0))]
    sentences = []
    if 0 < len(own.y_test) < ENOUGH_TEST_DIGITS:
        step = 100 / len(own.y_test)
        sentences.append(
            f"These figures rest on {len(own.y_test)} test digit{'s' * (len(own.y_test) > 1)}: one "
            f"digit read right or wrong moves them by {step:.0f} points, so a change smaller than "
            "that means nothing."
        )
    if untested:
        sentences.append(f"No test digit shows a {', '.join(untested)} yet: save another of each.")
    if sentences:
        sentences.append(f"Save about {ENOUGH_TEST_DIGITS // 2} digits of each label for figures to trust.")
    return " ".join(sentences)
