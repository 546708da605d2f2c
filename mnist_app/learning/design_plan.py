"""What a design builds, layer by layer, and what is wrong with it, counted without TensorFlow.

Build redraws the summary on every edit: each layer's output shape, its parameters and its
multiply-adds per image follow from the shapes alone (Keras' own arithmetic, checked against
`count_params()` by the tests), so no graph is built and no weight allocated per keystroke.
Each layer also gets its Keras call (`KerasCall`): the code Build shows (`design_code`) and
the model the trainer builds (`architectures.build_designed`) come from the same calls.

A mistake is a `Problem` at the layer that makes it, in the learner's words; a `Note` says
what Keras will do with something allowed but surprising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mnist_app.datasets.digit_arrays import IMAGE_SIZE, NUM_CLASSES
from mnist_app.learning.designs import (
    AVERAGE_POOL,
    BATCH_NORM,
    CONV,
    DENSE,
    DROPOUT,
    FLATTEN,
    GLOBAL_AVERAGE,
    KIND_TITLES,
    MAX_LAYERS,
    MAX_POOL,
    Layer,
)

# What one network may store and compute, whoever made it (Build, the command line, a file):
# far above any MNIST network, far below what would take a shared server down.
# 36 times the lab's MLP (694,950): 100 MB of float32 weights.
MAX_PARAMETERS = 25_000_000
# The most numbers one image becomes in one layer. The app's CNN makes at most 21,632, a
# 128-filter convolution over the whole 28x28 image 100,352; the app reads test images in
# batches of 1,024, so a layer at the cap holds 600 MB of float32.
MAX_ACTIVATION = 150_000
# Multiply-adds and pooling operations per image: ten times the app's CNN.
MAX_OPERATIONS = 100_000_000
OUTPUT_NAME = "output_10_classes"
RESHAPE_NAME = "image_as_grid"
RESHAPE_TITLE = f"Reshape: the image as a {IMAGE_SIZE}x{IMAGE_SIZE} grid of one channel"
# The Flatten added before the output of a design that ends on a grid or a table.
OUTPUT_FLATTEN_NAME = "flatten_for_output"
OUTPUT_FLATTEN_TITLE = "Flatten: one row for the output"
GRID_KINDS = (CONV, MAX_POOL, AVERAGE_POOL, GLOBAL_AVERAGE)


@dataclass(frozen=True)
class KerasCall:
    """`keras.layers.<layer>(*args, **kwargs)`: one layer as Keras builds it and as code shows it."""

    layer: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One line of the summary: a layer, what comes out of it, what it holds and costs."""

    position: int | None  # 1-based place in the learner's list; None for the fixed parts
    title: str  # in words: "Conv2D 1: 32 filters of 3x3, relu"
    call: KerasCall
    shape: tuple[int, ...]  # per image, as Keras prints it without the batch's None
    parameters: int
    multiply_adds: int
    window_operations: int = 0  # a pooling layer's work, counted as the model checks count it

    @property
    def name(self) -> str:
        return self.call.kwargs["name"]


@dataclass(frozen=True)
class Remark:
    """A mistake (`Plan.problems`) or a note (`Plan.notes`) at a layer; position None: the whole."""

    position: int | None
    message: str


@dataclass(frozen=True)
class Plan:
    """The design as Keras would build it, or what stops it being built."""

    rows: tuple[Row, ...]
    problems: tuple[Remark, ...]
    notes: tuple[Remark, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def parameters(self) -> int:
        return sum(row.parameters for row in self.rows)

    @property
    def multiply_adds(self) -> int:
        return sum(row.multiply_adds for row in self.rows)

    @property
    def convolutional(self) -> bool:
        """Whether it holds a convolution: what bfloat16 and a GPU speed up, and what a learner
        calls a CNN."""
        return any(row.call.layer == "Conv2D" for row in self.rows)

    @property
    def fused(self) -> bool:
        """Whether the trainer fuses its steps with XLA: only without convolutions or pooling,
        whose XLA CPU kernels are far slower than oneDNN's."""
        return not {row.call.layer for row in self.rows} & {"Conv2D", "MaxPooling2D", "AveragePooling2D"}

    def problems_at(self, position: int) -> list[str]:
        return [remark.message for remark in self.problems if remark.position == position]

    def notes_at(self, position: int) -> list[str]:
        return [remark.message for remark in self.notes if remark.position == position]


def plan(layers: tuple[Layer, ...] | list[Layer]) -> Plan:
    """Every layer's shape, parameters and multiply-adds, and every mistake, at its layer."""
    rows: list[Row] = []
    problems: list[Remark] = []
    notes: list[Remark] = []
    shape: tuple[int, ...] = (IMAGE_SIZE, IMAGE_SIZE)
    counts: dict[str, int] = {}
    raw_image = True  # until a layer other than dropout or normalisation has read it
    if len(layers) > MAX_LAYERS:
        problems.append(Remark(None, f"{len(layers)} layers is more than {MAX_LAYERS}; remove some"))
    for position, layer in enumerate(layers, 1):
        counts[layer.kind] = counts.get(layer.kind, 0) + 1
        number = counts[layer.kind]
        if layer.kind in GRID_KINDS and raw_image:
            rows.append(_reshape_row())
            shape = rows[-1].shape
        raw_image = raw_image and layer.kind in (DROPOUT, BATCH_NORM)
        if layer.kind in GRID_KINDS and len(shape) != 3:
            problems.append(Remark(position, _needs_grid(layer, rows)))
            continue
        row, problem, note = _row(layer, position, number, shape)
        if problem:
            problems.append(Remark(position, problem))
            continue
        if note:
            notes.append(Remark(position, note))
        rows.append(row)
        shape = row.shape
        if math.prod(shape) > MAX_ACTIVATION:
            problems.append(
                Remark(
                    position,
                    f"it makes {math.prod(shape):,} numbers of each image; this server allows "
                    f"{MAX_ACTIVATION:,} in one layer: use fewer filters, a stride or pooling first",
                )
            )
    if len(shape) != 1:
        flat = math.prod(shape)
        notes.append(
            Remark(
                None,
                f"What reaches the output is a {shape_words(shape)}: a Flatten is added before the "
                f"output to lay its {flat:,} numbers out in one row.",
            )
        )
        rows.append(
            Row(
                None,
                OUTPUT_FLATTEN_TITLE,
                KerasCall("Flatten", (), {"name": OUTPUT_FLATTEN_NAME}),
                (flat,),
                0,
                0,
            )
        )
        shape = (flat,)
    rows.append(
        Row(
            None,
            output_title(NUM_CLASSES, "softmax"),
            KerasCall("Dense", (NUM_CLASSES,), {"activation": "softmax", "name": OUTPUT_NAME}),
            (NUM_CLASSES,),
            shape[0] * NUM_CLASSES + NUM_CLASSES,
            shape[0] * NUM_CLASSES,
        )
    )
    problems += _too_much_work(rows)
    total = sum(row.parameters for row in rows)
    if total > MAX_PARAMETERS:
        problems.append(
            Remark(
                None,
                f"{total:,} parameters is more than this server trains ({MAX_PARAMETERS:,}): "
                "use fewer units or filters, or pool before Flatten",
            )
        )
    return Plan(tuple(rows), tuple(problems), tuple(notes))


def _too_much_work(rows: list[Row]) -> list[Remark]:
    """A mistake at the layer where one image's work passes what a saved model may take: a
    network the server would train for hours and then refuse to load."""
    work = 0
    for row in rows:
        work += row.multiply_adds + row.window_operations
        if work > MAX_OPERATIONS:
            total = sum(r.multiply_adds + r.window_operations for r in rows)
            return [
                Remark(
                    row.position,
                    f"reading one digit would take {total:,} multiply-adds and pooling operations, and "
                    f"this server's models take at most {MAX_OPERATIONS:,} (the app's CNN about a tenth "
                    "of that): use fewer filters, a stride, or pool earlier",
                )
            ]
    return []


def _reshape_row() -> Row:
    grid = (IMAGE_SIZE, IMAGE_SIZE, 1)
    return Row(
        None,
        RESHAPE_TITLE,
        KerasCall("Reshape", (grid,), {"name": RESHAPE_NAME}),
        grid,
        0,
        0,
    )


def _needs_grid(layer: Layer, rows: list[Row]) -> str:
    what = "a convolution" if layer.kind == CONV else "pooling"
    flattened_by = next(
        (
            row.title.split(":")[0]
            for row in reversed(rows)
            if row.call.layer in ("Flatten", "Dense", "GlobalAveragePooling2D")
        ),
        "the layer above",
    )
    return (
        f"{what} needs a grid of pixels, and {flattened_by} has made it one row: move it above {flattened_by}"
    )


def shape_words(shape: tuple[int, ...]) -> str:
    """A layer's output per image in words: "28x28 image", "13x13x32 grid", "28x64 table"."""
    if shape == (IMAGE_SIZE, IMAGE_SIZE):
        return f"{IMAGE_SIZE}x{IMAGE_SIZE} image"
    return "x".join(str(n) for n in shape) + (" grid" if len(shape) == 3 else " table")


def output_title(classes: int | str, activation: str) -> str:
    """The output layer in words; a saved model's may have another size or activation."""
    return f"Output: {classes} classes, {activation}"


def summary_title(layer: Layer, number: int | None, shape: tuple[int, ...] | None) -> str:
    """A layer in words, as the summary titles it: "Conv2D 1: 32 filters of 3x3, relu".

    `number` is its place among the layers of its kind (None: no number); `shape` what reaches
    it, per image (None where not known). The Inside page titles a saved model's layers with it.
    """
    name = KIND_TITLES[layer.kind] if number is None else f"{KIND_TITLES[layer.kind]} {number}"
    return f"{name}: {_what_it_does(layer, shape)}"


def _what_it_does(layer: Layer, shape: tuple[int, ...] | None) -> str:
    kind = layer.kind
    if kind == DENSE:
        return f"{layer.units:,} units, {layer.activation}"
    if kind == CONV:
        k, s = layer.size, layer.strides
        text = f"{layer.units} filters of {k}x{k}, {layer.activation}"
        return text + (f", stride {s}, {layer.padding} padding" if (s, layer.padding) != (1, "valid") else "")
    if kind in (MAX_POOL, AVERAGE_POOL):
        which = "max" if kind == MAX_POOL else "average"
        return f"the {which} of each {layer.size}x{layer.size} window"
    if kind == GLOBAL_AVERAGE:
        return "each channel's average over the grid"
    if kind == DROPOUT:
        return f"{layer.rate:.0%} of its inputs zeroed while training"
    if kind == BATCH_NORM:
        return f"each of {shape[-1]:,} channels rescaled" if shape else "each channel rescaled"
    # Flatten, the one kind left.
    return f"the {shape_words(shape)} as one row" if shape else "its input as one row"


def _row(layer: Layer, position: int, number: int, shape: tuple[int, ...]) -> tuple[Row, str, str]:
    """The layer's row on what reaches it, or the mistake it makes there; and a note, if any."""
    kind = layer.kind
    title = summary_title(layer, number, shape)
    if kind == DENSE:
        inputs = shape[-1]
        out = (*shape[:-1], layer.units)
        note = ""
        if len(shape) > 1:
            note = (
                f"Dense on a {shape_words(shape)} without Flatten: Keras applies it to each of the "
                f"{math.prod(shape[:-1]):,} {'rows' if len(shape) == 2 else 'positions'} separately, "
                f"mixing only their last {inputs:,} numbers"
            )
        name = f"dense{number}_{layer.units}_units_{layer.activation}"
        call = KerasCall("Dense", (layer.units,), {"activation": layer.activation, "name": name})
        return Row(position, title, call, out, (inputs + 1) * layer.units, math.prod(out) * inputs), "", note
    if kind == CONV:
        height, width, channels = shape
        k, s = layer.size, layer.strides
        if layer.padding == "valid" and k > min(height, width):
            return (
                None,
                f"a {k}x{k} kernel is larger than the {height}x{width} grid that reaches it: use at most {min(height, width)}",
                "",
            )
        if layer.padding == "valid":
            out = ((height - k) // s + 1, (width - k) // s + 1, layer.units)
        else:
            out = (-(-height // s), -(-width // s), layer.units)
        name = f"conv{number}_{layer.units}_filters_{k}x{k}_{layer.activation}"
        kwargs = {"strides": s} if s != 1 else {}
        if layer.padding != "valid":
            kwargs["padding"] = layer.padding
        kwargs.update(activation=layer.activation, name=name)
        call = KerasCall("Conv2D", (layer.units, k), kwargs)
        parameters = (k * k * channels + 1) * layer.units
        return Row(position, title, call, out, parameters, math.prod(out) * k * k * channels), "", ""
    if kind in (MAX_POOL, AVERAGE_POOL):
        height, width, channels = shape
        p = layer.size
        if p > min(height, width):
            return (
                None,
                f"a {p}x{p} window is larger than the {height}x{width} grid that reaches it: use at most {min(height, width)}",
                "",
            )
        out = (height // p, width // p, channels)
        which = "max" if kind == MAX_POOL else "average"
        name = f"{which}pool{number}_{p}x{p}"
        call = KerasCall(KIND_TITLES[kind], (p,), {"name": name})
        return Row(position, title, call, out, 0, 0, math.prod(out) * p * p), "", ""
    if kind == GLOBAL_AVERAGE:
        name = f"global_average{number}"
        return (
            Row(
                position,
                title,
                KerasCall("GlobalAveragePooling2D", (), {"name": name}),
                (shape[-1],),
                0,
                0,
                math.prod(shape),
            ),
            "",
            "",
        )
    if kind == DROPOUT:
        name = f"dropout{number}_{round(layer.rate * 100)}_percent"
        return Row(position, title, KerasCall("Dropout", (layer.rate,), {"name": name}), shape, 0, 0), "", ""
    if kind == BATCH_NORM:
        name = f"batchnorm{number}"
        return (
            Row(
                position, title, KerasCall("BatchNormalization", (), {"name": name}), shape, 4 * shape[-1], 0
            ),
            "",
            "",
        )
    if kind == FLATTEN:
        name = f"flatten{number}"
        return (
            Row(position, title, KerasCall("Flatten", (), {"name": name}), (math.prod(shape),), 0, 0),
            "",
            "",
        )
    raise AssertionError(f"unknown layer kind {kind!r}")  # pragma: no cover: designs checks kinds
