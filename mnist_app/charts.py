"""The app's Altair charts: curves of several runs, bars per class, probabilities side by side.

Chart specifications only (no Streamlit): `st.altair_chart` draws them, tests read them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

AXES = {"epochs": ("epoch", "epoch"), "seconds": ("seconds", "seconds since training began")}
HEIGHT = 280


def curve(frame: pd.DataFrame, axis: str, measure: str) -> alt.Chart:
    """One measure (loss or accuracy) of every run: a colour per model, dashes for validation."""
    field, title = AXES[axis]
    return (
        alt.Chart(frame.dropna(subset=[field, measure]), height=HEIGHT)
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X(f"{field}:Q", title=title),
            y=alt.Y(f"{measure}:Q", title=measure, scale=alt.Scale(zero=False)),
            color=alt.Color("model:N", title="model"),
            strokeDash=alt.StrokeDash("split:N", title="split", sort=["train", "validation"]),
            detail="split:N",
            tooltip=["model", "split", alt.Tooltip("epoch:Q", format=".2f"), "seconds", measure],
        )
    )


def grouped_bars(frame: pd.DataFrame, category: str, value: str, group: str, title: str) -> alt.Chart:
    """Bars of `value` per `category`, one beside the other for each `group` (a model)."""
    return (
        alt.Chart(frame, height=HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X(f"{category}:N", title=category, sort=None),
            xOffset=alt.XOffset(f"{group}:N"),
            y=alt.Y(f"{value}:Q", title=title),
            color=alt.Color(f"{group}:N", title=group),
            tooltip=[category, group, alt.Tooltip(f"{value}:Q", format=".4f")],
        )
    )
