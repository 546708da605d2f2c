"""Tests for mnist_app.web.panels: what the pages' curves and confusion matrices share."""


def test_a_stale_or_odd_selection_selects_nothing():
    from mnist_app.web.panels import selected_cell

    assert selected_cell({"cells": [[3, "9"]]}, 10) == (3, 9)
    for odd in [None, {}, {"cells": []}, {"cells": [[10, "1"]]}, {"cells": [[1, "10"]]}, {"cells": [[-1, "1"]]},
                {"cells": [[1, "x"]]}, {"cells": [["1", "1"]]}, {"cells": [[1, "1"], [2, "2"]]}]:  # fmt: skip
        assert selected_cell(odd, 10) is None
