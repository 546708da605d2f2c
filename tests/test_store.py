"""Saved models: one .keras file each, its description inside, saved atomically, loaded safely."""

import zipfile

import keras
import numpy as np
import pytest

from mnist_app.evaluation import predict_probabilities
from mnist_app.store import METADATA_ENTRY, ModelError, ModelStore, load_model, read_metadata, save_model


def test_save_and_load_round_trip_keeps_predictions_and_metadata(trained_mlp, models_dir, sample):
    store = ModelStore()
    saved = store.save(trained_mlp.model, "lab-mlp", trained_mlp.metadata())
    assert saved.path == models_dir / "lab-mlp.keras"
    assert read_metadata(saved.path)["test_accuracy"] == pytest.approx(trained_mlp.test_accuracy, abs=1e-6)
    loaded = load_model(saved.path)
    for trained, restored in zip(trained_mlp.model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(restored, trained)
    # The trained model predicts through XLA, the loaded one (not compiled) through oneDNN:
    # the same weights, float rounding apart.
    before = predict_probabilities(trained_mlp.model, sample.x_test[:50])
    after = predict_probabilities(loaded, sample.x_test[:50])
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_description_travels_inside_the_keras_file(trained_mlp, models_dir):
    path = ModelStore().save(trained_mlp.model, "inside", {"arch": "mlp"}).path
    with zipfile.ZipFile(path) as archive:
        assert METADATA_ENTRY in archive.namelist()
    assert [p.name for p in models_dir.iterdir()] == ["inside.keras"]


def test_list_is_newest_first_and_marks_broken_files(trained_mlp, models_dir):
    store = ModelStore()
    store.save(trained_mlp.model, "older", {"created": "2026-01-01T00:00:00+00:00"})
    store.save(trained_mlp.model, "newer", {"created": "2026-06-01T00:00:00+00:00"})
    (models_dir / "broken.keras").write_text("not a zip")
    listed = {m.name: m for m in store.list()}
    assert [m.name for m in store.list() if not m.error] == ["newer", "older"]
    assert "not a readable .keras file" in listed["broken"].error
    assert listed["broken"].label == "broken (broken)"


def test_failed_save_leaves_the_previous_file_whole(trained_mlp, models_dir, monkeypatch):
    store = ModelStore()
    path = store.save(trained_mlp.model, "keep", {"version": 1}).path
    before = path.read_bytes()

    def crash_half_way(filepath, *args, **kwargs):
        with open(filepath, "wb") as partial:
            partial.write(b"PK\x03\x04 torn")
        raise OSError("disk full")

    monkeypatch.setattr(trained_mlp.model, "save", crash_half_way)
    with pytest.raises(OSError):
        save_model(trained_mlp.model, path, {"version": 2})
    assert path.read_bytes() == before
    assert sorted(p.name for p in models_dir.iterdir()) == ["keep.keras"]


def test_rename_and_delete(trained_mlp, models_dir):
    store = ModelStore()
    store.save(trained_mlp.model, "first", {})
    assert store.rename("first", "second.keras").name == "second"
    assert [m.name for m in store.list()] == ["second"]
    with pytest.raises(ModelError, match="no saved model"):
        store.rename("first", "third")
    store.delete("second")
    assert store.list() == []


def test_rename_onto_an_existing_model_is_refused(trained_mlp, models_dir):
    store = ModelStore()
    store.save(trained_mlp.model, "a", {})
    store.save(trained_mlp.model, "b", {})
    with pytest.raises(ModelError, match="exists already"):
        store.rename("a", "b")


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden", "x" * 65, "spaces in name"])
def test_names_that_are_not_plain_file_names_are_refused(name, models_dir):
    with pytest.raises(ModelError, match="not a valid model name"):
        ModelStore().path(name)


def test_unique_name_counts_up(trained_mlp, models_dir):
    store = ModelStore()
    assert store.unique_name("cnn", "mnist") == "cnn-mnist"
    store.save(trained_mlp.model, "cnn-mnist", {})
    assert store.unique_name("cnn", "mnist") == "cnn-mnist-2"


def test_unique_name_makes_a_valid_name_from_any_dataset_folder(models_dir):
    """A dataset folder named with spaces or symbols, or a long one, still gives a savable name."""
    name = ModelStore().unique_name("mlp", "My Digits (2026) — scanned " + "x" * 80)
    assert ModelStore().path(name).name == f"{name}.keras" and len(name) <= 56


@pytest.mark.parametrize("description", [[], {"created": 5}])
def test_malformed_description_marks_the_model_broken_not_the_store(trained_mlp, models_dir, description):
    ModelStore().save(trained_mlp.model, "odd", description)
    listed = ModelStore().list()
    assert [m.name for m in listed] == ["odd"] and "malformed" in listed[0].error


def test_missing_and_corrupt_model_files_give_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "absent.keras")
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match="cannot load model corrupt.keras"):
        load_model(corrupt)


def test_model_carrying_python_code_is_refused_and_its_code_never_runs(hostile_model):
    """A Lambda layer's code would run on load without safe mode; the store refuses it."""
    path, marker = hostile_model
    with pytest.raises(ModelError, match="Python code"):
        load_model(path)
    assert not marker.exists()
    unsafe = keras.models.load_model(path, safe_mode=False)
    unsafe(np.zeros((1, 28, 28), np.float32))
    assert marker.exists(), "the file really carries code that runs when safe mode is off"
