"""Build's editor: the network as a list of layers in the session, a row of controls for each.

The design is one plain list (`designs.Layer`s) kept in `st.session_state`; each row's
widgets are keyed by the layer's own id, so moving a layer moves its controls with it. A
changed widget is read back into the list at the start of the next run, before the plan is
drawn, so the summary and the mistakes always describe what the controls show. A value a
forged browser message sends outside a field's range is ignored, as the widget would. Under a
challenge only the layer kinds it allows are offered (its rules are enforced on the server).
"""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.learning import design_links
from mnist_app.learning.design_plan import Plan, Row
from mnist_app.learning.designs import (
    ACTIVATIONS,
    AVERAGE_POOL,
    BATCH_NORM,
    CONV,
    DENSE,
    DROPOUT,
    FILTERS_RANGE,
    FLATTEN,
    GLOBAL_AVERAGE,
    KERNEL_RANGE,
    KIND_TITLES,
    KINDS,
    MAX_LAYERS,
    MAX_POOL,
    PADDINGS,
    POOL_RANGE,
    PRESETS,
    RATE_RANGE,
    STRIDES_RANGE,
    UNITS_RANGE,
    Layer,
    preset_title,
)
from mnist_app.web.plain_text import literal

ENTRIES_KEY = "build_entries"
NEXT_ID_KEY = "build_next_id"
PRESET_KEY = "build_preset"
ADD_KIND_KEY = "build_add_kind"
# The learner's own design, on every page that shows it.
YOURS = "your network"
# The `Layer` field behind each JSON field named otherwise (`Layer.as_dict`).
_LAYER_FIELDS = {"filters": "units", "kernel_size": "size", "pool_size": "size"}
# Each kind's fields a row shows, as `Layer` names them, in the order of its JSON.
FIELDS = {
    kind: tuple(_LAYER_FIELDS.get(name, name) for name in Layer.new(kind).as_dict() if name != "kind")
    for kind in KINDS
}
KIND_WORDS = {
    DENSE: "every input joined to every unit",
    CONV: "small filters slid over the image",
    MAX_POOL: "keep the largest number of each window",
    AVERAGE_POOL: "keep the average of each window",
    DROPOUT: "switch off some inputs at random while training",
    BATCH_NORM: "rescale each channel to a steady range",
    FLATTEN: "lay a grid out as one row",
    GLOBAL_AVERAGE: "one average per channel",
}
FIELD_WIDTH_PX = 140


def _bounds(kind: str, field: str) -> tuple:
    if field == "units":
        return FILTERS_RANGE if kind == CONV else UNITS_RANGE
    if field == "size":
        return KERNEL_RANGE if kind == CONV else POOL_RANGE
    return {"strides": STRIDES_RANGE, "rate": RATE_RANGE}[field]


def _key(entry_id: int, field: str) -> str:
    return f"build_{entry_id}_{field}"


def layers() -> tuple[Layer, ...]:
    """The design as the learner has it now (the default network on a first visit)."""
    if ENTRIES_KEY not in st.session_state:
        set_layers(design_links.default().layers)
    return designed_layers()


def designed_layers() -> tuple[Layer, ...] | None:
    """The design this visitor has on Build, for another page; None before Build is opened."""
    entries = st.session_state.get(ENTRIES_KEY)
    return None if entries is None else tuple(layer for _, layer in entries)


def set_layers(new: tuple[Layer, ...] | list[Layer]) -> None:
    """Replace the whole list (a preset, a link): every row gets fresh controls."""
    first = st.session_state.get(NEXT_ID_KEY, 0)
    st.session_state[ENTRIES_KEY] = [(first + i, layer) for i, layer in enumerate(new)]
    st.session_state[NEXT_ID_KEY] = first + len(new)


def read_edits() -> None:
    """Take the values the learner changed in the rows' widgets into the list."""
    layers()
    st.session_state[ENTRIES_KEY] = [
        (entry_id, _edited(entry_id, layer)) for entry_id, layer in st.session_state[ENTRIES_KEY]
    ]


def _edited(entry_id: int, layer: Layer) -> Layer:
    changes = {}
    for field in FIELDS.get(layer.kind, ()):
        value = _checked(layer.kind, field, st.session_state.get(_key(entry_id, field)))
        if value is not None:
            changes[field] = value
    return replace(layer, **changes) if changes else layer


def _checked(kind: str, field: str, value):
    """A widget's value if it is one the widget could hold, else None."""
    if field == "activation":
        return value if value in ACTIVATIONS else None
    if field == "padding":
        return value if value in PADDINGS else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    low, high = _bounds(kind, field)
    if not low <= value <= high:
        return None
    return round(float(value), 4) if field == "rate" else int(value) if value == int(value) else None


def _move(entry_id: int, step: int) -> None:
    """Swap a layer with its neighbour; a click on a row just replaced (a preset) does nothing."""
    entries = st.session_state[ENTRIES_KEY]
    index = next((i for i, (each, _) in enumerate(entries) if each == entry_id), None)
    if index is not None and 0 <= index + step < len(entries):
        entries[index], entries[index + step] = entries[index + step], entries[index]


def _remove(entry_id: int) -> None:
    st.session_state[ENTRIES_KEY] = [entry for entry in st.session_state[ENTRIES_KEY] if entry[0] != entry_id]


def _add() -> None:
    kind = st.session_state.get(ADD_KIND_KEY)
    entries = st.session_state[ENTRIES_KEY]
    if kind in KINDS and len(entries) < MAX_LAYERS:
        entries.append((st.session_state[NEXT_ID_KEY], Layer.new(kind)))
        st.session_state[NEXT_ID_KEY] += 1


def _load_preset() -> None:
    title = st.session_state.get(PRESET_KEY)
    if title in PRESETS:
        set_layers(PRESETS[title])


def preset_picker(kinds: tuple[str, ...] = KINDS) -> None:
    """The presets to start from (those of the layer `kinds` allowed); once the list is edited it
    shows as the learner's own."""
    title = preset_title(layers()) or YOURS.capitalize()
    st.session_state[PRESET_KEY] = title
    offered = [name for name, preset in PRESETS.items() if all(layer.kind in kinds for layer in preset)]
    st.selectbox(
        "Start from",
        [*offered, *([] if title in offered else [title])],
        key=PRESET_KEY,
        on_change=_load_preset,
        help="Choosing a network fills the list below with its layers; change any of them and "
        f"it becomes {YOURS}.",
    )


def keras_shape(shape: tuple[int, ...]) -> str:
    """As Keras prints an output shape: `(None, 26, 26, 32)`, None standing for the batch."""
    return "(" + ", ".join(["None", *map(str, shape)]) + ")"


def editor(plan: Plan, kinds: tuple[str, ...] = KINDS) -> None:
    """The fixed input, a row per layer (with its mistakes under it), the fixed output, and Add
    (of the layer `kinds` allowed)."""
    entries = st.session_state[ENTRIES_KEY]
    rows = {row.position: row for row in plan.rows if row.position is not None}
    fixed_before: dict[int, list[Row]] = {}
    waiting: list[Row] = []
    for row in plan.rows[:-1]:
        if row.position is None:
            waiting.append(row)
        else:
            fixed_before[row.position], waiting = waiting, []
    _fixed(
        f"Input: a {IMAGE_SIZE}x{IMAGE_SIZE} image of one digit, {IMAGE_SIZE**2} pixels",
        keras_shape((IMAGE_SIZE, IMAGE_SIZE)),
    )
    for index, (entry_id, layer) in enumerate(entries):
        position = index + 1
        for row in fixed_before.get(position, []):
            _fixed(f"{row.title} (added for you)", keras_shape(row.shape))
        _row(entry_id, layer, position, len(entries), rows.get(position), plan)
    for row in waiting:
        _fixed(f"{row.title} (added for you)", keras_shape(row.shape))
    output = plan.rows[-1]
    _fixed(
        f"{output.title}: one probability for each digit, 0 to 9 (fixed)",
        f"{keras_shape(output.shape)}, {output.parameters:,} parameters",
    )
    _add_row(len(entries), kinds)


def _fixed(title: str, detail: str) -> None:
    st.markdown(f"{literal(title)}  \n:gray[{literal(detail)}]")


def _row(entry_id: int, layer: Layer, position: int, count: int, row: Row | None, plan: Plan) -> None:
    with st.container(border=True, key=f"build_row_{entry_id}"):
        title = row.title if row else f"{KIND_TITLES[layer.kind]}: {KIND_WORDS[layer.kind]}"
        st.markdown(f"**{position}. {literal(title)}**")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            for field in FIELDS.get(layer.kind, ()):
                _field(entry_id, layer, field)
            moves = (("Up", ":material/arrow_upward:", -1), ("Down", ":material/arrow_downward:", 1))
            for label, icon, step in moves:
                st.button(
                    label,
                    icon=icon,
                    key=f"build_{label.lower()}_{entry_id}",
                    help=f"Move this layer {label.lower()}",
                    on_click=_move,
                    args=(entry_id, step),
                    disabled=position == (1 if step < 0 else count),
                    type="tertiary",
                )
            st.button(
                "Remove",
                icon=":material/delete:",
                key=f"build_remove_{entry_id}",
                help="Take this layer out",
                on_click=_remove,
                args=(entry_id,),
                type="tertiary",
            )
        if row is not None:
            st.caption(f"Out: {keras_shape(row.shape)}; {row.parameters:,} parameters")
        for message in plan.problems_at(position):
            st.error(f"Layer {position}: {literal(message)}", icon=":material/error:")
        for message in plan.notes_at(position):
            st.info(literal(message), icon=":material/info:")


def _field(entry_id: int, layer: Layer, field: str) -> None:
    key = _key(entry_id, field)
    if field in ("activation", "padding"):
        options = ACTIVATIONS if field == "activation" else PADDINGS
        st.selectbox(
            field.capitalize(),
            options,
            index=options.index(getattr(layer, field)),
            key=key,
            width=FIELD_WIDTH_PX,
            help="What each unit does to its sum: relu keeps the positive part"
            if field == "activation"
            else "valid: only where the whole kernel fits (the grid shrinks); same: pad the edges "
            "with zeros so the grid keeps its size",
        )
        return
    low, high = _bounds(layer.kind, field)
    labels = {
        "units": ("Filters", "How many patterns it looks for, each its own small kernel")
        if layer.kind == CONV
        else ("Units", "How many numbers it outputs, each a weighted sum of all its inputs"),
        "size": ("Kernel size", "The side of the square each filter looks at, in pixels")
        if layer.kind == CONV
        else ("Pool size", "The side of the square window each output sums up"),
        "strides": ("Strides", "How far the filter moves between positions: 2 halves the grid"),
        "rate": ("Rate", "The share of inputs set to 0 at each training step (none when reading)"),
    }
    label, words = labels[field]
    st.number_input(
        label,
        min_value=low,
        max_value=high,
        value=getattr(layer, field),
        step=0.05 if field == "rate" else 1,
        format="%.2f" if field == "rate" else None,
        key=key,
        width=FIELD_WIDTH_PX,
        help=words,
    )


def _add_row(count: int, kinds: tuple[str, ...]) -> None:
    if not kinds:
        st.caption("The challenge allows no hidden layers: only the output layer.")
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.selectbox(
            "Add a layer",
            kinds,
            format_func=lambda kind: f"{KIND_TITLES[kind]}: {KIND_WORDS[kind]}",
            key=ADD_KIND_KEY,
            width=360,
        )
        st.button(
            "Add",
            icon=":material/add:",
            key="build_add",
            on_click=_add,
            disabled=count >= MAX_LAYERS,
            help=f"At most {MAX_LAYERS} layers" if count >= MAX_LAYERS else "Add it above the output",
        )
