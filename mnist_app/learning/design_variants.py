"""Variants of one design, trained side by side: one choice varied over up to four values.

"Does dropout help?" is answered by training the same network with dropout 0, 0.2 and 0.5 on
the same data and comparing them; Build offers each choice that can be varied so, the
training choices and each layer's own number, and names each variant by what differs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mnist_app.learning.designs import (
    CONV,
    DENSE,
    DROPOUT,
    FILTERS_RANGE,
    KIND_TITLES,
    RATE_RANGE,
    UNITS_RANGE,
    Layer,
)
from mnist_app.learning.limits import BATCH_SIZES, OPTIMIZER_TITLES, OPTIMIZERS
from mnist_app.learning.training_choices import (
    CHOICE_TITLES,
    LABEL_NOISES,
    LEARNING_RATES,
    Choices,
    train_sizes,
    value_text,
)

MAX_VARIANTS = 4
DROPOUT_RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7)
UNITS = (8, 16, 32, 64, 128, 256, 512, 1024)
FILTERS = (4, 8, 16, 32, 64, 128)


@dataclass(frozen=True)
class Variable:
    """A choice that can be varied: a training choice (`position` 0) or a layer's number."""

    name: str  # the training choice's field, or the layer's ("units", "rate")
    title: str
    options: tuple
    position: int = 0  # the layer's 1-based place in the design

    @property
    def key(self) -> str:
        return f"layer{self.position}_{self.name}" if self.position else self.name

    def value_text(self, value) -> str:
        """A value on its own, for a picker: "0.003", "1,000", "all", "20%", "Adam"."""
        return value_text(self.name, value)

    def value_words(self, value) -> str:
        """A variant's name by what differs: "learning rate 0.003", "300 training images"."""
        if self.name == "learning_rate":
            return f"learning rate {value:g}"
        if self.name == "train_size":
            return f"{value:,} training images" if value else "all training images"
        if self.name == "label_noise":
            return f"{value:.0%} wrong labels"
        if self.name == "optimizer":
            return OPTIMIZER_TITLES[value]
        if self.name == "batch_size":
            return f"batch size {value}"
        if self.name == "rate":
            return f"dropout {value:g} at layer {self.position}"
        what = "filters" if self.name == "filters" else "units"
        return f"{value:,} {what} at layer {self.position}"


@dataclass(frozen=True)
class Variant:
    layers: tuple[Layer, ...]
    choices: Choices
    label: str


def variables(layers: tuple[Layer, ...] | list[Layer], available: int) -> tuple[Variable, ...]:
    """Every choice of this design that can be varied on a dataset of `available` training
    images: the training choices, then each Dropout's rate and each Dense layer's units and
    Conv2D's filters, by place."""
    training = {
        "train_size": train_sizes(available),
        "label_noise": LABEL_NOISES,
        "learning_rate": LEARNING_RATES,
        "optimizer": OPTIMIZERS,
        "batch_size": tuple(BATCH_SIZES),
    }
    found = [Variable(name, CHOICE_TITLES[name], options) for name, options in training.items()]
    counts: dict[str, int] = {}
    for position, layer in enumerate(layers, 1):
        counts[layer.kind] = number = counts.get(layer.kind, 0) + 1
        named = f"{KIND_TITLES[layer.kind]} {number} (layer {position})"
        if layer.kind == DROPOUT:
            options = _with(DROPOUT_RATES, layer.rate, RATE_RANGE)
            found.append(Variable("rate", f"the rate of {named}", options, position))
        elif layer.kind == DENSE:
            options = _with(UNITS, layer.units, UNITS_RANGE)
            found.append(Variable("units", f"the units of {named}", options, position))
        elif layer.kind == CONV:
            options = _with(FILTERS, layer.units, FILTERS_RANGE)
            found.append(Variable("filters", f"the filters of {named}", options, position))
    return tuple(found)


def _with(options: tuple, current, bounds: tuple) -> tuple:
    """The usual values and the layer's own, sorted."""
    low, high = bounds
    return tuple(sorted({*(option for option in options if low <= option <= high), current}))


def variants(
    layers: tuple[Layer, ...], choices: Choices, variable: Variable, values: list | tuple
) -> list[Variant]:
    """One variant of the design and choices per value, in order: the first `MAX_VARIANTS`."""
    made = []
    for value in values[:MAX_VARIANTS]:
        if variable.position:
            index = variable.position - 1
            field = "units" if variable.name == "filters" else variable.name
            changed = list(layers)
            changed[index] = replace(layers[index], **{field: value})
            made.append(Variant(tuple(changed), choices, variable.value_words(value)))
        else:
            made.append(
                Variant(layers, replace(choices, **{variable.name: value}), variable.value_words(value))
            )
    return made
