"""What a learner chooses before training: the network, how it learns, and from what data.

No TensorFlow here: the command line and the pages check every choice, and name the network,
before Keras loads; a cluster's server passes the choices on without loading it at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnist_app.learning.designs import CONV, PRESETS, Layer, design_name
from mnist_app.learning.limits import BUILT, check_train_size, check_training_choices

# The two networks of the app's own, as Build writes them: what their saved descriptions list.
PRESET_DESIGNS = {"mlp": PRESETS["The lab's MLP"], "cnn": PRESETS["The app's CNN"]}


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
        return tuple(self.layers) if self.arch == BUILT else PRESET_DESIGNS.get(self.arch, ())

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
