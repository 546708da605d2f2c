"""Training: the curve points it reports while it runs, stopping, and the lab's accuracy."""

import threading

import numpy as np
import pytest

from mnist_app.data import Dataset
from mnist_app.training import TrainConfig, train


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
        (TrainConfig(epochs=0), "epochs must be at least 1"),
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
