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


@pytest.fixture(scope="module")
def built_presets(sample):
    """Every Build preset trained as a designed network, 1 epoch on 1,000 drawn images, 10% mislabelled."""
    from mnist_app.learning.designs import PRESETS

    return {
        title: train(
            sample,
            TrainConfig("built", 1, 16, layers=layers, train_size=1000, label_noise=0.1, seed=7),
            seed=0,
        )
        for title, layers in PRESETS.items()
    }


def test_every_preset_built_as_a_design_learns_and_says_what_it_was(built_presets, tmp_path):
    from mnist_app.learning.designs import PRESETS, from_dicts
    from mnist_app.learning.model_files import read_metadata, save_model

    for title, result in built_presets.items():
        assert result.test_accuracy > 0.2, f"{title} learns well above chance (10%)"
        assert int(result.model.optimizer.iterations.numpy()) == 63, "1,000 images in batches of 16"
        path = save_model(result.model, tmp_path / f"{result.config.network_name}.keras", result.metadata())
        described = read_metadata(path)
        assert described["arch"] == "built"
        assert from_dicts(described["layers"]) == PRESETS[title]
        assert described["optimizer"] == "adam" and described["augment"] is False
        assert (described["train_size"], described["noisy_labels"]) == (1000, 100)
        assert described["test_images"] == 1000, "the sample's whole test split, however few trained on"
        assert (described["label_noise"], described["seed"]) == (0.1, 7)


def test_a_designed_network_is_fused_by_xla_only_without_convolutions(built_presets):
    models = {title: result.model for title, result in built_presets.items()}
    assert models["The lab's MLP"].jit_compile and models["Logistic regression"].jit_compile
    assert not models["LeNet-5"].jit_compile and not models["A tiny CNN"].jit_compile
    assert all(layer.compute_dtype == "float32" for model in models.values() for layer in model.layers)


def test_the_presets_descriptions_list_their_layers_and_the_choices_made(trained_mlp):
    from mnist_app.learning.designs import PRESETS, from_dicts

    metadata = trained_mlp.metadata()
    assert from_dicts(metadata["layers"]) == PRESETS["The lab's MLP"]
    assert metadata["optimizer"] == "adam" and metadata["augment"] is False
    assert (metadata["train_size"], metadata["label_noise"], metadata["noisy_labels"]) == (4000, 0.0, 0)


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop"])
def test_other_optimizers_train_and_are_recorded(sample, optimizer):
    result = train(sample, TrainConfig("mlp", 1, 32, 0.01, optimizer=optimizer, train_size=500), seed=0)
    assert type(result.model.optimizer).__name__ == {"sgd": "SGD", "rmsprop": "RMSprop"}[optimizer]
    assert result.metadata()["optimizer"] == optimizer and result.test_accuracy > 0.3


def test_a_training_set_larger_than_the_dataset_is_refused_before_training(sample):
    with pytest.raises(ValueError, match="the dataset has 4,000 training images; cannot train on 4,001"):
        train(sample, TrainConfig(train_size=4001))


def test_a_designed_network_fine_tunes_from_its_own_saved_layers(built_presets, sample, tmp_path):
    from mnist_app.learning.finetune import base_network
    from mnist_app.learning.model_files import read_metadata, save_model

    lenet = built_presets["LeNet-5"]
    base = save_model(lenet.model, tmp_path / "lenet.keras", lenet.metadata())
    arch, layers = base_network(read_metadata(base), "lenet.keras")
    config = TrainConfig(arch, 1, 32, 3e-4, base=str(base), layers=layers, train_size=200)
    tuned = train(sample, config, seed=0)
    assert tuned.metadata()["fine_tuned_from"] == "lenet"
    assert tuned.model.count_params() == lenet.model.count_params()
    # Seven Adam steps at a rate of 0.0003 move a weight by at most about 0.007; new weights
    # would lie a tenth or more away.
    for before, after in zip(lenet.model.get_weights(), tuned.model.get_weights(), strict=True):
        assert np.abs(after - before).max() < 0.01, "it starts from the trained weights"
    other = TrainConfig("built", 1, 32, 3e-4, base=str(base), layers=layers[:-1], train_size=200)
    with pytest.raises(ValueError, match="lenet.keras is not a my-network model of this app"):
        train(sample, other)


def test_a_dense_stack_with_normalisation_and_dropout_trains_fused_by_xla(sample):
    from mnist_app.learning.designs import parse_text

    layers = parse_text("batchnorm,flatten,dense:64:tanh,batchnorm,dropout:0.3,dense:32:gelu")
    result = train(sample, TrainConfig("built", 1, layers=layers, train_size=1000), seed=0)
    assert result.model.jit_compile and result.test_accuracy > 0.3
