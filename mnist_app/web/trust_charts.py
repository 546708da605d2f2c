"""The Trust page's Altair charts: accuracy curves per model, the reliability diagram, the
confidences of digits and non-digits against the threshold, and bars per model.

Chart specifications and the tables they draw (no Streamlit): the page draws them, tests
read them. Every model keeps its colour from `charts.MODEL_COLOURS`, in the order given.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from mnist_app.web.charts import MODEL_COLOURS

# Streamlit fits a chart's axes and legend inside its height too: these leave the plot room.
CURVE_HEIGHT = 320
BARS_HEIGHT = 340
ROW_HEIGHT, STRIP_ROOM = 36, 150
BEFORE_COLOUR, AFTER_COLOUR, IDEAL_COLOUR, THRESHOLD_COLOUR = "#7f7f7f", "#ff7f0e", "#262730", "#d62728"


def model_colours(models: list[str]) -> alt.Scale:
    return alt.Scale(domain=list(models), range=MODEL_COLOURS[: max(1, len(models))])


def curves_frame(curves: dict[str, list]) -> pd.DataFrame:
    """One row per point: model, curve (its title), setting, accuracy, digits measured."""
    rows = [
        {"model": model, "curve": c.title, "setting": s, "accuracy": a, "digits": c.n}
        for model, kept in curves.items()
        for c in kept
        for s, a in zip(c.settings, c.accuracy, strict=True)
    ]
    return pd.DataFrame(rows, columns=["model", "curve", "setting", "accuracy", "digits"])


def accuracy_curves(
    frame: pd.DataFrame, setting_title: str, models: list[str], dashed: list[str] | None = None
) -> alt.Chart:
    """Accuracy against a setting, a colour per model; with `dashed` (curve titles in order), the
    second curve of each model dashed (said in words above the chart: legends' dashes are too short)."""
    encoding = {
        "x": alt.X("setting:Q", title=setting_title),
        "y": alt.Y("accuracy:Q", title="test digits read right", scale=alt.Scale(domain=[0, 1]),
                   axis=alt.Axis(format=".0%")),
        "color": alt.Color("model:N", scale=model_colours(models), legend=alt.Legend(orient="bottom")),
        "tooltip": ["model", "curve", alt.Tooltip("setting:Q", format=".3~f"),
                    alt.Tooltip("accuracy:Q", format=".1%"), "digits"],
    }  # fmt: skip
    if dashed:
        encoding["strokeDash"] = alt.StrokeDash("curve:N", sort=dashed, legend=None)
        encoding["detail"] = "curve:N"
    return alt.Chart(frame, height=CURVE_HEIGHT).mark_line(point=True, strokeWidth=2).encode(**encoding)


def reliability_frame(calibration) -> pd.DataFrame:
    """The reliability diagram's filled bins, before and after temperature scaling."""
    rows = []
    for when, kept in (("before", calibration.before), ("after temperature scaling", calibration.after)):
        for confidence, accuracy, count in zip(kept.confidence, kept.accuracy, kept.counts, strict=True):
            if count > 0:
                rows.append(
                    {"when": when, "confidence": confidence, "accuracy": accuracy, "digits": int(count)}
                )
    return pd.DataFrame(rows, columns=["when", "confidence", "accuracy", "digits"])


def reliability_chart(frame: pd.DataFrame) -> alt.Chart:
    """How often the model is right against how sure it was, bin by bin; the black diagonal is a
    model exactly as sure as it is right. Grey before temperature scaling, orange after."""
    ideal = (
        alt.Chart(pd.DataFrame({"confidence": [0.0, 1.0], "accuracy": [0.0, 1.0]}))
        .mark_line(color=IDEAL_COLOUR, strokeDash=[4, 4])
        .encode(x="confidence:Q", y="accuracy:Q")
    )
    points = (
        alt.Chart(frame)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("confidence:Q", title="how sure it was (mean of the bin)", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format=".0%")),
            y=alt.Y("accuracy:Q", title="how often it was right", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format=".0%")),
            color=alt.Color("when:N", scale=alt.Scale(domain=["before", "after temperature scaling"],
                            range=[BEFORE_COLOUR, AFTER_COLOUR]), legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["when", alt.Tooltip("confidence:Q", format=".1%"), alt.Tooltip("accuracy:Q", format=".1%"),
                     "digits"],
        )
    )  # fmt: skip
    return alt.layer(ideal, points).properties(height=CURVE_HEIGHT)


def confidence_frame(confidences, titles: dict[str, str]) -> pd.DataFrame:
    """One row per (kind of item, confidence bin): the share of those items whose confidence falls in it."""
    edges = confidences.edges
    rows = [
        {"items": titles.get(name, name), "from": float(low), "to": float(high), "share": float(share)}
        for name, shares in confidences.shares.items()
        for low, high, share in zip(edges[:-1], edges[1:], shares, strict=True)
    ]
    return pd.DataFrame(rows, columns=["items", "from", "to", "share"])


def confidence_chart(frame: pd.DataFrame, threshold: float, order: list[str]) -> alt.Chart:
    """A strip per kind of item, darker where more of them have that confidence; the red line is
    the threshold below which the app says "not a digit"."""
    cells = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("from:Q", title="the model's confidence in its answer", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format=".0%")),
            x2="to:Q",
            y=alt.Y("items:N", title=None, sort=order),
            color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]),
                            legend=alt.Legend(title="share of the row", format=".0%", orient="bottom")),
            tooltip=["items", alt.Tooltip("from:Q", format=".0%"), alt.Tooltip("to:Q", format=".0%"),
                     alt.Tooltip("share:Q", format=".1%")],
        )
    )  # fmt: skip
    line = (
        alt.Chart(pd.DataFrame({"threshold": [threshold]}))
        .mark_rule(color=THRESHOLD_COLOUR, strokeWidth=3)
        .encode(x="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", format=".1%")])
    )
    return alt.layer(cells, line).properties(height=STRIP_ROOM + ROW_HEIGHT * len(order))


def bars_frame(values: dict[str, dict[str, float]], category: str, value: str) -> pd.DataFrame:
    """{model: {category: value}} as rows."""
    rows = [
        {"model": model, category: name, value: figure}
        for model, by_name in values.items()
        for name, figure in by_name.items()
    ]
    return pd.DataFrame(rows, columns=["model", category, value])


def model_bars(
    frame: pd.DataFrame, category: str, value: str, title: str, models: list[str], line: float | None = None
) -> alt.Chart:
    """Bars of `value` per `category`, side by side per model, from 0 to 100%; a grey line at `line`
    (what chance scores), said in words above the chart."""
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{category}:N", title=None, sort=None, axis=alt.Axis(labelAngle=0, labelLimit=160)),
            xOffset=alt.XOffset("model:N", sort=list(models)),
            y=alt.Y(f"{value}:Q", title=title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
            color=alt.Color("model:N", scale=model_colours(models), legend=alt.Legend(orient="bottom")),
            tooltip=["model", category, alt.Tooltip(f"{value}:Q", format=".1%")],
        )
    )
    if line is None:
        return bars.properties(height=BARS_HEIGHT)
    rule = alt.Chart(pd.DataFrame({value: [line]})).mark_rule(color=BEFORE_COLOUR, strokeDash=[4, 4])
    return alt.layer(bars, rule.encode(y=f"{value}:Q")).properties(height=BARS_HEIGHT)


def change_picture(change: np.ndarray, epsilon: float) -> np.ndarray:
    """The change made visible: mid grey for none, white for +ε, black for -ε (uint8)."""
    scaled = (
        0.5 + np.asarray(change, np.float64) / (2 * epsilon) if epsilon > 0 else np.full(change.shape, 0.5)
    )
    return np.clip(np.round(scaled * 255), 0, 255).astype(np.uint8)
