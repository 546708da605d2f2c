"""A saved model's layers in Build's words: its layer list, and each Keras layer's title.

A model trained before Build kept no layer list in its description (the lab's MLP, the
app's CNN, a file from elsewhere): its list is read from the Keras model itself, and a layer
Build has no kind for is reported, never hidden. Keras names layers `conv2d_4` or `dense_2`
by the order they were made in a session; `layer_titles` names them as Build's summary does
("Conv2D 1: 32 filters of 3x3, relu"). Nothing here imports TensorFlow: a Keras model is
read through its layers' class names and configurations.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.learning.design_plan import (
    OUTPUT_FLATTEN_NAME,
    OUTPUT_FLATTEN_TITLE,
    OUTPUT_NAME,
    RESHAPE_NAME,
    RESHAPE_TITLE,
    output_title,
    summary_title,
)
from mnist_app.learning.designs import (
    ACTIVATIONS,
    AVERAGE_POOL,
    BATCH_NORM,
    CONV,
    DENSE,
    DROPOUT,
    FLATTEN,
    GLOBAL_AVERAGE,
    MAX_POOL,
    PADDINGS,
    Layer,
)

GRID = (IMAGE_SIZE, IMAGE_SIZE, 1)
# The layers that pass a raw image on as it is: a grid layer after them still needs the Reshape.
_IMAGE_KEEPING = (DROPOUT, BATCH_NORM)


def model_layers(model) -> tuple[tuple[Layer, ...], tuple[str, ...]]:
    """The layer list of a Keras model as Build would write it, and what Build cannot express.

    The fixed parts are not in the list: the input, the Reshape of the raw image into a 28x28
    grid, the Flatten Build adds before the output, and the output Dense with softmax.
    """
    found = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    unexpressed: list[str] = []
    if found and _kind(found[-1]) == "Dense" and _config(found[-1]).get("activation") == "softmax":
        found = found[:-1]
    else:
        unexpressed.append("an output other than Dense with softmax")
    if found and _kind(found[-1]) == "Flatten" and found[-1].name == OUTPUT_FLATTEN_NAME:
        found = found[:-1]
    layers: list[Layer] = []
    raw_image = True
    for keras_layer in found:
        config = _config(keras_layer)
        if raw_image and _kind(keras_layer) == "Reshape" and tuple(config.get("target_shape", ())) == GRID:
            raw_image = False
            continue
        layer, refusal = _as_layer(keras_layer, config)
        if layer is None:
            unexpressed.append(refusal)
            continue
        raw_image = raw_image and layer.kind in _IMAGE_KEEPING
        layers.append(layer)
    return tuple(layers), tuple(unexpressed)


def _kind(keras_layer) -> str:
    return type(keras_layer).__name__


def _config(keras_layer) -> dict:
    try:
        config = keras_layer.get_config()
    except (AttributeError, NotImplementedError, TypeError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _square(value) -> int | None:
    """A size Keras keeps as (n, n) or n, as one number; None for a rectangle or no number."""
    sizes = tuple(value) if isinstance(value, list | tuple) else (value,)
    if not sizes or len(set(sizes)) != 1 or not isinstance(sizes[0], int) or isinstance(sizes[0], bool):
        return None
    return sizes[0]


def _activation(config: dict) -> str | None:
    activation = config.get("activation", "linear")
    return activation if activation in ACTIVATIONS else None


def _as_layer(keras_layer, config: dict) -> tuple[Layer | None, str]:
    """Build's layer for one Keras layer, or None and the words for what Build cannot set."""
    kind = _kind(keras_layer)
    if kind == "Dense":
        activation = _activation(config)
        if activation is None:
            return None, f"Dense with {_what_activation(config)}"
        if not config.get("use_bias", True):
            return None, "Dense without a bias"
        return Layer(DENSE, units=_whole(config.get("units")), activation=activation), ""
    if kind == "Conv2D":
        size, strides = _square(config.get("kernel_size")), _square(config.get("strides", 1))
        activation, padding = _activation(config), config.get("padding", "valid")
        plain = _square(config.get("dilation_rate", 1)) == 1 and config.get("groups", 1) == 1
        if activation is None:
            return None, f"Conv2D with {_what_activation(config)}"
        if None in (size, strides) or padding not in PADDINGS or not plain:
            return None, "Conv2D with a rectangular kernel or stride, a dilation or groups"
        return Layer(CONV, units=_whole(config.get("filters")), size=size, strides=strides,
                     padding=padding, activation=activation), ""  # fmt: skip
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        size = _square(config.get("pool_size"))
        strides = config.get("strides")
        if (
            size is None
            or (strides is not None and _square(strides) != size)
            or config.get("padding") == "same"
        ):
            return None, f"{kind} with its own strides or padding"
        return Layer(MAX_POOL if kind == "MaxPooling2D" else AVERAGE_POOL, size=size), ""
    if kind == "Dropout":
        rate = config.get("rate")
        if not isinstance(rate, int | float) or isinstance(rate, bool):
            return None, "Dropout without a rate"
        return Layer(DROPOUT, rate=round(float(rate), 4)), ""
    if kind == "GlobalAveragePooling2D" and not config.get("keepdims", False):
        return Layer(GLOBAL_AVERAGE), ""
    simple = {"BatchNormalization": BATCH_NORM, "Flatten": FLATTEN}
    if kind in simple:
        return Layer(simple[kind]), ""
    return None, kind


def _what_activation(config: dict) -> str:
    activation = config.get("activation")
    return f"{activation} activation" if isinstance(activation, str) else "its own activation"


def layer_titles(model) -> dict[str, str]:
    """Each of the model's layers by its Keras name, titled in words as Build's summary titles
    it: numbered by kind, the fixed parts (the Reshape, the Flatten before the output, the
    output) by what they are."""
    found = [layer for layer in model.layers if _kind(layer) != "InputLayer"]
    counts: Counter = Counter()
    titles = {}
    for position, keras_layer in enumerate(found):
        kind = _kind(keras_layer)
        last = position == len(found) - 1
        fixed = last or keras_layer.name in (RESHAPE_NAME, OUTPUT_FLATTEN_NAME, OUTPUT_NAME)
        if not fixed:
            counts[kind] += 1
        titles[keras_layer.name] = layer_title(keras_layer, None if fixed else counts[kind], last=last)
    return titles


def layer_title(keras_layer, number: int | None = None, *, last: bool = False) -> str:
    """One Keras layer in words, from its own configuration, as Build's summary titles the same
    layer: "Dense 2: 100 units, relu"; the model's `last` layer "Output: 10 classes, softmax";
    `number` its place among its kind. A layer Build has no kind for is named by its kind alone."""
    kind, config = _kind(keras_layer), _config(keras_layer)
    activation = _activation_words(config)
    if last and kind == "Dense":
        return output_title(config.get("units", "?"), activation)
    if kind == "Reshape" and tuple(config.get("target_shape", ())) == GRID:
        return RESHAPE_TITLE
    if kind == "Flatten" and keras_layer.name == OUTPUT_FLATTEN_NAME:
        return OUTPUT_FLATTEN_TITLE
    name = kind if number is None else f"{kind} {number}"
    if kind.startswith("Random"):
        return f"{name}: the digits varied at random while training"
    # Titled as the layer it reads as, whatever its activation or bias: those are in the title.
    layer, _ = _as_layer(keras_layer, {**config, "activation": "linear", "use_bias": True})
    if layer is None:
        return name
    if layer.kind in (DENSE, CONV):
        layer = replace(layer, activation=activation)
    return summary_title(layer, number, _input_shape(keras_layer))


def _activation_words(config: dict) -> str:
    activation = config.get("activation")
    return activation if isinstance(activation, str) else "its own activation"


def _whole(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _input_shape(keras_layer) -> tuple[int, ...] | None:
    """What reaches the layer, per image; None where Keras cannot say (a layer never called)."""
    try:
        shape = tuple(keras_layer.input.shape[1:])
    except (AttributeError, ValueError, TypeError, IndexError):
        return None
    return shape if shape and all(isinstance(n, int) for n in shape) else None


def named_by_keras(keras_layer) -> bool:
    """Whether the layer's name is the one Keras makes up (`conv2d_4`: the fifth Conv2D made in
    that session), which says nothing a title does not; a name someone chose may."""
    snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", _kind(keras_layer)))
    return re.fullmatch(rf"{re.escape(snake.lower())}(_\d+)?", keras_layer.name) is not None
