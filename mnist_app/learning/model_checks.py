"""What a model's configuration asks of the server, counted before Keras builds a weight.

A `.keras` file is a configuration and its weights, and the configuration alone decides how
long building takes, how much memory the weights take and how much work one image takes. A
few kilobytes can describe thousands of layers (minutes to build), or twenty weights that
blow one digit up into hundreds of thousands of numbers (gigabytes for a batch of test
images). Each is bounded here, from the configuration, far above any MNIST network; a network
builder can ask `planned_cost` what a design would cost before it builds it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

from mnist_app.errors import UserError
from mnist_app.learning import tensorflow_runtime

# An MNIST network has a dozen layers or so (the app's CNN 11, LeNet-5 8); a Keras
# configuration nests about 8 deep, a functional model inside another about 20.
MAX_LAYERS = 200
MAX_NESTING = 40
# 36 times the lab's MLP (694,950): 100 MB of float32 weights.
MAX_PARAMETERS = 25_000_000
# The most numbers one image becomes in one layer. The app's CNN makes at most 21,632, a
# 128-filter convolution over the whole 28x28 image 100,352; the app reads test images in
# batches of 1,024, so a layer at the cap holds 600 MB of float32.
MAX_ACTIVATION = 150_000
# Ten times the app's CNN (9,837,952 multiply-adds per image; the lab's MLP 694,056).
MAX_MULTIPLY_ADDS = 100_000_000


class ConfigurationRefused(UserError):
    """A model configuration that asks too much; the message says what, and the cap."""


@dataclass(frozen=True)
class Cost:
    """What a model's weights take, and what reading one image takes it."""

    parameters: int
    multiply_adds: int
    largest_activation: int
    largest_layer: str


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
    if cost.multiply_adds > MAX_MULTIPLY_ADDS:
        raise ConfigurationRefused(
            f"would take {cost.multiply_adds:,} multiply-adds per image; models of up to "
            f"{MAX_MULTIPLY_ADDS:,} are loaded (the app's CNN takes 9,837,952)"
        )


@contextlib.contextmanager
def _dry_built(config: dict) -> Iterator:
    """The model built from its configuration without allocating a weight.

    The variables this leaves pending are dropped again afterwards, so no later scope makes them.
    """
    tensorflow_runtime.prepare()
    import keras
    from keras.src.backend.common import global_state

    pending = list(global_state.get_global_attribute("uninitialized_variables") or [])
    try:
        with keras.StatelessScope(initialize_variables=False):
            # Loaded without compiling, as `load_model` does: no optimizer to make.
            yield keras.saving.deserialize_keras_object({**config, "compile_config": None}, safe_mode=True)
    finally:
        global_state.set_global_attribute("uninitialized_variables", pending)


def model_cost(model) -> Cost:
    """The cost of a built model (symbolically built will do): weights, work and memory per image.

    Dense and convolution layers count exactly (a kernel applied at every output position),
    recurrent ones at every step of their input; layers without a kernel count no
    multiply-adds, their work being bounded by the layer and activation caps.
    """
    tensorflow_runtime.prepare()
    import keras

    if not isinstance(model, keras.Model) or not model.built or not _graph(model):
        raise ConfigurationRefused("does not say what input it reads; the app needs a model of 28x28 images")
    multiply_adds, largest, largest_layer = 0, 0, ""
    for node in _calls(model):
        layer = node.operation
        for tensor in node.output_tensors:
            numbers = _per_image(tensor.shape[1:])
            if numbers > largest:
                largest, largest_layer = numbers, layer.name
        kernels = sum(math.prod(v.shape) for v in layer.weights if v.name.endswith("kernel"))
        if kernels:
            multiply_adds += kernels * _positions(layer, node)
    parameters = sum(math.prod(variable.shape) for variable in model.variables)
    return Cost(parameters, multiply_adds, largest, largest_layer)


def _graph(model) -> dict:
    """A built model's layer calls by depth; a Sequential model keeps them in its functional twin."""
    graph = getattr(model, "_functional", None) or model
    return getattr(graph, "_nodes_by_depth", None) or {}


def _calls(model) -> Iterator:
    """Every layer call in the model, those inside a model within it included."""
    import keras

    for nodes in _graph(model).values():
        for node in nodes:
            if isinstance(node.operation, keras.Model):
                yield from _calls(node.operation)
            else:
                yield node


def _positions(layer, node) -> int:
    """Where a layer applies its kernel once: each output pixel or row, or each step of a sequence."""
    import keras

    if isinstance(layer, keras.layers.RNN | keras.layers.Bidirectional):
        return max((_per_image(t.shape[1:-1]) for t in node.input_tensors), default=1)
    channels_first = getattr(layer, "data_format", None) == "channels_first"
    return max(
        (_per_image(t.shape[2:] if channels_first else t.shape[1:-1]) for t in node.output_tensors),
        default=1,
    )


def _per_image(shape) -> int:
    """The numbers in a shape without its batch axis; an axis of unknown size counts as 1.

    Only the input's size can be unknown, and a model that does not read 28x28 is refused
    before it reads an image.
    """
    return math.prod(size or 1 for size in shape)
