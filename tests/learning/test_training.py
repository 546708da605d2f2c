"""Training: the curve points it reports while it runs, stopping, and the lab's accuracy."""

import threading

import numpy as np
import pytest

from mnist_app.datasets.dataset import Dataset
from mnist_app.learning.training import TrainConfig, train


def test_lab_mlp_learns_the_sample(trained_mlp):
    """Two epochs on 4,000 real digits already read nine test digits in ten."""
    assert trained_mlp.test_accuracy > 0.88
    assert trained_mlp.epochs_completed == 2
    assert not trained_mlp.stopped_early
    assert len(trained_mlp.epoch_seconds) == 2


def test_curve_has_train_points_within_epochs_and_validation_at_each_end(sample):
    events = []
    result = train(sample, TrainConfig("mlp", epochs=2, batch_size=32), on_progress=events.append)
    epochs = [p.epoch for p in result.curve if p.split == "train"]
    assert any(0 < e < 1 for e in epochs), "the curve must grow during the first epoch, not only at its end"
    assert [p.epoch for p in result.curve if p.split == "validation"] == [1, 2]
    fractions = [event.fraction for event in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(np.isfinite(p.loss) and 0 <= p.accuracy <= 1 for p in result.curve)


def test_stop_request_ends_training_early_and_still_evaluates(sample):
    stop = threading.Event()

    def stop_after_first_epoch(progress):
        if any(p.split == "validation" for p in progress.points):
            stop.set()

    result = train(sample, TrainConfig("mlp", epochs=20), on_progress=stop_after_first_epoch, stop=stop)
    assert result.stopped_early
    assert 1 <= result.epochs_completed < 20
    assert 0.5 < result.test_accuracy <= 1


def test_metadata_records_what_the_model_is(trained_mlp):
    metadata = trained_mlp.metadata(command="test")
    assert metadata["arch"] == "mlp" and metadata["dataset"] == "mnist-sample"
    assert metadata["classes"] == [str(d) for d in range(10)]
    assert metadata["test_accuracy"] == pytest.approx(trained_mlp.test_accuracy, abs=1e-6)
    for key in ("epochs", "batch_size", "learning_rate", "test_loss", "training_seconds", "created"):
        assert key in metadata


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (TrainConfig(epochs=0), "epochs must lie in 1..10,000"),
        (TrainConfig(arch="rnn"), "unknown architecture"),
        (TrainConfig(batch_size=0), "batch size"),
        (TrainConfig(learning_rate=0), "learning rate"),
    ],
)
def test_bad_choices_are_refused_with_a_reason(config, message):
    with pytest.raises(ValueError, match=message):
        config.validate()


def test_dataset_without_training_images_is_refused(sample):
    empty = Dataset("empty", "test", sample.x_train[:0], sample.y_train[:0], sample.x_test, sample.y_test)
    with pytest.raises(ValueError, match="no training images"):
        train(empty, TrainConfig())


def test_final_figures_are_what_keras_evaluate_says(trained_mlp, sample):
    """The compiled validation loop (batches padded to equal size) agrees with `evaluate`."""
    from mnist_app.datasets.dataset import to_model_input

    loss, accuracy = trained_mlp.model.evaluate(
        to_model_input(sample.x_test), np.eye(10)[sample.y_test], batch_size=100, verbose=0
    )
    assert trained_mlp.test_accuracy == pytest.approx(accuracy, abs=1e-6)
    assert trained_mlp.test_loss == pytest.approx(loss, rel=1e-4)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_every_image_is_trained_on_once_an_epoch_short_last_batch_included(sample, arch):
    """1,000 images in batches of 33: 30 full batches and one of 10, as `fit` would run them."""
    # Every fourth image: all ten digits (the sample is sorted by label).
    small = Dataset("small", "test", sample.x_train[::4], sample.y_train[::4], sample.x_test, sample.y_test)
    result = train(small, TrainConfig(arch, epochs=2, batch_size=33), seed=0)
    assert int(result.model.optimizer.iterations.numpy()) == 2 * 31
    assert result.test_accuracy > 0.6
    train_points = [p for p in result.curve if p.split == "train"]
    assert train_points[-1].epoch == 2 and train_points[-1].loss < train_points[0].loss


def test_padded_batches_cover_every_row_once_with_weight_one():
    from mnist_app.learning.training import padded_batches

    rows, weights = padded_batches(2500, 1024)
    assert rows.shape == weights.shape == (3, 1024)
    assert sorted(rows[weights == 1].tolist()) == list(range(2500))
    assert weights.sum() == 2500


def test_epoch_batches_shuffle_every_row_into_full_batches_then_the_rest():
    from mnist_app.learning.training import epoch_batches

    rng = np.random.default_rng(0)
    first, second = epoch_batches(100, 32, rng), epoch_batches(100, 32, rng)
    assert [b.shape for b in first] == [(3, 32), (1, 4)]
    assert sorted(np.concatenate([b.ravel() for b in first]).tolist()) == list(range(100))
    assert not np.array_equal(first[0], second[0]), "each epoch reshuffles"
    assert [b.shape for b in epoch_batches(64, 32, rng)] == [(2, 32)]
    assert [b.shape for b in epoch_batches(10, 32, rng)] == [(1, 10)]


def test_the_curve_history_round_trips_through_save_and_load(trained_mlp, tmp_path):
    from mnist_app.learning.curves import HISTORY_KEY, from_history
    from mnist_app.learning.model_files import read_metadata
    from mnist_app.learning.model_store import ModelStore

    saved = ModelStore(tmp_path).save_new(trained_mlp.model, "mlp", trained_mlp.metadata())
    back = from_history(read_metadata(saved.path)[HISTORY_KEY])
    assert len(back) == len(trained_mlp.curve)
    for before, after in zip(trained_mlp.curve, back, strict=True):
        assert (after.epoch, after.split) == (before.epoch, before.split)
        assert after.loss == pytest.approx(before.loss, abs=1e-6)
        assert after.seconds == pytest.approx(before.seconds, abs=1e-3)
    seconds = [p.seconds for p in back if p.split == "validation"]
    assert 0 < seconds[0] < seconds[1] <= trained_mlp.seconds


@pytest.mark.parametrize("bfloat16", ["0", "1"])
def test_the_cnn_comes_back_in_float32_with_figures_keras_agrees_with(sample, monkeypatch, bfloat16):
    """Whether its steps computed in bfloat16 or not, the model that comes back is float32 and
    its final figures are that model's, as `evaluate` gives them."""
    from mnist_app.datasets.dataset import to_model_input

    monkeypatch.setenv("MNIST_APP_BFLOAT16", bfloat16)
    small = Dataset("small", "test", sample.x_train[::8], sample.y_train[::8], sample.x_test, sample.y_test)
    result = train(small, TrainConfig("cnn", epochs=1, batch_size=32), seed=0)
    assert all(layer.compute_dtype == "float32" for layer in result.model.layers)
    assert int(result.model.optimizer.iterations.numpy()) == 16
    loss, accuracy = result.model.evaluate(
        to_model_input(sample.x_test), np.eye(10)[sample.y_test], batch_size=100, verbose=0
    )
    assert result.test_accuracy == pytest.approx(accuracy, abs=1e-6)
    assert result.test_loss == pytest.approx(loss, rel=1e-4)


def test_a_cnn_saved_with_keras_random_layers_inside_fine_tunes(sample, tmp_path):
    """Models saved before the augmentation moved into the trainer still serve as a base."""
    import keras

    from mnist_app.learning.architectures import build_cnn
    from mnist_app.learning.model_files import save_model

    new_style = build_cnn()
    old_style = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            new_style.layers[0],
            keras.layers.RandomRotation(0.04),
            *new_style.layers[1:],
        ]
    )
    base = save_model(old_style, tmp_path / "old.keras", {"arch": "cnn"})
    small = Dataset("small", "test", sample.x_train[::40], sample.y_train[::40], sample.x_test, sample.y_test)
    tuned = train(small, TrainConfig("cnn", epochs=1, batch_size=32, base=str(base)))
    assert [layer.__class__.__name__ for layer in tuned.model.layers] == [
        layer.__class__.__name__ for layer in new_style.layers
    ]
    assert tuned.model.count_params() == old_style.count_params()
