"""Weights over time: histograms that count every weight, moves between epochs, and a saved history
that round-trips through a model's description and is ignored when forged or damaged; weights
that overflow, and layers without weights, are recorded and kept too."""

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
    WeightRecorder,
    WeightSnapshot,
    as_description,
    from_description,
    histogram,
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
    back = from_description(read_metadata(path)[WEIGHTS_KEY])
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


def test_a_history_of_more_bins_than_the_app_writes_is_refused():
    assert from_description(as_description(fake(3, bins=30))) is not None
    assert from_description(as_description(fake(3, bins=1000))) is None


def test_a_long_run_is_thinned_and_keeps_its_first_and_last_epochs():
    saved = as_description(fake(201))
    assert saved["epochs"][0] == 0 and saved["epochs"][-1] == 200 and len(saved["epochs"]) == MAX_EPOCHS_KEPT
    assert len(json.dumps(saved)) < 60_000
    assert (
        len(as_description(fake(3, layers=100))["epochs"]) == 3
        and len(as_description(fake(50, layers=100))["epochs"]) == 4
    )
    assert [s.epoch for s in thinned(fake(5), 3)] == [0, 2, 4]
    assert from_description(json.loads(json.dumps(saved))) is not None


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
    saved = json.loads(json.dumps(as_description(fake(3))))
    assert from_description(saved) is not None
    assert from_description(damaged(saved, change)) is None


@pytest.mark.parametrize("saved", [None, [], "weights", {}, {"epochs": [0], "layers": [], "bins": 30}])
def test_no_history_is_none(saved):
    assert from_description(saved) is None


def test_titles_shown_are_the_models_own_and_unknown_layers_are_left_out():
    snapshots = fake(2)
    shown = titled(snapshots, {"layer_1": "Dense 2: 100 units, relu"})
    assert [[(layer.name, layer.title) for layer in s.layers] for s in shown] == [
        [("layer_1", "Dense 2: 100 units, relu")]
    ] * 2
    assert titled(snapshots, {"other": "Dense 1"}) is None
    assert titled([replace(snapshots[0], layers=())], {}) is None


@pytest.mark.parametrize(
    ("values", "counted", "not_numbers"),
    [
        ([1, np.nan], 1, 1),
        ([1, np.inf, -np.inf], 1, 2),
        ([np.nan], 0, 1),
        ([], 0, 0),
        ([-3e38, 3e38, 0], 3, 0),
    ],
)
def test_numbers_that_overflowed_are_counted_apart_from_the_bins(values, counted, not_numbers):
    shown = histogram(np.array(values, np.float32))
    assert (shown.total, shown.not_numbers) == (counted, not_numbers)
    if counted:
        assert shown.low < shown.high and np.isfinite([shown.low, shown.high]).all()
    else:
        assert shown.low == shown.high == 0


def overflowing(layers: int = 2) -> list[WeightSnapshot]:
    """Three epochs of which the last has lost some weights and all of one layer's biases to NaN."""
    snapshots = fake(2, layers)
    last = snapshots[-1]
    broken = [
        replace(
            layer,
            weights=Histogram(-0.5, 1.25, (0,) * 29 + (430,), not_numbers=5),
            biases=Histogram(0.0, 0.0, (0,) * 30, not_numbers=4),
            norm=None,
            update=None,
        )
        for layer in last.layers
    ]
    with_biases = [
        WeightSnapshot(
            s.epoch, tuple(replace(layer, biases=Histogram(-1, 1, (4,) + (0,) * 29)) for layer in s.layers)
        )
        for s in snapshots
    ]
    return [*with_biases, WeightSnapshot(2, tuple(broken))]


def test_a_history_whose_weights_overflowed_round_trips():
    saved = json.loads(json.dumps(as_description(overflowing())))
    assert saved["layers"][0]["weights"][-1].endswith(" 430 5") and saved["layers"][0]["norm"][-1] is None
    back = from_description(saved)
    assert back is not None
    last = back[-1].layers[0]
    assert (last.weights.total, last.weights.not_numbers) == (430, 5)
    assert (last.biases.total, last.biases.not_numbers, last.biases.low, last.biases.high) == (0, 4, 0, 0)
    assert last.norm is None and last.relative_update is None
    broken = damaged(
        saved, lambda h: h["layers"][0]["weights"].__setitem__(2, saved["layers"][0]["weights"][2] + "0")
    )
    assert from_description(broken) is None, "5 became 50: the layer's count of weights changes"


@pytest.mark.parametrize(
    "line",
    [
        "0.5 0.5" + " 0" * 29 + " 4",  # no width, yet numbers in its bins
        "1 0" + " 0" * 30 + " 4",  # its low end above its high end
        "0 0" + " 0" * 30 + " 4 1",  # a number too many
        "0 0" + " 0" * 30 + " -4",
    ],
)
def test_a_histogram_without_width_is_refused_unless_it_counts_nothing_in_its_bins(line):
    saved = json.loads(json.dumps(as_description(overflowing())))
    saved["layers"][1]["biases"][2] = line
    assert from_description(saved) is None


def test_lengths_too_large_for_a_description_are_left_out():
    snapshots = [
        WeightSnapshot(
            s.epoch, tuple(replace(layer, norm=3e20, update=1e16 if s.epoch else None) for layer in s.layers)
        )
        for s in fake(2)
    ]
    saved = as_description(snapshots)
    assert saved["layers"][0]["norm"] == [None, None] and saved["layers"][0]["update"] == [None, None]
    from mnist_app.learning.model_files import check_metadata

    check_metadata({WEIGHTS_KEY: saved}, "test")
    assert from_description(json.loads(json.dumps(saved))) is not None


def test_a_layer_without_weights_or_without_biases_is_recorded_and_kept():
    """A BatchNormalization without its scale has only a shift (biases); a Dense without bias only weights."""
    import keras

    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.BatchNormalization(scale=False),
            keras.layers.Dense(10, use_bias=False),
        ]
    )
    recorder = WeightRecorder(model)
    snapshots = [recorder.record(0), recorder.record(1)]
    norm, dense = snapshots[-1].layers
    assert (norm.weights.total, norm.weights.low, norm.weights.high, norm.biases.total) == (0, 0, 0, 784)
    assert dense.biases is None and dense.weights.total == 7840
    assert dense.update == 0 and dense.relative_update == 0
    back = from_description(json.loads(json.dumps(as_description(snapshots))))
    assert back is not None and [layer.name for layer in back[-1].layers] == [norm.name, dense.name]
    assert back[-1].layers[0].weights.total == 0 and back[-1].layers[1].biases is None


def test_the_recorder_measures_only_the_numbers_that_are_still_numbers():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, kernel_initializer="ones")])
    recorder = WeightRecorder(model)
    recorder.record(0)
    kernel, bias = model.get_weights()
    kernel[0, 0], kernel[1, 1], bias[:] = np.nan, 3.0, np.inf
    model.set_weights([kernel, bias])
    (layer,) = recorder.record(1).layers
    assert (layer.weights.total, layer.weights.not_numbers, layer.biases.not_numbers) == (11, 1, 3)
    assert layer.norm == pytest.approx(np.sqrt(10 + 9)) and layer.update == pytest.approx(2.0)
    model.set_weights([np.full_like(kernel, np.nan), bias])
    (layer,) = recorder.record(2).layers
    assert layer.norm is None and layer.update is None and layer.relative_update is None


def test_training_whose_weights_overflow_completes_and_saves_its_history(sample, tmp_path):
    """A learning rate far too high, as a lesson shows it: here a start from weights a billion
    billion times too large, which overflow within the first epoch."""
    from mnist_app.datasets.dataset import Dataset
    from mnist_app.learning.architectures import architecture_for
    from mnist_app.learning.model_files import check_metadata, save_model
    from mnist_app.learning.training import TrainConfig, starting_model, train

    config = TrainConfig("mlp", epochs=1, batch_size=64, optimizer="sgd", learning_rate=0.1)
    start = starting_model(config, architecture_for("mlp", (), None))
    start.set_weights([w * 1e18 for w in start.get_weights()])
    base = save_model(start, tmp_path / "huge.keras", {"arch": "mlp"})
    small = Dataset(
        "small", "test", sample.x_train[::8], sample.y_train[::8], sample.x_test[:200], sample.y_test[:200]
    )
    result = train(small, replace(config, base=str(base)))
    assert [s.epoch for s in result.weights] == [0, 1]
    assert any(layer.weights.not_numbers for layer in result.weights[-1].layers), "the weights overflowed"
    saved = result.metadata()[WEIGHTS_KEY]
    check_metadata({WEIGHTS_KEY: saved}, "huge")  # Every number one a description may hold.
    back = from_description(json.loads(json.dumps(saved)))
    assert back is not None and [s.epoch for s in back] == [0, 1]
    assert [layer.weights.not_numbers for layer in back[-1].layers] == [
        layer.weights.not_numbers for layer in result.weights[-1].layers
    ]
    path = save_model(result.model, tmp_path / "overflowed.keras", result.metadata())
    # Its loss is no number, kept as null: the model is still listed and read back.
    from mnist_app.learning.model_files import read_metadata

    assert read_metadata(path)["test_loss"] is None
