"""A network the learner designs on Build: a list of layers between the fixed 28x28 input and
the 10-way softmax output, read from a page, a link, a JSON file or a command line.

Nothing here imports TensorFlow: a design is read and written on every edit of the page and
before the command line starts Keras. What a design builds, and what is wrong with it, is
`design_plan`'s; the Keras code it stands for is `design_code`'s.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace

from mnist_app.errors import UserError

DENSE, CONV, MAX_POOL, AVERAGE_POOL = "dense", "conv", "pool", "avgpool"
DROPOUT, BATCH_NORM, FLATTEN, GLOBAL_AVERAGE = "dropout", "batchnorm", "flatten", "gap"
KINDS = (DENSE, CONV, MAX_POOL, AVERAGE_POOL, DROPOUT, BATCH_NORM, FLATTEN, GLOBAL_AVERAGE)
KIND_TITLES = {
    DENSE: "Dense",
    CONV: "Conv2D",
    MAX_POOL: "MaxPooling2D",
    AVERAGE_POOL: "AveragePooling2D",
    DROPOUT: "Dropout",
    BATCH_NORM: "BatchNormalization",
    FLATTEN: "Flatten",
    GLOBAL_AVERAGE: "GlobalAveragePooling2D",
}
# Other spellings a link or a command line may use for a kind.
KIND_ALIASES = {"maxpool": MAX_POOL, "averagepool": AVERAGE_POOL, "globalaveragepooling": GLOBAL_AVERAGE}
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu", "linear")
PADDINGS = ("valid", "same")

# What a learner may ask of one layer: far beyond any MNIST network, far below a server's limits.
UNITS_RANGE = (1, 4096)
FILTERS_RANGE = (1, 512)
KERNEL_RANGE = (1, 28)
STRIDES_RANGE = (1, 4)
POOL_RANGE = (1, 28)
RATE_RANGE = (0.0, 0.9)
MAX_LAYERS = 30
# A link or a file holding more than this is not a design of this page.
MAX_TEXT_LENGTH = 4_000


class DesignError(UserError):
    """A design that cannot be read; the message names the layer, in the learner's words."""


@dataclass(frozen=True)
class Layer:
    """One layer of a design. `units` is a Dense layer's units or a Conv2D's filters; `size`
    a Conv2D's kernel or a pooling window; the other fields belong to the kinds that have them."""

    kind: str
    units: int = 0
    size: int = 0
    strides: int = 1
    padding: str = "valid"
    activation: str = "relu"
    rate: float = 0.0

    @classmethod
    def new(cls, kind: str) -> Layer:
        """A layer of this kind with the values a learner would start from."""
        return {
            DENSE: cls(DENSE, units=128),
            CONV: cls(CONV, units=32, size=3),
            MAX_POOL: cls(MAX_POOL, size=2),
            AVERAGE_POOL: cls(AVERAGE_POOL, size=2),
            DROPOUT: cls(DROPOUT, rate=0.3),
        }.get(kind, cls(kind))

    def as_dict(self) -> dict:
        """The layer as a JSON object, with only the fields its kind has."""
        fields = {
            DENSE: {"units": self.units, "activation": self.activation},
            CONV: {
                "filters": self.units,
                "kernel_size": self.size,
                "strides": self.strides,
                "padding": self.padding,
                "activation": self.activation,
            },
            MAX_POOL: {"pool_size": self.size},
            AVERAGE_POOL: {"pool_size": self.size},
            DROPOUT: {"rate": self.rate},
        }.get(self.kind, {})
        return {"kind": self.kind, **fields}

    def as_text(self) -> str:
        """The layer in the short form of links and the command line (`conv:32:3:relu`)."""
        if self.kind == DENSE:
            return f"dense:{self.units}:{self.activation}"
        if self.kind == CONV:
            text = f"conv:{self.units}:{self.size}:{self.activation}"
            if (self.strides, self.padding) != (1, "valid"):
                text += f":{self.strides}:{self.padding}"
            return text
        if self.kind in (MAX_POOL, AVERAGE_POOL):
            return f"{self.kind}:{self.size}"
        if self.kind == DROPOUT:
            return f"dropout:{self.rate:g}"
        return self.kind


def layers_text(layers: list[Layer] | tuple[Layer, ...]) -> str:
    """A design as one line: `conv:32:3:relu,pool:2,flatten,dense:128:relu,dropout:0.3`."""
    return ",".join(layer.as_text() for layer in layers)


def layers_json(layers: list[Layer] | tuple[Layer, ...]) -> str:
    """A design as the JSON file Build downloads and `train --layers FILE.json` reads.

    One layer a line: readable, and short enough that the longest design still fits in
    `MAX_TEXT_LENGTH` (indented field by field, 30 Conv2D layers would not).
    """
    if not layers:
        return "[]"
    return "[\n" + ",\n".join(f"  {json.dumps(layer.as_dict())}" for layer in layers) + "\n]"


# The short form's fields after the kind, in order, for each kind that has any.
_TEXT_FIELDS = {
    DENSE: ("units", "activation"),
    CONV: ("filters", "kernel_size", "activation", "strides", "padding"),
    MAX_POOL: ("pool_size",),
    AVERAGE_POOL: ("pool_size",),
    DROPOUT: ("rate",),
}
_REQUIRED = {DENSE: 1, CONV: 2, MAX_POOL: 1, AVERAGE_POOL: 1, DROPOUT: 1}


def parse_text(text: str) -> tuple[Layer, ...]:
    """The layers of a short-form design; DesignError naming the first layer that is wrong.

    An empty text is no layer at all: the output alone, which is logistic regression.
    """
    _check_length(text)
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if len(parts) > MAX_LAYERS:
        raise DesignError(f"{len(parts)} layers is more than {MAX_LAYERS}; remove some")
    layers = []
    for position, part in enumerate(parts, 1):
        kind, *values = [value.strip() for value in part.split(":")]
        kind = _kind(kind, position)
        names = _TEXT_FIELDS.get(kind, ())
        if len(values) > len(names) or len(values) < _REQUIRED.get(kind, 0):
            raise DesignError(
                f"layer {position} ({KIND_TITLES[kind]}): {_text_form(kind)}, not {part[:40]!r}"
            )
        layers.append(_layer(kind, dict(zip(names, values, strict=False)), position))
    return tuple(layers)


def parse_json(text: str | bytes) -> tuple[Layer, ...]:
    """The layers of a JSON design (a list of objects, as `layers_json` writes)."""
    _check_length(text)
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise DesignError(f"the layer list is not JSON ({type(error).__name__})") from None
    return from_dicts(items)


def from_dicts(items: object) -> tuple[Layer, ...]:
    """The layers of a parsed JSON design (a list of objects, as `Layer.as_dict` makes them):
    a JSON file, or the layer list a saved model's description keeps."""
    if not isinstance(items, list):
        raise DesignError("the layer list must be a JSON list of layers, one object each")
    if len(items) > MAX_LAYERS:
        raise DesignError(f"{len(items)} layers is more than {MAX_LAYERS}; remove some")
    layers = []
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
            raise DesignError(f"layer {position} is not an object with a 'kind'")
        kind = _kind(item["kind"], position)
        allowed = {"kind", *_TEXT_FIELDS.get(kind, ())}
        unknown = sorted(str(key)[:30] for key in item if key not in allowed)
        if unknown:
            raise DesignError(f"layer {position} ({KIND_TITLES[kind]}) has no field {unknown[0]!r}")
        fields = {key: value for key, value in item.items() if key != "kind"}
        layers.append(_layer(kind, fields, position))
    return tuple(layers)


def _check_length(text: str | bytes) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise DesignError(
            f"the layer list is {len(text):,} characters long; a design fits in {MAX_TEXT_LENGTH:,}"
        )


def _kind(name: str, position: int) -> str:
    key = name.strip().lower().replace("_", "").replace("2d", "")
    kind = KIND_ALIASES.get(key, key)
    titles = {title.lower().replace("2d", ""): kind for kind, title in KIND_TITLES.items()}
    kind = titles.get(kind, kind)
    if kind not in KINDS:
        raise DesignError(
            f"layer {position}: {name[:40]!r} is not a layer kind here; use one of {', '.join(KINDS)}"
        )
    return kind


def _text_form(kind: str) -> str:
    forms = {
        DENSE: "write dense:UNITS or dense:UNITS:ACTIVATION",
        CONV: "write conv:FILTERS:KERNEL, then optionally :ACTIVATION, :STRIDES and :PADDING",
        MAX_POOL: "write pool:SIZE",
        AVERAGE_POOL: "write avgpool:SIZE",
        DROPOUT: "write dropout:RATE",
    }
    return forms.get(kind, f"write {kind}, with nothing after it")


def _layer(kind: str, fields: dict, position: int) -> Layer:
    """A layer from raw field values (text or JSON), each checked as a learner's number or choice."""

    def refuse(what: str) -> DesignError:
        return DesignError(f"layer {position} ({KIND_TITLES[kind]}): {what}")

    def given(name: str):
        if name not in fields:
            raise refuse(f"{name} is missing")
        return fields[name]

    def whole(name: str, bounds: tuple[int, int]) -> int:
        value = given(name)
        if isinstance(value, str):
            value = value.strip()
            if not value.isdecimal() or len(value) > 6:
                raise refuse(f"{name} must be a whole number, not {value[:20]!r}")
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse(f"{name} must be a whole number, not {str(value)[:20]!r}")
        low, high = bounds
        if not low <= value <= high:
            raise refuse(f"{name} must lie in {low}..{high:,}, not {value:,}")
        return value

    def fraction(name: str, bounds: tuple[float, float]) -> float:
        value = given(name)
        try:
            number = float(value.strip()) if isinstance(value, str) else value
        except ValueError:
            raise refuse(f"{name} must be a number, not {value[:20]!r}") from None
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise refuse(f"{name} must be a number, not {str(value)[:20]!r}")
        low, high = bounds
        if not low <= number <= high:
            raise refuse(f"{name} must lie in {low:g}..{high:g}, not {number:g}")
        return round(float(number), 4) + 0.0  # -0 reads as 0

    def choice(name: str, options: tuple[str, ...], default: str) -> str:
        value = fields.get(name, default)
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise refuse(f"{name} must be one of {', '.join(options)}, not {str(value)[:20]!r}")
        return value.strip().lower()

    layer = Layer.new(kind)
    if kind == DENSE:
        layer = replace(
            layer, units=whole("units", UNITS_RANGE), activation=choice("activation", ACTIVATIONS, "relu")
        )
    elif kind == CONV:
        layer = replace(
            layer,
            units=whole("filters", FILTERS_RANGE),
            size=whole("kernel_size", KERNEL_RANGE),
            activation=choice("activation", ACTIVATIONS, "relu"),
            strides=whole("strides", STRIDES_RANGE) if "strides" in fields else 1,
            padding=choice("padding", PADDINGS, "valid"),
        )
    elif kind in (MAX_POOL, AVERAGE_POOL):
        layer = replace(layer, size=whole("pool_size", POOL_RANGE))
    elif kind == DROPOUT:
        layer = replace(layer, rate=fraction("rate", RATE_RANGE))
    return layer


# Networks to start from; choosing one fills the list, editing it makes it the learner's own.
PRESETS = {
    "Logistic regression": parse_text("flatten"),
    "The lab's MLP": parse_text("flatten,dense:784:relu,dense:100:relu"),
    "The app's CNN": parse_text(
        "conv:32:3:relu,conv:32:3:relu,pool:2,conv:64:3:relu,conv:64:3:relu,pool:2,"
        "flatten,dropout:0.4,dense:128:relu,dropout:0.4"
    ),
    # LeCun et al. 1998, with today's relu and max pooling; "same" padding first, as its
    # 32x32 input had room around MNIST's 28x28.
    "LeNet-5": parse_text(
        "conv:6:5:relu:1:same,pool:2,conv:16:5:relu,pool:2,flatten,dense:120:relu,dense:84:relu"
    ),
    "A tiny CNN": parse_text("conv:8:3:relu,pool:2,conv:16:3:relu,pool:2,flatten"),
}
# What a model trained from a preset, unchanged, is called; any other design is the learner's own.
PRESET_NAMES = {
    "Logistic regression": "logistic-regression",
    "The lab's MLP": "mlp",
    "The app's CNN": "cnn",
    "LeNet-5": "lenet-5",
    "A tiny CNN": "tiny-cnn",
}
# The app's two networks of its own (`TrainConfig.arch`), as Build writes them.
PRESET_OF_ARCH = {"mlp": PRESETS["The lab's MLP"], "cnn": PRESETS["The app's CNN"]}
# What a model of any other design is called.
OWN_DESIGN_NAME = "my-network"


def preset_title(layers: tuple[Layer, ...] | list[Layer]) -> str | None:
    """The title of the preset a design equals ("LeNet-5"), else None: the learner's own.

    No layer at all is logistic regression too: the plan adds a Flatten before the output,
    so it builds the very network of the preset's lone Flatten.
    """
    design = tuple(layers) or PRESETS["Logistic regression"]
    return next((title for title, preset in PRESETS.items() if preset == design), None)


def design_name(layers: tuple[Layer, ...] | list[Layer]) -> str:
    """A model's name for its design: the preset's it equals ("lenet-5"), else "my-network"."""
    title = preset_title(layers)
    return PRESET_NAMES[title] if title else OWN_DESIGN_NAME
