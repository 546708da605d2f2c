"""What a learner chooses before training: the network, how it learns, and from what data.

No TensorFlow here: the command line and the pages check every choice, and name the network,
before Keras loads; a cluster's server passes the choices on without loading it at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.subsets import MAX_LABEL_NOISE
from mnist_app.learning.designs import CONV, PRESET_OF_ARCH, Layer, design_name
from mnist_app.learning.epoch_estimate import FULL_MNIST_TEST, FULL_MNIST_TRAIN
from mnist_app.learning.limits import BUILT, OPTIMIZER_TITLES, check_train_size, check_training_choices

# What the pages offer for each choice (a run from the command line may choose any value the
# limits allow): the learning rates, in steps of about 3x.
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
# Training images to learn from: a handful to over-fit, up to every one (0).
TRAIN_SIZES = (100, 300, 1_000, 3_000, 0)
# The fraction of training labels replaced by a wrong one, in steps of 5%.
LABEL_NOISES = tuple(step / 20 for step in range(round(MAX_LABEL_NOISE * 20) + 1))
EPOCHS_RANGE = (1, 200)
SEED_RANGE = (0, 999_999)
# Each choice in a learner's words: a picker's label, a refusal's subject.
CHOICE_TITLES = {
    "optimizer": "the optimizer",
    "learning_rate": "the learning rate",
    "batch_size": "the batch size",
    "epochs": "the number of epochs",
    "augment": "augmentation",
    "train_size": "the number of training images",
    "label_noise": "the share of wrong labels",
    "seed": "the seed",
}


@dataclass(frozen=True)
class TrainConfig:
    """What the learner chooses before pressing "Start training"."""

    arch: str = "mlp"  # "mlp", "cnn", or "built": the network `layers` designs
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    # A saved model to start from (fine-tuning), read afresh by the job; "" for new weights.
    base: str = ""
    layers: tuple[Layer, ...] = ()
    optimizer: str = "adam"  # "adam", "sgd" (with momentum 0.9) or "rmsprop"
    # Digits turned, shifted and zoomed at random while training; None: the network's default
    # (on for the app's CNN, off for the others).
    augment: bool | None = None
    # How many training images to learn from (0: all), drawn with `seed`.
    train_size: int = 0
    # The fraction of those images whose label is replaced by another, drawn with `seed`.
    label_noise: float = 0.0
    seed: int = 0

    def validate(self) -> None:
        """Raise UserError with a message fit for the user if a choice is out of range."""
        check_training_choices(
            self.arch,
            self.epochs,
            self.batch_size,
            self.learning_rate,
            layers=self.layers,
            optimizer=self.optimizer,
            train_size=self.train_size,
            label_noise=self.label_noise,
            seed=self.seed,
        )

    @property
    def design(self) -> tuple[Layer, ...]:
        """The network's layers as Build writes them, a preset's included."""
        return tuple(self.layers) if self.arch == BUILT else PRESET_OF_ARCH.get(self.arch, ())

    @property
    def network_name(self) -> str:
        """The network in a model's name and a progress line: mlp, cnn, lenet-5, my-network."""
        return design_name(self.layers) if self.arch == BUILT else self.arch

    @property
    def convolutional(self) -> bool:
        """Whether the network convolves: what a GPU speeds up."""
        return any(layer.kind == CONV for layer in self.design)

    def training_images(self, available: int) -> int:
        """How many training images the run learns from, out of `available`; UserError if too many."""
        return check_train_size(self.train_size, available)


def value_text(name: str, value) -> str:
    """A choice's value on its own, as a picker shows it: "0.003", "1,000", "all", "20%", "Adam"."""
    if name == "train_size":
        return f"{value:,}" if value else "all"
    if name == "label_noise":
        return f"{value:.0%}"
    if name == "optimizer":
        return OPTIMIZER_TITLES[value]
    if name == "augment":
        return "on" if value else "off"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def split_sizes(data: Dataset | None) -> tuple[int, int]:
    """How many training and test images `data` has; full MNIST's before a dataset is chosen."""
    return (FULL_MNIST_TRAIN, FULL_MNIST_TEST) if data is None else (len(data.y_train), len(data.y_test))


def train_sizes(available: int) -> tuple[int, ...]:
    """The training-set sizes worth offering on a dataset of `available` training images: those
    it has more than, then all of them (a size it lacks would only train on all, mislabelled)."""
    return (*(size for size in TRAIN_SIZES if 0 < size < available), 0)


@dataclass(frozen=True)
class Choices:
    """How Build trains a design: the learner's choices beside the layers, as its widgets and
    its links hold them (a `TrainConfig` without the network)."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 32
    epochs: int = 10
    augment: bool = False
    train_size: int = 0  # 0: every training image
    label_noise: float = 0.0
    seed: int = 0

    def config(self, layers: tuple[Layer, ...] | list[Layer]) -> TrainConfig:
        """The training run of this design with these choices."""
        return TrainConfig(BUILT, layers=tuple(layers), **asdict(self))

    @classmethod
    def of(cls, config: TrainConfig) -> Choices:
        """The choices a training run was made with: `config`'s inverse."""
        taken = {field.name: getattr(config, field.name) for field in fields(cls)}
        return cls(**{**taken, "augment": bool(config.augment)})

    def fitted(self, available: int) -> Choices:
        """These choices as the pages offer them on a dataset of `available` training images:
        epochs and seed within their ranges, a training-set size it lacks as all of them."""
        low, high = EPOCHS_RANGE
        epochs = min(max(int(self.epochs), low), high)
        low, high = SEED_RANGE
        seed = min(max(int(self.seed), low), high)
        train_size = self.train_size if self.train_size in train_sizes(available) else 0
        return replace(self, epochs=epochs, seed=seed, train_size=train_size)

    def images(self, data: Dataset | None) -> tuple[int, int]:
        """The training and test images an epoch of these choices reads on `data`."""
        train, test = split_sizes(data)
        return min(self.train_size or train, train), test
