"""The two classifiers a learner compares: the lab's dense network and a small convnet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mnist_app.datasets.digit_arrays import IMAGE_SIZE, NUM_CLASSES
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.augment import Augmentation
from mnist_app.learning.design_plan import OUTPUT_NAME, plan
from mnist_app.learning.designs import DesignError, Layer
from mnist_app.learning.limits import check_architecture_name
from mnist_app.learning.optimizers import OnePassAdam

tensorflow_runtime.prepare()

import keras  # noqa: E402
from keras import layers  # noqa: E402

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


def build_cnn(dtype: str | None = None) -> keras.Sequential:
    """Two double-conv blocks and a dense head, after keras-io's MNIST convnets.

    It learns on digits turned, shifted and zoomed at random (`CNN_AUGMENTATION`, applied by
    the trainer to each batch): that makes up for small datasets (98-99% on the sample's 1,000
    held-out digits, against 97% without) and for digits drawn off-centre or slanted on the
    canvas. `dtype` is a Keras dtype policy for its layers ("mixed_bfloat16" to train fast
    where the CPU has bfloat16); the probabilities always come out in float32.
    """

    def conv(filters: int) -> layers.Conv2D:
        return layers.Conv2D(filters, kernel_size=3, activation="relu", dtype=dtype)

    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1), dtype=dtype),
            conv(32),
            conv(32),
            layers.MaxPooling2D(pool_size=2, dtype=dtype),
            conv(64),
            conv(64),
            layers.MaxPooling2D(pool_size=2, dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dropout(0.4, dtype=dtype),
            layers.Dense(128, activation="relu", dtype=dtype),
            layers.Dropout(0.4, dtype=dtype),
            layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32"),
        ],
        name="cnn",
    )


# As Keras' RandomRotation(0.04), RandomTranslation(0.08, 0.08) and RandomZoom(0.08) would.
CNN_AUGMENTATION = Augmentation(rotation=0.04, translation=0.08, zoom=0.08)
MIXED_BFLOAT16 = "mixed_bfloat16"


@dataclass(frozen=True)
class Architecture:
    """A network the learner can train, and how to run it fast on a CPU."""

    title: str
    build: Callable[..., keras.Sequential]
    xla: bool
    max_steps_per_call: int
    augmentation: Augmentation | None = None
    # Whether its training steps may compute in bfloat16 where the CPU has it (`precision`).
    bfloat16: bool = False


ARCHITECTURES = {
    # One MLP step is under a millisecond: run many per call into TensorFlow, fused by XLA.
    # bfloat16 made its small matmuls no faster.
    "mlp": Architecture("MLP, the lab's network", build_mlp, xla=True, max_steps_per_call=256),
    # A CNN step takes milliseconds, so a few per call already hide the overhead and keep the
    # curves and the Stop button quick. XLA's CPU convolutions were 50x slower than oneDNN's.
    "cnn": Architecture(
        "CNN, four conv layers",
        build_cnn,
        xla=False,
        max_steps_per_call=16,
        augmentation=CNN_AUGMENTATION,
        bfloat16=True,
    ),
}


def check_architecture(arch: str) -> Architecture:
    check_architecture_name(arch)
    return ARCHITECTURES[arch]


def build_model(arch: str, learning_rate: float = 1e-3, *, bfloat16: bool = False) -> keras.Sequential:
    """A compiled model of the given architecture, as the lab compiles it (adam, cross-entropy).

    The MLP's steps are fused by XLA (`training.StepLoop` runs many per call), its Adam
    written for XLA to fuse (`OnePassAdam`): the same math, far less overhead per batch of 32.
    `bfloat16` builds it to compute in bfloat16 where its architecture allows.
    """
    architecture = check_architecture(arch)
    if bfloat16 and architecture.bfloat16:
        model = architecture.build(dtype=MIXED_BFLOAT16)
    else:
        model = architecture.build()
    return compile_model(model, arch, learning_rate)


def float32_copy(model: keras.Model, arch: str, learning_rate: float) -> keras.Model:
    """The same weights, and optimizer state, in a float32 model of `arch`: what is saved,
    loaded and explained, whatever the training steps computed in."""
    copy = compile_model(check_architecture(arch).build(), arch, learning_rate)
    copy.set_weights(model.get_weights())
    copy.optimizer.build(copy.trainable_variables)
    for mine, trained in zip(copy.optimizer.variables, model.optimizer.variables, strict=True):
        mine.assign(trained)
    return copy


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


def build_designed(design: tuple[Layer, ...], dtype: str | None = None) -> keras.Sequential:
    """The network a learner designed on Build, from the same calls its Keras code shows.

    `dtype` as for `build_cnn`; the output's probabilities always come out in float32.
    """
    planned = plan(design)
    if not planned.ok:
        first = planned.problems[0]
        where = f"layer {first.position}: " if first.position else ""
        raise DesignError(f"{where}{first.message}")
    built = []
    for row in planned.rows:
        layer_dtype = "float32" if row.name == OUTPUT_NAME else dtype
        options = {**row.call.kwargs, **({"dtype": layer_dtype} if layer_dtype else {})}
        built.append(getattr(layers, row.call.layer)(*row.call.args, **options))
    return keras.Sequential([keras.Input(shape=INPUT_SHAPE), *built], name="built")
