"""Panels more than one page draws: training curves, and a confusion matrix that shows its digits."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnist_app.datasets.dataset import Dataset
from mnist_app.learning.curves import CurvePoint, frame, gap_sentences
from mnist_app.learning.evaluation import Evaluation
from mnist_app.web import charts
from mnist_app.web.plain_text import literal

MAX_CELL_DIGITS = 24
DIGIT_PX = 56
# Narrow columns, so two matrices side by side show all ten columns without scrolling.
COUNT_PX = 40
CLASS_NAME_PX = 60


def curves(runs: dict[str, list[CurvePoint]], key: str, models: list[str] | None = None) -> None:
    """Loss and accuracy of every run on one pair of charts, against epochs or the clock.

    `models` fixes each model's colour (default: the runs' order), so that it matches other charts.
    """
    models = list(models or runs)
    axis = st.segmented_control(
        "Curves against",
        list(charts.AXES),
        default="epochs",
        required=True,
        key=f"{key}_axis",
        help="Per epoch, a convolutional network learns more; per second, it costs more. "
        "Seconds count from each run's own start.",
    )
    table = frame(runs)
    st.markdown(
        "Solid lines: how the network does on the digits it trains on, averaged over its latest "
        "batches. Dashed lines: the test digits it never trains on, measured at the end of each epoch."
    )
    for sentence in gap_sentences({literal(name): curve for name, curve in runs.items()}):
        st.markdown(sentence)
    left, right = st.columns(2)
    axis = axis or "epochs"
    for column, measure in ((left, "loss"), (right, "accuracy")):
        spec = charts.curve_spec(axis, measure, tuple(models))
        column.vega_lite_chart(
            charts.with_data(spec, charts.curve_frame(table, axis, measure)), width="stretch"
        )


def taking_turns(snapshots: list) -> None:
    """While more than one job of a run is queued or training, say that they take turns."""
    if sum(snapshot.active for snapshot in snapshots) > 1:
        st.markdown(
            "The networks take turns on the trainer: the one waiting starts when the one "
            "training ends. Each curve's seconds count from its own start."
        )


def selected_cell(selection, size: int) -> tuple[int, int] | None:
    """(row, column) of the one selected cell, if the selection still fits the matrix."""
    cells = (selection or {}).get("cells") or []
    if len(cells) != 1:
        return None
    row, column = cells[0]
    if not (isinstance(row, int) and 0 <= row < size and str(column).isdigit() and int(column) < size):
        return None
    return row, int(column)


def confusion_matrix(evaluation: Evaluation, data: Dataset, key: str) -> None:
    """The matrix; selecting a cell (true 4, said 9) shows the test digits behind it."""
    names = list(data.class_names)
    size = len(names)
    # Columns are positions, not names: a selection comes back by column name, and class
    # names (Fashion-MNIST's "T-shirt/top") need not be unique or short.
    table = pd.DataFrame(evaluation.confusion, index=names, columns=[str(i) for i in range(size)])
    event = st.dataframe(
        table.style.background_gradient(cmap="Blues", axis=None),
        key=key,
        on_select="rerun",
        selection_mode="single-cell",
        column_config={
            "_index": st.column_config.TextColumn(width=CLASS_NAME_PX),
            **{str(i): st.column_config.NumberColumn(names[i], width=COUNT_PX) for i in range(size)},
        },
        width="stretch",
    )
    st.caption("Rows: the true class; columns: what the model said. Select a cell to see its digits.")
    cell = selected_cell(event.selection, size)
    if cell is None:
        return
    true, said = cell
    found = evaluation.cell(data.y_test, true, said)
    shown = found[:MAX_CELL_DIGITS]
    more = f"; the {len(shown)} it was surest of" if len(found) > len(shown) else ""
    st.markdown(
        f"**True {literal(names[true])}, said {literal(names[said])}:** {len(found):,} test digits{more}."
    )
    if len(found):
        st.image(
            [data.x_test[i] for i in shown],
            width=DIGIT_PX,
            caption=[f"#{i} ({evaluation.confidence[i]:.0%})" for i in shown],
        )


def per_class_accuracy(evaluations: dict[str, Evaluation], names: list[str]) -> None:
    """Accuracy on each class, a bar per model side by side."""
    rows = [
        (name, names[label], float(accuracy))
        for name, evaluation in evaluations.items()
        for label, accuracy in enumerate(evaluation.per_class_accuracy)
    ]
    table = pd.DataFrame(rows, columns=["model", "class", "accuracy"])
    floor = charts.accuracy_floor(table["accuracy"])
    if floor:
        st.markdown(
            f"The share of each class's test digits read right; the axis starts at {floor:.0%}, "
            "not at zero, so that the differences between classes show."
        )
    title = "test digits of the class read right"
    chart = charts.grouped_bars(
        table, "class", "accuracy", "model", title, list(evaluations), floor=floor, percent=True
    )
    st.altair_chart(chart, width="stretch")
