"""Tests for mnist_app.web.panels: what the pages' curves and confusion matrices share."""


def test_a_stale_or_odd_selection_selects_nothing():
    from mnist_app.web.panels import selected_cell

    assert selected_cell({"cells": [[3, "9"]]}, 10) == (3, 9)
    for odd in [None, {}, {"cells": []}, {"cells": [[10, "1"]]}, {"cells": [[1, "10"]]}, {"cells": [[-1, "1"]]},
                {"cells": [[1, "x"]]}, {"cells": [["1", "1"]]}, {"cells": [[1, "1"], [2, "2"]]}]:  # fmt: skip
        assert selected_cell(odd, 10) is None


def test_per_class_accuracy_starts_its_axis_where_the_differences_show():
    import pandas as pd

    from mnist_app.web.charts import accuracy_floor, grouped_bars

    assert accuracy_floor([0.96, 0.99, 0.97]) == 0.9
    assert accuracy_floor([0.42, 0.9]) == 0.35
    assert accuracy_floor([0.03, 0.5]) == 0.0
    frame = pd.DataFrame({"class": ["0", "1"], "model": ["m", "m"], "accuracy": [0.96, 0.99]})
    spec = grouped_bars(
        frame, "class", "accuracy", "model", "read right", ["m"], floor=0.9, percent=True
    ).to_dict()
    assert spec["encoding"]["y"]["scale"] == {"domain": [0.9, 1.0], "zero": False}
    assert spec["encoding"]["y"]["title"] == "read right"


def _as_altair_draws_it(chart) -> tuple[dict, list]:
    """A chart's specification with its data inline, without the theme's view size."""
    spec = chart.to_dict(format="vega-lite")
    (values,) = spec.pop("datasets").values()
    spec.pop("data")
    spec.get("config", {}).pop("view", None)
    if not spec.get("config", True):
        spec.pop("config")
    return spec, values


def test_a_live_charts_cached_specification_draws_what_its_altair_chart_draws():
    """Live pages draw a cached specification with the frame beside it; nothing may differ from the chart."""
    import json

    import altair as alt
    import pandas as pd

    from mnist_app.learning.curves import CurvePoint, frame
    from mnist_app.web import charts, weight_charts

    runs = {"a": [CurvePoint(0.5, "train", 0.9, 0.7, 1.0), CurvePoint(1.0, "validation", 0.5, 0.8, 2.0)],
            "<b>b</b>": [CurvePoint(1.0, "train", float("nan"), 0.5, 3.0)]}  # fmt: skip
    table = frame(runs)
    moves = pd.DataFrame(
        {"model": ["a"], "layer": ["dense 'x'"], "epoch": [1], "change": [3.0], "length": [0.1]}
    )
    ridges = pd.DataFrame({"row": [0, 1], "epoch": [0, 2], "top": [-1.0, 0.5], "value": [0.1, 0.2],
                           "from": [0.0, 0.1], "to": [0.2, 0.3], "share": [0.5, 0.5]})  # fmt: skip
    pairs = [
        (charts.curve(table, "epochs", "loss", list(runs)), charts.curve_spec("epochs", "loss", tuple(runs)),
         charts.curve_frame(table, "epochs", "loss")),
        (charts.curve(table, "seconds", "accuracy", list(runs)),
         charts.curve_spec("seconds", "accuracy", tuple(runs)), charts.curve_frame(table, "seconds", "accuracy")),
        (weight_charts.ridge_chart(ridges, "weights", "#123456"),
         weight_charts.ridge_spec("weights", "#123456", weight_charts.ridge_labels(ridges)), ridges),
        (weight_charts.update_chart(moves, ["dense 'x'"]), weight_charts.update_spec(("dense 'x'",)), moves),
    ]  # fmt: skip
    for chart, spec, data in pairs:
        expected, values = _as_altair_draws_it(chart)
        drawn = charts.with_data(spec, data)
        assert drawn["datasets"][charts.DATA_NAME] is data and drawn["data"] == {"name": charts.DATA_NAME}
        assert {k: v for k, v in drawn.items() if k not in ("data", "datasets")} == expected
        assert json.loads(data.to_json(orient="records")) == values, "the frame drawn is the chart's"
        assert "datasets" not in spec and "data" not in spec, "the cached specification is never given data"
        # Valid Vega-Lite, or it raises.
        alt.Chart.from_dict({**drawn, "datasets": {charts.DATA_NAME: values}})
    assert charts.curve_spec("epochs", "loss", tuple(runs)) is pairs[0][1], "built once, then reused"
