"""Weights over time: histograms that count every weight, moves between epochs, and a saved history
that round-trips through a model's description and is ignored when forged or damaged."""

import copy
import json
from dataclasses import replace

import numpy as np
import pytest

from mnist_app.learning.weight_history import (
    MAX_EPOCHS_KEPT,
    WEIGHTS_KEY,
    Histogram,
    LayerWeights,
    WeightSnapshot,
    from_history,
    histogram,
    history,
    thinned,
    titled,
)


def test_each_layers_histograms_count_all_its_weights_and_biases(trained_mlp):
    """Epoch 0 (before training) and each epoch's end; every weight and bias in one bin."""
    snapshots = trained_mlp.weights
    assert [s.epoch for s in snapshots] == [0, 1, 2]
    dense = [layer for layer in trained_mlp.model.layers if layer.trainable_weights]
    for snapshot in snapshots:
        assert [layer.name for layer in snapshot.layers] == [layer.name for layer in dense]
        for recorded, layer in zip(snapshot.layers, dense, strict=True):
            assert recorded.weights.total == int(np.prod(layer.kernel.shape))
            assert recorded.biases.total == int(np.prod(layer.bias.shape))
            assert len(recorded.weights.counts) == 30
    first, last = snapshots[0].layers[0], snapshots[-1].layers[0]
    assert first.title == "Dense 1: 784 units, relu", "named in words, never dense_2"
    assert first.update is None and last.update > 0
    kernel = np.asarray(dense[0].kernel)
    assert last.weights.low == pytest.approx(kernel.min()) and last.weights.high == pytest.approx(
        kernel.max()
    )
    numbers = np.concatenate([np.ravel(v) for v in dense[0].trainable_weights])
    assert last.norm == pytest.approx(float(np.linalg.norm(numbers)), rel=1e-4)


def test_biases_that_all_start_at_zero_fill_one_bin_of_a_narrow_range(trained_mlp):
    biases = trained_mlp.weights[0].layers[0].biases
    assert biases.low < 0 < biases.high and biases.high - biases.low < 1e-5
    assert sorted(biases.counts)[-1] == biases.total == 784
    constant = histogram(np.full(10, 3.0, np.float32))
    assert constant.low < 3 < constant.high and max(constant.counts) == 10


def test_the_history_round_trips_through_the_saved_description(trained_mlp, tmp_path):
    from mnist_app.learning.model_files import read_metadata, save_model

    path = save_model(trained_mlp.model, tmp_path / "mlp.keras", trained_mlp.metadata())
    back = from_history(read_metadata(path)[WEIGHTS_KEY])
    assert back is not None and len(back) == len(trained_mlp.weights)
    for before, after in zip(trained_mlp.weights, back, strict=True):
        assert after.epoch == before.epoch
        for was, now in zip(before.layers, after.layers, strict=True):
            assert (now.name, now.title) == (was.name, was.title)
            assert now.weights.counts == was.weights.counts and now.biases.counts == was.biases.counts
            assert now.weights.low == pytest.approx(was.weights.low, rel=1e-6)
            assert now.norm == pytest.approx(was.norm, abs=1e-6)
            assert (now.update is None) == (was.update is None)


def fake(epochs: int, layers: int = 2, bins: int = 30) -> list[WeightSnapshot]:
    def layer(index, epoch):
        counts = tuple(int(c) for c in np.roll(np.arange(bins), epoch))
        return LayerWeights(
            f"layer_{index}",
            f"Dense {index}",
            Histogram(-0.5, 0.25 + epoch, counts),
            None,
            2.0,
            epoch or None,
        )

    return [WeightSnapshot(epoch, tuple(layer(i, epoch) for i in range(layers))) for epoch in range(epochs)]


def test_a_long_run_is_thinned_and_keeps_its_first_and_last_epochs():
    saved = history(fake(201))
    assert saved["epochs"][0] == 0 and saved["epochs"][-1] == 200 and len(saved["epochs"]) == MAX_EPOCHS_KEPT
    assert len(json.dumps(saved)) < 60_000
    assert (
        len(history(fake(3, layers=100))["epochs"]) == 3 and len(history(fake(50, layers=100))["epochs"]) == 4
    )
    assert [s.epoch for s in thinned(fake(5), 3)] == [0, 2, 4]
    assert from_history(json.loads(json.dumps(saved))) is not None


def damaged(saved: dict, change) -> dict:
    forged = copy.deepcopy(saved)
    change(forged)
    return forged


def in_line(place: int, value: str):
    """A change to the second epoch's histogram of the first layer's weights: `value` at `place`."""

    def change(saved):
        parts = saved["layers"][0]["weights"][1].split(" ")
        parts[place] = value.replace("OLD", parts[place])
        saved["layers"][0]["weights"][1] = " ".join(parts)

    return change


@pytest.mark.parametrize(
    "change",
    [
        in_line(2, "-1"),
        in_line(2, "OLD5"),  # the layer's count of weights changes
        in_line(2, "1.0"),
        in_line(2, "٣"),
        in_line(2, "OLD 7"),
        in_line(0, "nan"),
        in_line(0, "1e400"),
        in_line(1, "-0.5"),  # below its low end
        lambda h: h["layers"][0]["weights"].__setitem__(1, [-0.5, 1.25]),
        lambda h: h["layers"][0]["weights"].pop(),
        lambda h: h["layers"][0]["norm"].pop(),
        lambda h: h["layers"][0]["update"].__setitem__(1, "far"),
        lambda h: h["layers"][0].__setitem__("title", 7),
        lambda h: h["layers"][0].__setitem__("title", "x" * 201),
        lambda h: h["layers"][1].__setitem__("name", "layer_0"),
        lambda h: h["epochs"].reverse(),
        lambda h: h["epochs"].__setitem__(0, True),
        lambda h: h.__setitem__("bins", 31),
        lambda h: h.__setitem__("layers", {}),
        lambda h: h.__setitem__("epochs", list(range(1000))),
        lambda h: h.pop("epochs"),
    ],
)
def test_a_forged_or_damaged_history_is_ignored(change):
    saved = json.loads(json.dumps(history(fake(3))))
    assert from_history(saved) is not None
    assert from_history(damaged(saved, change)) is None


@pytest.mark.parametrize("saved", [None, [], "weights", {}, {"epochs": [0], "layers": [], "bins": 30}])
def test_no_history_is_none(saved):
    assert from_history(saved) is None


def test_titles_shown_are_the_models_own_and_unknown_layers_are_left_out():
    snapshots = fake(2)
    shown = titled(snapshots, {"layer_1": "Dense 2: 100 units, relu"})
    assert [[(layer.name, layer.title) for layer in s.layers] for s in shown] == [
        [("layer_1", "Dense 2: 100 units, relu")]
    ] * 2
    assert titled(snapshots, {"other": "Dense 1"}) is None
    assert titled([replace(snapshots[0], layers=())], {}) is None
