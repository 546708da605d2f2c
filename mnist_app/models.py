"""The two classifiers a learner compares: the lab's dense network and a small convnet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

from mnist_app.data import IMAGE_SIZE, NUM_CLASSES
from mnist_app.errors import UserError
from mnist_app.optimizers import OnePassAdam

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE)


def build_mlp() -> keras.Sequential:
    """The lab's network: flatten, Dense(784, relu), Dense(100, relu), Dense(10, softmax)."""
    num_pixels = IMAGE_SIZE * IMAGE_SIZE
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(num_pixels, activation="relu"),
            layers.Dense(100, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mlp",
    )


def build_cnn() -> keras.Sequential:
    """Two double-conv blocks and a dense head, after keras-io's MNIST convnets.

    The random shifts, turns and zooms act only while training: they make up for small
    datasets (98-99% on the sample's 1,000 held-out digits, against 97% without) and for digits
    drawn off-centre or slanted on the canvas.
    """
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1)),
            layers.RandomRotation(0.04),
            layers.RandomTranslation(0.08, 0.08),
            layers.RandomZoom(0.08),
            layers.Conv2D(32, kernel_size=3, activation="relu"),
            layers.Conv2D(32, kernel_size=3, activation="relu"),
            layers.MaxPooling2D(pool_size=2),
            layers.Conv2D(64, kernel_size=3, activation="relu"),
            layers.Conv2D(64, kernel_size=3, activation="relu"),
            layers.MaxPooling2D(pool_size=2),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="cnn",
    )


@dataclass(frozen=True)
class Architecture:
    """A network the learner can train, and how to run it fast on a CPU."""

    title: str
    build: Callable[[], keras.Sequential]
    xla: bool
    max_steps_per_call: int


ARCHITECTURES = {
    # One MLP step is under a millisecond: run many per call into TensorFlow, fused by XLA.
    "mlp": Architecture("MLP, the lab's network", build_mlp, xla=True, max_steps_per_call=256),
    # A CNN step takes tens of ms, so a few per call already hide the overhead and keep the
    # curves and the Stop button quick; its random augmentation layers do not compile with XLA.
    "cnn": Architecture("CNN, four conv layers", build_cnn, xla=False, max_steps_per_call=8),
}


def check_architecture(arch: str) -> Architecture:
    if arch not in ARCHITECTURES:
        raise UserError(f"unknown architecture {arch!r}: use one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch]


def build_model(arch: str, learning_rate: float = 1e-3) -> keras.Sequential:
    """A compiled model of the given architecture, as the lab compiles it (adam, cross-entropy).

    The MLP's steps are fused by XLA (`training.StepLoop` runs many per call), its Adam
    written for XLA to fuse (`OnePassAdam`): the same math, far less overhead per batch of 32.
    """
    return compile_model(check_architecture(arch).build(), arch, learning_rate)


def compile_model(model: keras.Model, arch: str, learning_rate: float = 1e-3) -> keras.Model:
    """Compile a model of `arch` for training, as `build_model` does: a fresh optimizer."""
    architecture = check_architecture(arch)
    adam = OnePassAdam if architecture.xla else keras.optimizers.Adam
    model.compile(
        optimizer=adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=architecture.xla,
    )
    return model
