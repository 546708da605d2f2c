"""Weights over time, drawn: a ridge of histograms per layer, epoch by epoch, and how far each
epoch moved each layer. Train shows them live, Compare side by side for the chosen models.

The chart specifications are plain Altair (tests read them); `show` draws them with Streamlit,
each from a Vega-Lite specification built once per chart shape (`charts.spec_of`).
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from mnist_app.learning.weight_history import Histogram, LayerWeights, WeightSnapshot, thinned
from mnist_app.web.charts import MODEL_COLOURS, spec_of, with_data
from mnist_app.web.plain_text import literal

PARTS = {"weights": "weights", "biases": "biases"}
# More ridges than this run together: the epochs shown are spread evenly, the first and last kept.
MAX_RIDGES = 16
# How far a ridge may rise, in rows: a little over one, so that neighbours overlap as in a ridge plot.
RIDGE_RISE = 1.6
ROW_PX = 16
LAYERS_A_ROW = 3


def _part(layer: LayerWeights, part: str) -> Histogram | None:
    return layer.weights if part == "weights" else layer.biases


def ridge_frame(snapshots: list[WeightSnapshot], part: str = "weights") -> pd.DataFrame:
    """One row per bin of each layer's histogram, each epoch shown, for `ridge_chart`.

    `row` is the epoch's place from the top; `top` is the ridge's height over its row, its
    tallest bin `RIDGE_RISE` rows high; `share` is the part of the layer's finite numbers in the
    bin (those no longer numbers are counted apart, `not_numbers`).
    """
    shown = thinned(snapshots, MAX_RIDGES)
    rows = []
    for row, snapshot in enumerate(shown):
        for layer in snapshot.layers:
            histogram = _part(layer, part)
            if histogram is None or histogram.total == 0:
                continue
            counts = np.asarray(histogram.counts, dtype=float)
            tallest = counts.max()
            width = (histogram.high - histogram.low) / len(counts)
            for centre, count in zip(histogram.centres(), counts, strict=True):
                rows.append(
                    (
                        layer.name,
                        layer.title,
                        snapshot.epoch,
                        row,
                        row - RIDGE_RISE * count / tallest,
                        float(centre),
                        float(centre - width / 2),
                        float(centre + width / 2),
                        count / histogram.total,
                    )
                )
    columns = ["layer", "title", "epoch", "row", "top", "value", "from", "to", "share"]
    return pd.DataFrame(rows, columns=columns)


def ridge_labels(frame: pd.DataFrame) -> tuple[tuple[int, int], ...]:
    """(row, epoch) of each ridge in a `ridge_frame`, top to bottom: what shapes its axis."""
    return tuple(
        (int(row), int(epoch)) for row, epoch in sorted(set(zip(frame["row"], frame["epoch"], strict=True)))
    )


def ridge_chart(frame: pd.DataFrame, part: str, colour: str) -> alt.Chart:
    """One layer's histograms, an epoch a row (epoch 0, before training, at the top)."""
    return _ridge(part, colour, ridge_labels(frame)).properties(data=frame)


@functools.lru_cache(maxsize=256)
def ridge_spec(part: str, colour: str, labels: tuple[tuple[int, int], ...]) -> dict:
    """`ridge_chart`'s specification without data, the same until an epoch is added."""
    return spec_of(_ridge(part, colour, labels))


def _ridge(part: str, colour: str, rows: tuple[tuple[int, int], ...]) -> alt.Chart:
    labels = dict(rows)
    label_expression = " : ".join(f"datum.value == {row} ? '{epoch}'" for row, epoch in labels.items())
    axis = alt.Axis(
        values=list(labels),
        labelExpr=f"{label_expression} : ''" if labels else alt.Undefined,
        grid=False,
        title="epoch",
    )
    single = part[:-1]
    return (
        alt.Chart(height=40 + ROW_PX * (len(labels) + 1))
        .mark_area(
            interpolate="monotone", clip=True, opacity=0.75, stroke="white", strokeWidth=1, color=colour
        )
        .encode(
            x=alt.X("value:Q", title=f"{single} value"),
            y=alt.Y(
                "top:Q",
                axis=axis,
                scale=alt.Scale(reverse=True, domain=[-RIDGE_RISE, max(labels, default=0) + 0.2]),
            ),
            y2="row:Q",
            detail="epoch:Q",
            order=alt.Order("epoch:Q"),
            tooltip=[
                alt.Tooltip("epoch:Q", title="epoch"),
                alt.Tooltip("from:Q", format=".4f", title=f"{part} from"),
                alt.Tooltip("to:Q", format=".4f", title="to"),
                alt.Tooltip("share:Q", format=".1%", title=f"share of the layer's {part}"),
            ],
        )
    )


def update_frame(runs: dict[str, list[WeightSnapshot]]) -> pd.DataFrame:
    """Per model, layer and epoch: how far that epoch moved the layer's numbers, in % of the length
    of all of them together."""
    rows = [
        (model, layer.title, snapshot.epoch, 100 * layer.relative_update, layer.update)
        for model, snapshots in runs.items()
        for snapshot in snapshots
        for layer in snapshot.layers
        if layer.relative_update is not None
    ]
    return pd.DataFrame(rows, columns=["model", "layer", "epoch", "change", "length"])


def update_chart(frame: pd.DataFrame, layers: list[str]) -> alt.Chart:
    """A line per layer: the move of each epoch, as a share of the length of all its numbers."""
    return _moves(tuple(layers)).properties(data=frame)


@functools.lru_cache(maxsize=256)
def update_spec(layers: tuple[str, ...]) -> dict:
    """`update_chart`'s specification without data."""
    return spec_of(_moves(layers))


def _moves(layers: tuple[str, ...]) -> alt.Chart:
    layers = list(layers)
    return (
        # Streamlit fits the axis titles and the legend inside the height: a title longer than
        # the height squashes the plot to nothing, so the title is short and the sentence says the rest.
        alt.Chart(height=380)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("change:Q", title="change in the epoch (%)"),
            color=alt.Color(
                "layer:N",
                sort=layers,
                scale=alt.Scale(domain=layers, range=MODEL_COLOURS * (1 + len(layers) // len(MODEL_COLOURS))),
                legend=alt.Legend(title="layer", orient="bottom", columns=1, labelLimit=400),
            ),
            tooltip=[
                "model:N",
                "layer:N",
                "epoch:Q",
                alt.Tooltip("change:Q", format=".2f", title="change (%)"),
                alt.Tooltip("length:Q", format=".4f", title="length of the change"),
            ],
        )
    )


def _layers_of(snapshots: list[WeightSnapshot]) -> list[tuple[str, str]]:
    """(name, title) of each layer in the latest snapshot, in the model's order."""
    return [(layer.name, layer.title) for layer in snapshots[-1].layers] if snapshots else []


def not_numbers_sentence(snapshots: list[WeightSnapshot], name: str, part: str) -> str | None:
    """How many of the layer's `part` are no longer numbers at the latest epoch; None if none."""
    latest = snapshots[-1]
    histogram = next((_part(layer, part) for layer in latest.layers if layer.name == name), None)
    if histogram is None or not histogram.not_numbers:
        return None
    return (
        f"{histogram.not_numbers:,} of its {part} are no longer numbers at epoch {latest.epoch}: they "
        "grew too large to hold (a learning rate far too high does that). The ridges show the others."
    )


def _has(snapshots: list[WeightSnapshot], name: str, part: str) -> bool:
    """Whether the layer has any `part`, numbers or not, at any epoch."""
    return any(
        (histogram := _part(layer, part)) is not None and histogram.total + histogram.not_numbers > 0
        for snapshot in snapshots
        for layer in snapshot.layers
        if layer.name == name
    )


def _ridges(snapshots: list[WeightSnapshot], part: str, colour: str, key: str, across: int) -> None:
    frame = ridge_frame(snapshots, part)
    layers = [(name, title) for name, title in _layers_of(snapshots) if _has(snapshots, name, part)]
    if not layers:
        st.markdown(f"No layer of this network has {part}.")
        return
    for first in range(0, len(layers), across):
        row = layers[first : first + across]
        for column, (name, title) in zip(st.columns(across), row, strict=False):
            with column:
                st.markdown(f"**{literal(title)}**")
                sentence = not_numbers_sentence(snapshots, name, part)
                if sentence:
                    st.caption(sentence)
                shown = frame[frame["layer"] == name]
                if not shown.empty:
                    spec = ridge_spec(part, colour, ridge_labels(shown))
                    st.vega_lite_chart(with_data(spec, shown), width="stretch", key=f"{key}_{part}_{name}")


def show(runs: dict[str, list[WeightSnapshot]], key: str, models: list[str] | None = None) -> None:
    """The ridges of every run's layers and the line of their moves; a run per column when several.

    `models` fixes each model's colour, in the order of the other charts (default: the runs').
    """
    runs = {name: snapshots for name, snapshots in runs.items() if snapshots}
    if not runs:
        return
    models = list(models or runs)
    part = st.segmented_control(
        "Show each layer's",
        list(PARTS),
        default="weights",
        required=True,
        key=f"{key}_part",
        help="A layer multiplies what reaches it by its weights, then adds its biases.",
    )
    part = part or "weights"
    st.markdown(
        f"Each row is one epoch, from epoch 0 (before training) at the top down to the latest: the "
        f"higher the ridge over a value, the more of the layer's {part} have that value. As a network "
        f"learns, its {part} spread out from where they started; a learning rate that is too high "
        "blows them wide apart within an epoch or two."
    )
    colours = {
        name: MODEL_COLOURS[models.index(name) % len(MODEL_COLOURS)] for name in runs if name in models
    }
    if len(runs) == 1:
        ((name, snapshots),) = runs.items()
        _ridges(snapshots, part, colours.get(name, MODEL_COLOURS[0]), f"{key}_0", LAYERS_A_ROW)
    else:
        for index, (column, (name, snapshots)) in enumerate(
            zip(st.columns(len(runs)), runs.items(), strict=True)
        ):
            with column:
                st.markdown(f"**{literal(name)}**")
                _ridges(snapshots, part, colours.get(name, MODEL_COLOURS[0]), f"{key}_{index}", 1)
    moves = update_frame(runs)
    if moves.empty:
        return
    st.markdown(
        "How far each epoch moved each layer: the length of the change to all its weights and biases, "
        "as a share of the length of all of them together (the square root of the sum of their "
        "squares). Large at first, smaller as the network settles; a line that stays high means the "
        "layer never settles (a learning rate too high does that)."
    )
    columns = st.columns(len(runs))
    for index, (column, name) in enumerate(zip(columns, runs, strict=True)):
        frame = moves[moves["model"] == name]
        if frame.empty:
            continue
        with column:
            if len(runs) > 1:
                st.markdown(f"**{literal(name)}**")
            layers = [title for _, title in _layers_of(runs[name])]
            spec = update_spec(tuple(layers))
            st.vega_lite_chart(with_data(spec, frame), width="stretch", key=f"{key}_{index}_moves")
