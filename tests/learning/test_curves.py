"""Curve points, and the history a saved model keeps of them."""

import itertools
import json
import math
import statistics

import pytest

from mnist_app.learning.curves import (
    MAX_HISTORY_POINTS,
    CurvePoint,
    frame,
    from_history,
    gap_sentences,
    history,
    recent,
)


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


def keras_running_averages(batch_losses: list[list[float]], reports_per_epoch: int) -> list[CurvePoint]:
    """Training points as Keras reports them: each the average of its epoch so far."""
    points = []
    for epoch, losses in enumerate(batch_losses):
        per_report = len(losses) // reports_per_epoch
        for report in range(1, reports_per_epoch + 1):
            seen = losses[: report * per_report]
            average = sum(seen) / len(seen)
            points.append(CurvePoint(epoch + report / reports_per_epoch, "train", average, 1 - average / 2))
        points.append(CurvePoint(epoch + 1, "validation", losses[-1], 1 - losses[-1] / 2))
    return points


def test_training_curves_have_no_cliff_at_a_whole_epoch():
    """The issue's curves dropped at every whole epoch: the epoch's average restarted."""
    batches, epochs = 100, 4
    loss = [[1.8 * 0.7 ** ((e * batches + b) / batches) for b in range(batches)] for e in range(epochs)]
    raw = keras_running_averages(loss, reports_per_epoch=10)
    shown = [p for p in recent(raw) if p.split == "train"]
    raw_train = [p for p in raw if p.split == "train"]
    raw_steps = [b.loss - a.loss for a, b in itertools.pairwise(raw_train)]
    steps = [b.loss - a.loss for a, b in itertools.pairwise(shown)]
    assert min(raw_steps) < 3 * statistics.median(raw_steps), "Keras' own figures do drop at each epoch"
    assert all(step < 0 for step in steps), "the loss the batches saw only fell"
    assert max(abs(step) for step in steps) < 2 * statistics.median(abs(step) for step in steps)
    thinned = [p for i, p in enumerate(raw) if i % 3 == 0 or p.split == "validation"]
    assert all(
        b.loss < a.loss for a, b in itertools.pairwise(p for p in recent(thinned) if p.split == "train")
    )


def test_a_gap_between_training_and_test_is_explained_in_words():
    dropout = [
        CurvePoint(0.5, "train", 0.6, 0.86),
        CurvePoint(1, "train", 0.5, 0.88),
        CurvePoint(1, "validation", 0.1, 0.97),
    ]
    (sentence,) = gap_sentences({"CNN": dropout})
    assert sentence.startswith(
        "CNN scores 9 percentage points higher on the test digits than while it trains"
    )
    assert "while it was still learning" in sentence and "dropout (where the network has it)" in sentence
    memorised = [CurvePoint(1, "train", 0.01, 1.0), CurvePoint(1, "validation", 0.9, 0.8)]
    (sentence,) = gap_sentences({"MLP": memorised})
    assert sentence.startswith("MLP scores 20 percentage points higher on its training digits")
    assert "by heart (over-fitting)" in sentence
    close = [CurvePoint(1, "train", 0.1, 0.97), CurvePoint(1, "validation", 0.1, 0.975)]
    assert gap_sentences({"MLP": close}) == []
