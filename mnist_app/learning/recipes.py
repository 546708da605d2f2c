"""What made a saved model, and what differs between two: their layers and training choices.

A model trained since Build keeps its layer list and its training choices in its description;
an older one has its layers read from the Keras model itself (`model_layers`) and its choices
taken as the app made them then. Compare says in words what each model does otherwise than
the first chosen. Nothing here imports TensorFlow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from mnist_app.learning.designs import (
    AVERAGE_POOL,
    CONV,
    DENSE,
    DROPOUT,
    KIND_TITLES,
    MAX_POOL,
    PRESET_OF_ARCH,
    DesignError,
    Layer,
    from_dicts,
    preset_title,
)
from mnist_app.learning.limits import OPTIMIZER_TITLES
from mnist_app.learning.model_layers import model_layers

# More layer edits than this read as a list of edits, not as a difference: both lists are shown.
MOST_LAYER_CHANGES = 4


@dataclass(frozen=True)
class Recipe:
    """A model's layers between the fixed input and output, and its training choices.

    `unexpressed` names, in order, the layers Build has no kind for (left out of `layers`);
    `choices` maps each training choice to its value, None where the description does not say.
    """

    layers: tuple[Layer, ...]
    unexpressed: tuple[str, ...] = ()
    choices: Mapping[str, object] = field(default_factory=dict)


def recipe(metadata: Mapping, model=None, full_sizes: Mapping[str, int] | None = None) -> Recipe:
    """A saved model's recipe: the layers its description keeps, else those of `model` itself.

    A description whose layer list cannot be read falls back on the model; without a model an
    old MLP or CNN is its preset, and anything else a DesignError. `full_sizes` (dataset name
    -> training images) says how many images "all of them" was, for a description too old to say.
    """
    unexpressed: tuple[str, ...] = ()
    try:
        if "layers" not in metadata:
            raise DesignError("the description keeps no layer list")
        layers = from_dicts(metadata["layers"])
    except DesignError:
        if model is not None:
            layers, unexpressed = model_layers(model)
        elif metadata.get("arch") in PRESET_OF_ARCH:
            layers = PRESET_OF_ARCH[metadata["arch"]]
        else:
            raise
    return Recipe(layers, unexpressed, training_choices(metadata, full_sizes or {}))


def _given(metadata: Mapping, key: str, kind: type) -> object:
    value = metadata.get(key)
    if isinstance(value, bool) and kind is not bool:
        return None
    return value if isinstance(value, kind) else None


def training_choices(metadata: Mapping, full_sizes: Mapping[str, int]) -> dict[str, object]:
    """Each training choice the description records; for the app's own older models, what they
    were then (Adam, every training image, no wrong labels, augmentation for the CNN only)."""
    old_app_model = metadata.get("arch") in PRESET_OF_ARCH
    dataset = _given(metadata, "dataset", str)
    train_size = _given(metadata, "train_size", int)
    if train_size is None and old_app_model:
        train_size = full_sizes.get(dataset, "all")
    augment = _given(metadata, "augment", bool)
    if augment is None and old_app_model:
        augment = metadata.get("arch") == "cnn"
    optimizer = _given(metadata, "optimizer", str)
    label_noise = _given(metadata, "label_noise", int | float)
    epochs = _given(metadata, "epochs_completed", int)
    return {
        "dataset": dataset,
        "fine_tuned_from": _given(metadata, "fine_tuned_from", str) or "",
        "train_size": train_size,
        "label_noise": 0.0 if label_noise is None and old_app_model else label_noise,
        "optimizer": "adam" if optimizer is None and old_app_model else optimizer,
        "learning_rate": _given(metadata, "learning_rate", int | float),
        "batch_size": _given(metadata, "batch_size", int),
        "epochs": epochs if epochs is not None else _given(metadata, "epochs", int),
        "augment": augment,
        "seed": _given(metadata, "seed", int),
    }


def differences(a: Recipe, b: Recipe) -> list[str]:
    """What B does otherwise than A, one phrase a change: its layers, then its training choices.

    "adds Dropout(0.3) after Dense 1", "Dense 1 has 64 units instead of 128", "trained on 1,000
    images instead of 5,000". Layers are lined up by the fewest edits, so one inserted,
    removed or changed layer always reads as one change; a choice either description leaves
    out is not compared; networks more than a few edits apart are listed whole.
    """
    phrases = _layer_changes(a.layers, b.layers)
    if len(phrases) > MOST_LAYER_CHANGES:
        phrases = [f"has other layers altogether: {_calls(b.layers)} instead of {_calls(a.layers)}"]
    extra, lacking = (
        Counter(b.unexpressed) - Counter(a.unexpressed),
        Counter(a.unexpressed) - Counter(b.unexpressed),
    )
    if extra:
        phrases.append(f"also holds {_listed(extra.elements())}, which Build has no layer for")
    if lacking:
        phrases.append(f"lacks the first model's {_listed(lacking.elements())}")
    for key, words in _CHOICE_WORDS.items():
        mine, theirs = b.choices.get(key), a.choices.get(key)
        if mine is not None and theirs is not None and mine != theirs:
            phrases.append(words(mine, theirs))
    return phrases


def _listed(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _images(mine, theirs) -> str:
    if "all" in (mine, theirs):
        return f"trained on {_count(mine)} instead of {_count(theirs)}"
    return f"trained on {mine:,} images instead of {theirs:,}"


def _count(size) -> str:
    return "the whole training split" if size == "all" else f"{size:,} images"


def _tuned(mine: str, theirs: str) -> str:
    if not mine:
        return f"started from new weights, not from {theirs}'s"
    return f"started from {mine}'s weights" + (f" instead of {theirs}'s" if theirs else "")


_CHOICE_WORDS = {
    "dataset": lambda b, a: f"trained on {b} instead of {a}",
    "fine_tuned_from": _tuned,
    "train_size": _images,
    "label_noise": lambda b, a: f"{b:.0%} of its training labels wrong instead of {a:.0%}",
    "optimizer": lambda b, a: (
        f"trained with {OPTIMIZER_TITLES.get(b, b)} instead of {OPTIMIZER_TITLES.get(a, a)}"
    ),
    "learning_rate": lambda b, a: f"learning rate {b:g} instead of {a:g}",
    "batch_size": lambda b, a: f"batches of {b:,} images instead of {a:,}",
    "epochs": lambda b, a: f"trained for {b:,} epoch{'s' * (b != 1)} instead of {a:,}",
    "augment": lambda b, a: (
        "with augmentation instead of without" if b else "without augmentation instead of with"
    ),
    "seed": lambda b, a: f"seed {b} instead of {a}",
}


# Edits' costs in halves: a layer added or removed 2, changed 2, swapped for another kind 3
# (cheaper than removing one and adding the other, dearer than a change).
_ADD_OR_REMOVE, _CHANGE, _SWAP = 2, 2, 3


def _key(layer: Layer) -> tuple:
    """A layer as its kind's fields only: what makes two layers the same."""
    return tuple(layer.as_dict().items())


def _edits(a: tuple[Layer, ...], b: tuple[Layer, ...]) -> list[tuple[str, int, int]]:
    """The fewest edits from a to b, in order: ("keep" | "change" | "remove" | "add", i, j).

    Levenshtein's table rather than difflib: a longest-block match can read one changed layer
    as one removed and one added ([Dense, Flatten] to [Flatten, Flatten]).
    """

    def change(i: int, j: int) -> int:
        if _key(a[i]) == _key(b[j]):
            return 0
        return _CHANGE if a[i].kind == b[j].kind else _SWAP

    n, m = len(a), len(b)
    cost = [[(i + j) * _ADD_OR_REMOVE if i == 0 or j == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + change(i - 1, j - 1),
                cost[i - 1][j] + _ADD_OR_REMOVE,
                cost[i][j - 1] + _ADD_OR_REMOVE,
            )
    edits = []
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + change(i - 1, j - 1):
            i, j = i - 1, j - 1
            edits.append(("keep" if change(i, j) == 0 else "change", i, j))
        elif i and cost[i][j] == cost[i - 1][j] + _ADD_OR_REMOVE:
            i -= 1
            edits.append(("remove", i, j))
        else:
            j -= 1
            edits.append(("add", i, j))
    return edits[::-1]


def _names(layers: tuple[Layer, ...]) -> list[str]:
    """Each layer as Build's summary numbers it: "Dense 2", "Conv2D 1"."""
    counts: Counter = Counter()
    names = []
    for layer in layers:
        counts[layer.kind] += 1
        names.append(f"{KIND_TITLES[layer.kind]} {counts[layer.kind]}")
    return names


def layer_call(layer: Layer) -> str:
    """A layer in a few characters, as in Keras code: "Dense(128, relu)", "Dropout(0.3)"."""
    details = _details(layer)
    return f"{KIND_TITLES[layer.kind]}({details})" if details else KIND_TITLES[layer.kind]


def _calls(layers: tuple[Layer, ...]) -> str:
    return ", ".join(map(layer_call, layers)) if layers else "no layer at all"


def _details(layer: Layer) -> str:
    if layer.kind == DENSE:
        return f"{layer.units:,}, {layer.activation}"
    if layer.kind == CONV:
        text = f"{layer.units}, {layer.size}x{layer.size}, {layer.activation}"
        if layer.strides != 1:
            text += f", stride {layer.strides}"
        return text + (f", {layer.padding} padding" if layer.padding != "valid" else "")
    if layer.kind in (MAX_POOL, AVERAGE_POOL):
        return f"{layer.size}x{layer.size}"
    return f"{layer.rate:g}" if layer.kind == DROPOUT else ""


def _changed(name: str, old: Layer, new: Layer) -> str:
    if old.kind != new.kind:
        return f"replaces {name} with {layer_call(new)}"
    count = "units" if old.kind == DENSE else "filters"
    window = "kernel" if old.kind == CONV else "window"
    parts = {
        "units": f"{new.units:,} {count} instead of {old.units:,}",
        "kernel_size": f"a {new.size}x{new.size} {window} instead of {old.size}x{old.size}",
        "pool_size": f"a {new.size}x{new.size} {window} instead of {old.size}x{old.size}",
        "filters": f"{new.units:,} {count} instead of {old.units:,}",
        "strides": f"stride {new.strides} instead of {old.strides}",
        "padding": f"{new.padding} padding instead of {old.padding}",
        "activation": f"{new.activation} activation instead of {old.activation}",
        "rate": f"rate {new.rate:g} instead of {old.rate:g}",
    }
    old_fields, new_fields = old.as_dict(), new.as_dict()
    said = [parts[key] for key in new_fields if key != "kind" and new_fields[key] != old_fields[key]]
    return f"{name} has {_listed(said)}"


def _layer_changes(a: tuple[Layer, ...], b: tuple[Layer, ...]) -> list[str]:
    names = _names(a)
    phrases: list[str] = []
    added: list[Layer] = []

    def say_added(before: int) -> None:
        if not added:
            return
        what = _listed([layer_call(layer) for layer in added])
        if before > 0:
            phrases.append(f"adds {what} after {names[before - 1]}")
        elif names:
            phrases.append(f"adds {what} before {names[0]}")
        else:
            phrases.append(f"adds {what}")
        added.clear()

    for edit, i, j in _edits(a, b):
        if edit == "add":
            added.append(b[j])
            continue
        say_added(i)
        if edit == "remove":
            phrases.append(f"removes {names[i]}" + (f", {layer_call(a[i])}" if _details(a[i]) else ""))
        elif edit == "change":
            phrases.append(_changed(names[i], a[i], b[j]))
    say_added(len(a))
    return phrases


def network_title(metadata: Mapping) -> str:
    """The network a description says it is, in a learner's words: a preset's title (no layer
    at all is logistic regression), or "your network: <its layers>"; "" when it does not say (a
    file from elsewhere)."""
    try:
        layers = recipe(metadata).layers
    except DesignError:
        return ""
    return preset_title(layers) or f"your network: {_calls(layers)}"
