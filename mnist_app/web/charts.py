"""The app's Altair charts: curves of several runs, bars per class, probabilities side by side.

Chart specifications only (no Streamlit): `st.altair_chart` draws them, tests read them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

AXES = {"epochs": ("epoch", "epoch"), "seconds": ("seconds", "seconds since training began")}
HEIGHT = 280
# Distinct hues (matplotlib's tab10), not shades of one: two models' four lines must part at a glance.
MODEL_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def _legend(title: str) -> alt.Legend:
    """Legends under the plot, so a narrow column keeps its width for the curves."""
    return alt.Legend(title=title, orient="bottom")


def _model_colours(models: list[str]) -> alt.Scale:
    """A fixed colour per model, in the order given: the same model, the same colour, on every chart."""
    return alt.Scale(domain=list(models), range=MODEL_COLOURS[: max(1, len(models))])


def curve(frame: pd.DataFrame, axis: str, measure: str, models: list[str]) -> alt.Chart:
    """One measure (loss or accuracy) of every run: a colour per model, dashes for validation."""
    field, title = AXES[axis]
    return (
        alt.Chart(frame.dropna(subset=[field, measure]), height=HEIGHT)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X(f"{field}:Q", title=title, scale=alt.Scale(domainMin=0)),
            y=alt.Y(f"{measure}:Q", title=measure, scale=alt.Scale(zero=False)),
            color=alt.Color("model:N", scale=_model_colours(models), legend=_legend("model")),
            # Solid and dashed are explained under the charts: a legend's dash samples are too short to read.
            strokeDash=alt.StrokeDash("split:N", sort=["train", "validation"], legend=None),
            detail="split:N",
            tooltip=["model", "split", alt.Tooltip("epoch:Q", format=".2f"), "seconds", measure],
        )
    )


def accuracy_floor(values) -> float:
    """Where an accuracy axis starts: a little below the lowest bar, so that ten classes at 95
    to 99% look different instead of ten equal bars from zero."""
    lowest = float(min(values, default=0.0))
    return max(0.0, min(0.9, (int(lowest * 20) - 1) / 20))


def grouped_bars(
    frame: pd.DataFrame,
    category: str,
    value: str,
    group: str,
    title: str,
    groups: list[str],
    floor: float = 0.0,
    percent: bool = False,
) -> alt.Chart:
    """Bars of `value` per `category`, one beside the other for each of `groups` (models), in order.

    `floor`: where the value axis starts (the bars are clipped there, and the axis says so).
    """
    return (
        alt.Chart(frame, height=HEIGHT)
        .mark_bar(clip=True)
        .encode(
            x=alt.X(f"{category}:N", title=category, sort=None),
            xOffset=alt.XOffset(f"{group}:N", sort=list(groups)),
            y=alt.Y(
                f"{value}:Q",
                title=title,
                scale=alt.Scale(domain=[floor, 1.0] if floor else alt.Undefined, zero=not floor),
                axis=alt.Axis(format=".0%") if percent else alt.Undefined,
            ),
            color=alt.Color(f"{group}:N", scale=_model_colours(groups), legend=_legend(group)),
            tooltip=[category, group, alt.Tooltip(f"{value}:Q", format=".4f")],
        )
    )
