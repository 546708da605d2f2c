"""Curve points, and the history a saved model keeps of them."""

import json
import math

import pytest

from mnist_app.learning.curves import MAX_HISTORY_POINTS, CurvePoint, frame, from_history, history


def curve(epochs: int, per_epoch: int = 10) -> list[CurvePoint]:
    points = []
    for epoch in range(epochs):
        for step in range(1, per_epoch + 1):
            at = epoch + step / per_epoch
            points.append(CurvePoint(at, "train", 1 / at, 1 - 0.1 / at, seconds=at * 2))
        points.append(CurvePoint(epoch + 1, "validation", 1.1 / (epoch + 1), 0.9, seconds=(epoch + 1) * 2))
    return points


def test_a_history_survives_json_and_comes_back_as_the_same_points():
    points = curve(3)
    points[0] = CurvePoint(0.1, "train", math.nan, 0.5, seconds=0.2)
    back = from_history(json.loads(json.dumps(history(points))))
    assert len(back) == len(points)
    assert math.isnan(back[0].loss) and back[0].accuracy == 0.5
    key = lambda p: (p.epoch, p.split)  # noqa: E731
    for before, after in zip(sorted(points, key=key)[1:], sorted(back, key=key)[1:], strict=True):
        assert after.split == before.split
        assert after.epoch == pytest.approx(before.epoch, abs=1e-4)
        assert after.loss == pytest.approx(before.loss, abs=1e-6)
        assert after.seconds == pytest.approx(before.seconds, abs=1e-3)


def test_a_long_run_is_thinned_but_keeps_its_ends_and_its_validation_points():
    points = curve(1_000)
    kept = from_history(history(points))
    assert len(kept) <= MAX_HISTORY_POINTS
    validation = [p for p in kept if p.split == "validation"]
    assert len(validation) == MAX_HISTORY_POINTS // 2 and validation[-1].epoch == 1_000
    assert [p for p in kept if p.split == "train"][-1].epoch == 1_000
    assert len(json.dumps(history(points))) < 200_000, "well under the description's 1 MiB cap"


@pytest.mark.parametrize(
    "saved",
    [
        None,
        "curve",
        {},
        {"epoch": [1], "split": ["train"], "loss": [1.0], "accuracy": [0.5]},
        {"epoch": [1, 2], "split": ["train"], "loss": [1.0], "accuracy": [0.5], "seconds": [1.0]},
        {"epoch": [], "split": [], "loss": [], "accuracy": [], "seconds": []},
        {"epoch": ["1"], "split": ["train"], "loss": [1.0], "accuracy": [0.5], "seconds": [1.0]},
        {"epoch": [True], "split": ["train"], "loss": [1.0], "accuracy": [0.5], "seconds": [1.0]},
        {"epoch": [1], "split": ["test"], "loss": [1.0], "accuracy": [0.5], "seconds": [1.0]},
        {"epoch": [1], "split": [["train"]], "loss": [1.0], "accuracy": [0.5], "seconds": [1.0]},
        {"epoch": [10**400], "split": ["train"], "loss": [1.0], "accuracy": [0.5], "seconds": [1.0]},
        {"epoch": [1], "split": ["train"], "loss": [float("inf")], "accuracy": [0.5], "seconds": [1.0]},
        {"epoch": [1], "split": ["train"], "loss": [1.0], "accuracy": [1.5], "seconds": [1.0]},
        {"epoch": [1], "split": ["train"], "loss": [1.0], "accuracy": [0.5], "seconds": [-1.0]},
        {"epoch": [None], "split": ["train"], "loss": [1.0], "accuracy": [0.5], "seconds": [1.0]},
        {"epoch": [1] * 5000, "split": ["train"] * 5000, "loss": [1] * 5000, "accuracy": [1] * 5000,
         "seconds": [1] * 5000},
    ],
)  # fmt: skip
def test_a_history_that_does_not_add_up_is_no_history(saved):
    assert from_history(saved) is None


def test_the_frame_holds_every_run_by_name():
    table = frame({"a": curve(1), "b": curve(2)})
    assert list(table.columns) == ["model", "split", "epoch", "seconds", "loss", "accuracy"]
    assert table.groupby("model").size().to_dict() == {"a": 11, "b": 22}
