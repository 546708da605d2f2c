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
