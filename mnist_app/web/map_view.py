"""The Map page's charts: every test digit as a point, the drawn one among them, and the
classes' separation layer by layer.

Chart specifications and the tables behind them only (no Streamlit): the page draws them,
tests read them. A point's hover shows its digit: Vega-Lite's tooltip renders a field named
`image` holding a data URL as a picture.
"""

from __future__ import annotations

import base64
import functools
import io
import json

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

# matplotlib's tab10: ten hues that part at a glance, one per class.
CLASS_COLOURS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip
MAP_HEIGHT = 520
SEPARATION_HEIGHT = 240
AREA = "area"  # the name of the map's selection, as `st.altair_chart` reports it
YOURS = "your digit"
CROWDED = 2_000  # more digits than this, and the dots and rings are drawn smaller
DIGITS, DRAWN = "digits", "drawn"  # the map's datasets, by name


def digit_urls(images: np.ndarray) -> list[str]:
    """Each 28x28 uint8 digit as a PNG data URL, for the map's hover."""
    urls = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
        urls.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    return urls


def class_name(names, label: int) -> str:
    """A class's name, or its number where the names do not reach (a model of other classes)."""
    return names[label] if 0 <= label < len(names) else str(label)


def map_frame(points, labels, predicted, class_names, urls: list[str] | None = None) -> pd.DataFrame:
    """One row per test digit: where it sits, its class, what the model said, its picture."""
    labels, predicted = np.asarray(labels, dtype=int), np.asarray(predicted, dtype=int)
    top = int(max(labels.max(initial=0), predicted.max(initial=0)))
    names = np.array([class_name(list(class_names), label) for label in range(top + 1)], dtype=object)
    frame = pd.DataFrame(
        {
            "x": np.asarray(points[:, 0], dtype=np.float32),
            "y": np.asarray(points[:, 1], dtype=np.float32),
            "digit": np.arange(len(labels)),
            "true class": names[labels],
            "the model said": names[predicted],
            "misread": labels != predicted,
        }
    )
    if urls is not None:
        frame["image"] = urls[: len(frame)]
    return frame


def _tooltip(images: bool) -> list:
    shown = [alt.Tooltip("image:N")] if images else []
    return [
        *shown,
        alt.Tooltip("digit:Q", title="test digit #"),
        alt.Tooltip("true class:N"),
        alt.Tooltip("the model said:N"),
    ]


def map_spec(frame: pd.DataFrame, class_names, drawn: tuple[float, float] | None = None) -> dict:
    """The map as a Vega-Lite specification with its data (`st.vega_lite_chart` draws it): the test
    digits coloured by true class, the misread ones ringed, the drawn digit marked.

    The specification is made once per set of classes and reused with each stroke's data, so a
    stroke does not pay for Altair's validation of it (the tests validate it once).
    """
    crowded = len(frame) > CROWDED
    spec = json.loads(_map_layout(tuple(class_names), drawn is not None, "image" in frame, crowded))
    spec["datasets"] = {DIGITS: frame}
    if drawn is not None:
        spec["datasets"][DRAWN] = pd.DataFrame({"x": [float(drawn[0])], "y": [float(drawn[1])]})
    return spec


@functools.lru_cache(maxsize=16)
def _map_layout(class_names: tuple[str, ...], drawn: bool, images: bool, crowded: bool) -> str:
    return json.dumps(map_layout(class_names, drawn, images, crowded).to_dict(validate=False))


def map_layout(class_names, drawn: bool, images: bool = True, crowded: bool = False) -> alt.LayerChart:
    """The map's chart, its data named (DIGITS, DRAWN) rather than given.

    Its axes have no units (only distances mean something), so they are left bare. A crowded
    map gets smaller dots and fainter rings, so that the rings do not hide the clusters.
    """
    names = list(dict.fromkeys(class_names))
    colour = alt.Color(
        "true class:N",
        scale=alt.Scale(domain=names, range=CLASS_COLOURS[: len(names)] or CLASS_COLOURS),
        legend=alt.Legend(title="true class", orient="bottom", columns=5, symbolType="circle"),
    )
    bare = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
    x = alt.X("x:Q", axis=bare, scale=alt.Scale(zero=False, nice=False))
    y = alt.Y("y:Q", axis=bare, scale=alt.Scale(zero=False, nice=False))
    points = (
        alt.Chart()
        .mark_circle(size=8 if crowded else 16, opacity=0.6 if crowded else 0.75)
        .encode(x=x, y=y, color=colour, tooltip=_tooltip(images))
        .add_params(alt.selection_interval(name=AREA, encodings=["x", "y"]))
    )
    rings = (
        alt.Chart()
        .transform_filter(alt.datum.misread)
        .mark_point(
            shape="circle",
            filled=False,
            size=36 if crowded else 90,
            strokeWidth=0.7 if crowded else 1.4,
            opacity=0.45 if crowded else 1.0,
            color="#111",
        )
        .encode(x=x, y=y, tooltip=_tooltip(images))
    )
    layers = [points, rings]
    if drawn:
        you = alt.Chart(alt.NamedData(DRAWN))
        layers += [
            you.mark_point(
                shape="diamond", filled=True, size=420, color="#000", stroke="#fff", strokeWidth=2
            ).encode(x=x, y=y, tooltip=alt.value(YOURS)),
            you.mark_text(
                dy=-22, fontSize=15, fontWeight="bold", color="#000", stroke="#fff", strokeWidth=0.6
            ).encode(x=x, y=y, text=alt.value(YOURS)),
        ]
    return alt.layer(*layers, data=alt.NamedData(DIGITS)).properties(height=MAP_HEIGHT)


def selected_digits(selection, frame: pd.DataFrame) -> np.ndarray:
    """The digits inside the box dragged on the map (the chart's selection, as a browser sent it), in order."""
    area = selection.get(AREA) if isinstance(selection, dict) else None
    if not isinstance(area, dict):
        return np.zeros(0, dtype=int)
    bounds = []
    for axis in ("x", "y"):
        span = area.get(axis)
        if not (isinstance(span, list | tuple) and len(span) == 2):
            return np.zeros(0, dtype=int)
        try:
            low, high = sorted(float(end) for end in span)
        except (TypeError, ValueError):
            return np.zeros(0, dtype=int)
        bounds.append((low, high))
    (x0, x1), (y0, y1) = bounds
    inside = frame["x"].between(x0, x1) & frame["y"].between(y0, y1)
    return frame.loc[inside, "digit"].to_numpy()


def short_title(title: str) -> str:
    """A layer's title up to its colon ("Dense 1"), for an axis where the whole would not fit."""
    return title.split(":", 1)[0].removeprefix("The ")


def separation_frame(rows) -> pd.DataFrame:
    """`separation`'s (layer, kNN accuracy, silhouette) rows as a table, a row per layer and measure."""
    records = []
    for order, (layer, knn, silhouette) in enumerate(rows):
        for measure, value in (("kNN accuracy", knn), ("silhouette", silhouette)):
            records.append((order, short_title(layer.title), layer.title, measure, float(value)))
    return pd.DataFrame(records, columns=["order", "layer", "title", "measure", "value"])


def separation_floor(values) -> float:
    """Where an accuracy axis starts: a tenth below the lowest value, so that the rise shows."""
    lowest = float(min(values, default=0.0))
    return max(0.0, min(0.9, np.floor(lowest * 10) / 10 - 0.1))


def separation_chart(frame: pd.DataFrame, measure: str, title: str, percent: bool = False) -> alt.Chart:
    """One measure across the layers, input to output, as a line with a dot per layer."""
    layers = list(dict.fromkeys(frame.sort_values("order")["layer"]))
    shown = frame[frame["measure"] == measure]
    if percent:
        domain = [separation_floor(shown["value"]), 1.0]
    else:
        domain = [min(-0.1, float(shown["value"].min()) if len(shown) else 0.0), 1.0]
    return (
        alt.Chart(shown, height=SEPARATION_HEIGHT)
        .mark_line(point=alt.OverlayMarkDef(size=60), strokeWidth=2, color="#1f77b4")
        .encode(
            x=alt.X(
                "layer:N",
                sort=layers,
                title=None,
                axis=alt.Axis(labelAngle=0 if len(layers) <= 5 else -40, labelLimit=120),
            ),
            y=alt.Y(
                "value:Q",
                title=title,
                scale=alt.Scale(domain=domain),
                axis=alt.Axis(format=".0%") if percent else alt.Undefined,
            ),
            tooltip=[
                alt.Tooltip("title:N", title="layer"),
                alt.Tooltip("value:Q", title=title, format=".1%" if percent else ".2f"),
            ],
        )
    )
