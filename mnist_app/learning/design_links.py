"""Build's whole state as a link: the design and its training choices in the page's address.

As TensorFlow Playground keeps its state in its URL, Build writes the design (`net=`, the short
form of `designs.layers_text`) and each training choice into its query parameters as the
learner edits, and reads them back when a link is opened: a teacher hands out "try this one".
An address is a visitor's: one that is forged, truncated or enormous is refused as a whole,
with one message, for the default network and choices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from mnist_app.learning.designs import MAX_TEXT_LENGTH, PRESETS, DesignError, Layer, layers_text, parse_text
from mnist_app.learning.limits import BATCH_SIZES, OPTIMIZERS
from mnist_app.learning.training_choices import (
    CHOICE_TITLES,
    EPOCHS_RANGE,
    LABEL_NOISES,
    LEARNING_RATES,
    SEED_RANGE,
    TRAIN_SIZES,
    Choices,
)

DEFAULT_PRESET = "The lab's MLP"
# A design's short form at its longest, and room for the choices: past this, not Build's link.
MAX_QUERY_CHARS = MAX_TEXT_LENGTH + 200


@dataclass(frozen=True)
class Link:
    """What an address asks for; `message` says why it was refused ("" when it was read)."""

    layers: tuple[Layer, ...]
    choices: Choices
    message: str = ""


# The address's name for each choice, in the order a link lists them.
KEYS = {
    "optimizer": "opt",
    "learning_rate": "lr",
    "batch_size": "batch",
    "epochs": "epochs",
    "augment": "aug",
    "train_size": "n",
    "label_noise": "noise",
    "seed": "seed",
}
DESIGN_KEY = "net"
ALL_KEYS = (DESIGN_KEY, *KEYS.values())


def default() -> Link:
    return Link(PRESETS[DEFAULT_PRESET], Choices())


def to_query(layers: tuple[Layer, ...] | list[Layer], choices: Choices) -> dict[str, str]:
    """The query parameters of a link to this design and these choices."""
    values = {
        "optimizer": choices.optimizer,
        "learning_rate": f"{choices.learning_rate:g}",
        "batch_size": str(choices.batch_size),
        "epochs": str(choices.epochs),
        "augment": "on" if choices.augment else "off",
        "train_size": str(choices.train_size) if choices.train_size else "all",
        "label_noise": f"{choices.label_noise:g}",
        "seed": str(choices.seed),
    }
    return {DESIGN_KEY: layers_text(layers), **{KEYS[name]: value for name, value in values.items()}}


def from_query(query: Mapping[str, str]) -> Link | None:
    """The design and choices an address holds; None if it holds none of Build's parameters.

    Parameters other than Build's (Streamlit's own `embed`) are left alone; a choice left out
    keeps its default. Anything unreadable refuses the whole link, with the first reason.
    """
    given = {key: query[key] for key in ALL_KEYS if key in query}
    if not given:
        return None
    size = sum(len(str(value)) for value in given.values())
    if size > MAX_QUERY_CHARS:
        return _refused(f"it is {size:,} characters long, and a design fits in {MAX_QUERY_CHARS:,}")
    if not all(isinstance(value, str) for value in given.values()):
        return _refused("a parameter appears in it more than once")
    try:
        layers = parse_text(given[DESIGN_KEY]) if DESIGN_KEY in given else default().layers
        choices = Choices(**{name: _choice(name, given[key]) for name, key in KEYS.items() if key in given})
    except DesignError as error:
        return _refused(str(error))
    return Link(layers, choices)


def _refused(why: str) -> Link:
    return Link(
        default().layers,
        Choices(),
        f"This link cannot be read: {why}. The page opens on {DEFAULT_PRESET!r} with the usual "
        "training choices instead.",
    )


def _choice(name: str, text: str):
    """One choice from its text in the address, or DesignError naming it."""
    text = text.strip().lower()
    key = KEYS[name]

    def refuse(allowed: str) -> DesignError:
        return DesignError(f"{CHOICE_TITLES[name]} ({key}={text[:20]!r}) must be {allowed}")

    if name == "optimizer":
        if text not in OPTIMIZERS:
            raise refuse(f"one of {', '.join(OPTIMIZERS)}")
        return text
    if name == "augment":
        if text not in ("on", "off"):
            raise refuse("on or off")
        return text == "on"
    if name in ("learning_rate", "label_noise"):
        options = LEARNING_RATES if name == "learning_rate" else LABEL_NOISES
        return _one_of(text, options, refuse)
    if name == "train_size":
        if text == "all":
            return 0
        return _one_of(
            text, [size for size in TRAIN_SIZES if size], lambda allowed: refuse(allowed + " or all")
        )
    if name == "batch_size":
        return _one_of(text, BATCH_SIZES, refuse)
    low, high = EPOCHS_RANGE if name == "epochs" else SEED_RANGE
    if not text.isdecimal() or len(text) > 6 or not low <= int(text) <= high:
        raise refuse(f"a whole number from {low} to {high:,}")
    return int(text)


def _one_of(text: str, options, refuse):
    """The option `text` names (a number as `to_query` writes it), or DesignError."""
    try:
        number = float(text) if len(text) <= 20 else math.nan
    except ValueError:
        number = math.nan
    for option in options:
        if math.isclose(number, option, rel_tol=1e-6, abs_tol=1e-12):
            return option
    raise refuse(
        "one of "
        + ", ".join(f"{option:,}" if isinstance(option, int) else f"{option:g}" for option in options)
    )
