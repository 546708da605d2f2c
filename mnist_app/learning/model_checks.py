"""What a model's configuration asks of the server, counted before Keras builds a weight.

A `.keras` file is a configuration and its weights, and the configuration alone decides how
long building takes, how much memory the weights take and how much work one image takes. A
few kilobytes can describe thousands of layers (minutes to build), or twenty weights that
blow one digit up into hundreds of thousands of numbers (gigabytes for a batch of test
images). Each is bounded here, from the configuration, far above any MNIST network; a network
builder can ask `planned_cost` what a design would cost before it builds it.

What Keras keeps privately and counting reads (its pending variables, a model's layer calls)
is reached through `keras_internals`, which says so by name when a release drops it.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from mnist_app.errors import UserError
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.design_plan import MAX_ACTIVATION, MAX_OPERATIONS, MAX_PARAMETERS
from mnist_app.learning.keras_internals import global_state, layer_calls_by_depth

# An MNIST network has a dozen layers or so (the app's CNN 11, LeNet-5 8); a Keras
# configuration nests about 8 deep, a functional model inside another about 20.
MAX_LAYERS = 200
MAX_NESTING = 40
# Layers that are the identity when a model reads a digit (they act only while training).
IDENTITY_AT_INFERENCE = (
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
)
# The layer kinds whose cost is counted exactly, by kind: any other (attention, a wrapper
# such as TimeDistributed, anything custom) does work its configuration does not show, and
# is refused. Each kind's work is its kernel at every position it applies it (Dense,
# convolutions, recurrent layers per step), its window at every output (pooling), or one
# step per number it reads or makes (the rest), which the activation and layer caps bound.
LOADED_LAYER_KINDS = {
    "input": ("InputLayer",),
    "dense and convolution": (
        "Dense",
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "SeparableConv1D",
        "SeparableConv2D",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
    ),
    "pooling": (
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "AveragePooling1D",
        "AveragePooling2D",
        "AveragePooling3D",
        "GlobalMaxPooling1D",
        "GlobalMaxPooling2D",
        "GlobalMaxPooling3D",
        "GlobalAveragePooling1D",
        "GlobalAveragePooling2D",
        "GlobalAveragePooling3D",
    ),
    "reshaping": (
        "Flatten",
        "Reshape",
        "Permute",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
        "UpSampling1D",
        "UpSampling2D",
        "UpSampling3D",
    ),
    "dropout and normalization": (*IDENTITY_AT_INFERENCE, "BatchNormalization", "LayerNormalization"),
    "activation": ("Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU", "Rescaling"),
    "merging": ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"),
    "recurrent": ("SimpleRNN", "LSTM", "GRU", "Bidirectional"),
    "augmentation": (
        "RandomFlip",
        "RandomRotation",
        "RandomTranslation",
        "RandomZoom",
        "RandomContrast",
        "RandomBrightness",
        "RandomCrop",
    ),
}
_RECURRENT = ("SimpleRNN", "LSTM", "GRU")
_LOADED_IN_WORDS = (
    "Dense, convolution, pooling, Flatten, Reshape, padding, cropping, UpSampling, Dropout, "
    "normalization, activation, Rescaling, merging, SimpleRNN, LSTM, GRU, Bidirectional and "
    "Random augmentation layers, in Sequential or functional models"
)


class ConfigurationRefused(UserError):
    """A model configuration that asks too much; the message says what, and the cap."""


@dataclass(frozen=True)
class Cost:
    """What a model's weights take, and what reading one image takes it."""

    parameters: int
    multiply_adds: int
    largest_activation: int
    largest_layer: str
    # Work beside multiply-adds: a pooling window's comparisons or sums at every output.
    window_operations: int = 0


def check_structure(config: object) -> None:
    """Refuse a configuration of too many layers, or nested too deep, without building any.

    Keras builds a Sequential model again after each layer it adds, so building takes time
    that grows with the square of the layer count. A layer called more than once counts once
    per call.
    """
    layers, pending = 0, [(config, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_NESTING:
            raise ConfigurationRefused(
                f"has a configuration nested more than {MAX_NESTING} deep; "
                "a Keras model's nests a dozen or two"
            )
        if isinstance(value, dict):
            for key in ("layers", "inbound_nodes"):
                if isinstance(value.get(key), list):
                    layers += max(len(value[key]) - (key == "inbound_nodes"), 0)
            if layers > MAX_LAYERS:
                raise ConfigurationRefused(
                    f"has more than {MAX_LAYERS} layers in its configuration; models of at most "
                    f"{MAX_LAYERS} are loaded (an MNIST network has a dozen or so)"
                )
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def planned_cost(config: object) -> Cost:
    """The cost of a Keras model configuration (as in a `.keras` file's `config.json`).

    Its structure is checked first; then it is built in a stateless scope, where variables
    are described, not made, and the shapes every layer gives are worked out symbolically.
    """
    if not isinstance(config, dict):
        raise ConfigurationRefused("has a config.json that is not a model's configuration")
    check_structure(config)
    with _dry_built(config) as model:
        return model_cost(model)


def check_cost(cost: Cost) -> None:
    """Refuse a model that would take too much memory or work; the message names what."""
    if cost.parameters > MAX_PARAMETERS:
        raise ConfigurationRefused(
            f"would allocate {cost.parameters:,} weights; models of up to {MAX_PARAMETERS:,} are loaded"
        )
    if cost.largest_activation > MAX_ACTIVATION:
        raise ConfigurationRefused(
            f"would make {cost.largest_activation:,} numbers per image in its layer "
            f"{cost.largest_layer}; models making at most {MAX_ACTIVATION:,} in a layer are loaded "
            "(the app's CNN makes 21,632)"
        )
    if cost.multiply_adds + cost.window_operations > MAX_OPERATIONS:
        windows = f" and {cost.window_operations:,} pooling operations" if cost.window_operations else ""
        raise ConfigurationRefused(
            f"would take {cost.multiply_adds:,} multiply-adds per image{windows}; models of up to "
            f"{MAX_OPERATIONS:,} operations are loaded (the app's CNN takes 9,837,952 multiply-adds)"
        )


@contextlib.contextmanager
def _dry_built(config: dict) -> Iterator:
    """The model built from its configuration without allocating a weight.

    The variables this leaves pending are dropped again afterwards, so no later scope makes them.
    """
    tensorflow_runtime.prepare()
    import keras

    state = global_state()
    pending = list(state.get_global_attribute("uninitialized_variables") or [])
    try:
        with keras.StatelessScope(initialize_variables=False):
            # Loaded without compiling, as `load_model` does: no optimizer to make.
            yield keras.saving.deserialize_keras_object({**config, "compile_config": None}, safe_mode=True)
    finally:
        state.set_global_attribute("uninitialized_variables", pending)


def model_cost(model) -> Cost:
    """The cost of a built model (symbolically built will do): weights, work and memory per image.

    Only layers of the kinds in `LOADED_LAYER_KINDS` are counted, and only tensors of a size
    known before the model runs; any other is refused (ConfigurationRefused, naming it).
    Dense and convolution layers count exactly (a kernel applied at every output position,
    a transposed one at every input position), recurrent ones at every step of their input,
    pooling its window at every output; the rest do a step or so per number they read or
    make, which the layer and activation caps bound.
    """
    tensorflow_runtime.prepare()
    import keras

    if not isinstance(model, keras.Model) or not model.built or not layer_calls_by_depth(model):
        raise ConfigurationRefused("does not say what input it reads; the app needs a model of 28x28 images")
    _check_kind(model)
    multiply_adds, windows, largest, largest_layer = 0, 0, 0, ""
    for node in _calls(model):
        layer = node.operation
        _check_kind(layer)
        for tensor in [*node.input_tensors, *node.output_tensors]:
            _check_sized(layer, tensor)
        for tensor in node.output_tensors:
            numbers = _per_image(tensor.shape[1:])
            if numbers > largest:
                largest, largest_layer = numbers, layer.name
        kernels = sum(math.prod(v.shape) for v in layer.weights if v.name.endswith("kernel"))
        if kernels:
            multiply_adds += kernels * _positions(layer, node)
        windows += _window_operations(layer, node)
    parameters = sum(math.prod(variable.shape) for variable in model.variables)
    return Cost(parameters, multiply_adds, largest, largest_layer, windows)


@functools.cache
def _loaded_classes() -> dict[type, str]:
    """The classes of `LOADED_LAYER_KINDS` this Keras has, each with its kind."""
    import keras

    return {
        getattr(keras.layers, name): kind
        for kind, names in LOADED_LAYER_KINDS.items()
        for name in names
        if hasattr(keras.layers, name)
    }


def _kind_refused(layer, around: str = "") -> ConfigurationRefused:
    return ConfigurationRefused(
        f"has a layer {layer.name} ({type(layer).__name__}{around}), a kind whose work the app cannot "
        f"count before it runs; it loads models of {_LOADED_IN_WORDS}"
    )


def _check_kind(layer) -> None:
    """Refuse a layer whose class is not one whose cost is counted (a subclass of one is not)."""
    import keras

    kind = type(layer)
    if isinstance(layer, keras.Model):
        # A functional model is Keras' own Function and Model both; a subclass of either runs its own code.
        functional = isinstance(layer, keras.Function) and kind.__module__.startswith("keras.")
        if kind is not keras.Sequential and not functional:
            raise _kind_refused(layer)
        return
    if kind not in _loaded_classes():
        raise _kind_refused(layer)
    if kind is keras.layers.Bidirectional:
        recurrent = {getattr(keras.layers, name) for name in _RECURRENT}
        for inner in (layer.forward_layer, layer.backward_layer):
            if type(inner) not in recurrent:
                raise _kind_refused(layer, f" around a {type(inner).__name__}")


def _check_sized(layer, tensor) -> None:
    """Refuse a tensor of a size unknown before the model runs: what it would cost is unknown too."""
    shape = tuple(tensor.shape[1:])
    if any(size is None for size in shape):
        raise ConfigurationRefused(
            f"has a layer {layer.name} ({type(layer).__name__}) whose tensor of shape "
            f"{shape} cannot be sized before it runs; the app loads models whose every layer's "
            "size follows from the 28x28 image"
        )


def _window_operations(layer, node) -> int:
    """A pooling layer's work: its window at every output number; a global one reads each input once."""
    kind = type(layer).__name__
    if kind not in LOADED_LAYER_KINDS["pooling"]:
        return 0
    if kind.startswith("Global"):
        return sum(_per_image(t.shape[1:]) for t in node.input_tensors)
    window = math.prod(layer.pool_size)
    return sum(_per_image(t.shape[1:]) for t in node.output_tensors) * window


def _calls(model) -> Iterator:
    """Every layer call in the model, those inside a model within it included."""
    import keras

    graph = layer_calls_by_depth(model)
    for depth in sorted(graph, reverse=True):  # From the input on: the first layer that is refused is named.
        for node in graph[depth]:
            if isinstance(node.operation, keras.Model):
                _check_kind(node.operation)
                yield from _calls(node.operation)
            else:
                yield node


def _positions(layer, node) -> int:
    """Where a layer applies its kernel once: each output pixel or row, or each step of a sequence.

    A transposed convolution spreads its kernel from each input position.
    """
    import keras

    if isinstance(layer, keras.layers.RNN | keras.layers.Bidirectional):
        return max((_per_image(t.shape[1:-1]) for t in node.input_tensors), default=1)
    transposed = type(layer).__name__.endswith("Transpose")
    channels_first = getattr(layer, "data_format", None) == "channels_first"
    return max(
        (
            _per_image(t.shape[2:] if channels_first else t.shape[1:-1])
            for t in (node.input_tensors if transposed else node.output_tensors)
        ),
        default=1,
    )


def _per_image(shape) -> int:
    """The numbers in a shape without its batch axis, every axis known (`_check_sized`)."""
    return math.prod(shape)
