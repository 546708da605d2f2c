"""The app's Altair charts: curves of several runs, bars per class, probabilities side by side.

Chart specifications only (no Streamlit): `st.altair_chart` draws them, tests read them. The
charts a live page redraws every second (curves, weights) are built without their data, turned
into a Vega-Lite specification once (`spec_of`, cached by what shapes the chart) and drawn with
`st.vega_lite_chart(with_data(spec, frame))`: Altair's `to_dict` and its schema checks were most
of the cost of a redraw, which thirty open Train pages paid every second (BENCHMARKS.md, "A
class of thirty").
"""

from __future__ import annotations

import functools

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


# The name a specification gives its one table; `with_data` fills it in.
DATA_NAME = "table"


def spec_of(chart: alt.Chart) -> dict:
    """A chart built without data as a Vega-Lite specification, its data left to `with_data`.

    Altair's default theme sets a view size that Streamlit's own conversion leaves out (it
    switches to the theme "none", a global); here it is taken off the result instead.
    """
    spec = chart.to_dict()
    spec.pop("data", None)
    spec.pop("datasets", None)
    config = spec.get("config", {})
    config.pop("view", None)
    if not config:
        spec.pop("config", None)
    return spec


def with_data(spec: dict, frame: pd.DataFrame) -> dict:
    """`spec` drawing `frame`: a new top level; the cached specification is never changed."""
    return {**spec, "data": {"name": DATA_NAME}, "datasets": {DATA_NAME: frame}}


def curve_frame(frame: pd.DataFrame, axis: str, measure: str) -> pd.DataFrame:
    """The rows of a curves table that `curve_spec(axis, measure, …)` can draw."""
    return frame.dropna(subset=[AXES[axis][0], measure])


@functools.lru_cache(maxsize=256)
def curve_spec(axis: str, measure: str, models: tuple[str, ...]) -> dict:
    """`curve`'s specification without data: the same for every redraw of the same runs."""
    return spec_of(_curve(axis, measure, models))


def curve(frame: pd.DataFrame, axis: str, measure: str, models: list[str]) -> alt.Chart:
    """One measure (loss or accuracy) of every run: a colour per model, dashes for validation."""
    return _curve(axis, measure, tuple(models)).properties(data=curve_frame(frame, axis, measure))


def _curve(axis: str, measure: str, models: tuple[str, ...]) -> alt.Chart:
    field, title = AXES[axis]
    return (
        alt.Chart(height=HEIGHT)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X(f"{field}:Q", title=title, scale=alt.Scale(domainMin=0)),
            y=alt.Y(f"{measure}:Q", title=measure, scale=alt.Scale(zero=False)),
            color=alt.Color("model:N", scale=_model_colours(list(models)), legend=_legend("model")),
            # Solid and dashed are explained under the charts: a legend's dash samples are too short to read.
            strokeDash=alt.StrokeDash("split:N", sort=["train", "validation"], legend=None),
            detail="split:N",
            tooltip=["model:N", "split:N", alt.Tooltip("epoch:Q", format=".2f"), "seconds:Q", f"{measure}:Q"],
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
