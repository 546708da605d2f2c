"""The networks a learner trains: the lab's dense network, a small convnet, and any designed
on Build; each with how to train it fast on a CPU."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.errors import UserError
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.augment import Augmentation
from mnist_app.learning.design_plan import OUTPUT_NAME, plan
from mnist_app.learning.designs import PRESETS, Layer, design_name
from mnist_app.learning.limits import BUILT, OPTIMIZERS, check_architecture_name, check_design
from mnist_app.learning.optimizers import OnePassAdam

tensorflow_runtime.prepare()

import keras  # noqa: E402
from keras import layers  # noqa: E402

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE)


def build_mlp() -> keras.Sequential:
    """The lab's network: flatten, Dense(784, relu), Dense(100, relu), Dense(10, softmax),
    its layers named in words ("dense1_784_units_relu"), as Build names them."""
    return build_designed(PRESETS["The lab's MLP"], name="mlp")


def build_cnn(dtype: str | None = None) -> keras.Sequential:
    """Two double-conv blocks and a dense head, after keras-io's MNIST convnets (Build's
    "The app's CNN", its layers named in words).

    It learns on digits turned, shifted and zoomed at random (`CNN_AUGMENTATION`, applied by
    the trainer to each batch): that makes up for small datasets (98-99% on the sample's 1,000
    held-out digits, against 97% without) and for digits drawn off-centre or slanted on the
    canvas. `dtype` is a Keras dtype policy for its layers ("mixed_bfloat16" to train fast
    where the CPU has bfloat16); the probabilities always come out in float32.
    """
    return build_designed(PRESETS["The app's CNN"], dtype, name="cnn")


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
    "mlp": Architecture("The lab's MLP", build_mlp, xla=True, max_steps_per_call=256),
    # A CNN step takes milliseconds, so a few per call already hide the overhead and keep the
    # curves and the Stop button quick. XLA's CPU convolutions were 50x slower than oneDNN's.
    "cnn": Architecture(
        "The app's CNN",
        build_cnn,
        xla=False,
        max_steps_per_call=16,
        augmentation=CNN_AUGMENTATION,
        bfloat16=True,
    ),
}
# A designed network whose steps cost this many multiply-adds, or fewer, runs the MLP's 256
# steps a call; a costlier one fewer, so that Stop and the curves answer as quickly.
_XLA_CALL_WORK = 256 * plan(PRESETS["The lab's MLP"]).multiply_adds


def check_architecture(arch: str) -> Architecture:
    check_architecture_name(arch)
    return ARCHITECTURES[arch]


def architecture_for(arch: str, layers: tuple[Layer, ...] = (), augment: bool | None = None) -> Architecture:
    """How to build and train a network fast, chosen from what its layers compute, not its name.

    A designed network ("built") of dense layers only trains as the MLP does (XLA, many steps a
    call); one that convolves or pools as the CNN does (oneDNN, bfloat16 where the CPU has it
    and it convolves). `augment` None keeps the network's own default (the CNN's on). An
    augmented network is never fused by XLA: XLA on a CPU cannot compile the random turns'
    image warp (`ImageProjectiveTransformV3`).
    """
    architecture = _designed(layers) if arch == BUILT else check_architecture(arch)
    if augment is not None:
        architecture = replace(architecture, augmentation=CNN_AUGMENTATION if augment else None)
    if architecture.augmentation is not None and architecture.xla:
        architecture = replace(architecture, xla=False, max_steps_per_call=16)
    return architecture


def _designed(design: tuple[Layer, ...]) -> Architecture:
    planned = check_design(design)
    title, build = design_name(design), functools.partial(build_designed, tuple(design))
    if not planned.fused:
        return Architecture(title, build, xla=False, max_steps_per_call=16, bfloat16=planned.convolutional)
    steps = max(16, min(256, _XLA_CALL_WORK // max(1, planned.multiply_adds)))
    return Architecture(title, build, xla=True, max_steps_per_call=steps)


def _architecture(arch: str | Architecture) -> Architecture:
    return arch if isinstance(arch, Architecture) else check_architecture(arch)


def build_model(
    arch: str | Architecture,
    learning_rate: float = 1e-3,
    *,
    bfloat16: bool = False,
    optimizer: str = "adam",
) -> keras.Sequential:
    """A compiled model of the given architecture, as the lab compiles it (adam, cross-entropy).

    The MLP's steps are fused by XLA (`training.StepLoop` runs many per call), its Adam
    written for XLA to fuse (`OnePassAdam`): the same math, far less overhead per batch of 32.
    `bfloat16` builds it to compute in bfloat16 where its architecture allows.
    """
    architecture = _architecture(arch)
    if bfloat16 and architecture.bfloat16:
        model = architecture.build(dtype=MIXED_BFLOAT16)
    else:
        model = architecture.build()
    return compile_model(model, architecture, learning_rate, optimizer)


def float32_copy(
    model: keras.Model, arch: str | Architecture, learning_rate: float, optimizer: str = "adam"
) -> keras.Model:
    """The same weights, and optimizer state, in a float32 model of `arch`: what is saved,
    loaded and explained, whatever the training steps computed in."""
    architecture = _architecture(arch)
    copy = compile_model(architecture.build(), architecture, learning_rate, optimizer)
    copy.set_weights(model.get_weights())
    copy.optimizer.build(copy.trainable_variables)
    for mine, trained in zip(copy.optimizer.variables, model.optimizer.variables, strict=True):
        mine.assign(trained)
    return copy


def compile_model(
    model: keras.Model, arch: str | Architecture, learning_rate: float = 1e-3, optimizer: str = "adam"
) -> keras.Model:
    """Compile a model of `arch` for training, as `build_model` does: a fresh optimizer."""
    architecture = _architecture(arch)
    model.compile(
        optimizer=new_optimizer(optimizer, learning_rate, xla=architecture.xla),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=architecture.xla,
    )
    return model


def new_optimizer(name: str, learning_rate: float, *, xla: bool) -> keras.optimizers.Optimizer:
    """Adam (as the lab; written for XLA to fuse where XLA runs), SGD with momentum, or RMSprop."""
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=learning_rate)
    if name != "adam":
        raise UserError(f"unknown optimizer {name[:40]!r}: use one of {', '.join(OPTIMIZERS)}")
    return (OnePassAdam if xla else keras.optimizers.Adam)(learning_rate=learning_rate)


def build_designed(
    design: tuple[Layer, ...], dtype: str | None = None, name: str = "built"
) -> keras.Sequential:
    """The network a learner designed on Build, from the same calls its Keras code shows.

    `dtype` as for `build_cnn`; the output's probabilities always come out in float32.
    """
    planned = check_design(design)
    built = []
    for row in planned.rows:
        layer_dtype = "float32" if row.name == OUTPUT_NAME else dtype
        options = {**row.call.kwargs, **({"dtype": layer_dtype} if layer_dtype else {})}
        built.append(getattr(layers, row.call.layer)(*row.call.args, **options))
    return keras.Sequential([keras.Input(shape=INPUT_SHAPE), *built], name=name)
