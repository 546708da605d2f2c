"""The models folder: models listed, saved under a free name, renamed and deleted, never lost."""

import json
import shutil
import zipfile

import numpy as np
import pytest

from mnist_app.learning.evaluation import predict_probabilities
from mnist_app.learning.model_files import METADATA_ENTRY, ModelError, load_model, read_metadata
from mnist_app.learning.model_store import ModelStore, SavedModel, name_from
from tests.support.models import broken_descriptions, refuse_folder_changes, with_description


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


def test_new_names_count_up(trained_mlp, models_dir):
    store = ModelStore()
    assert store.save_new(trained_mlp.model, name_from("cnn", "mnist"), {}).name == "cnn-mnist"
    assert store.save_new(trained_mlp.model, name_from("cnn", "mnist"), {}).name == "cnn-mnist-2"


def test_name_from_makes_a_valid_name_from_any_dataset_folder(models_dir):
    """A dataset folder named with spaces or symbols, or a long one, still gives a savable name."""
    name = name_from("mlp", "My Digits (2026) — scanned " + "x" * 80)
    assert ModelStore().path(name).name == f"{name}.keras" and len(name) <= 56


@pytest.mark.parametrize(
    "description",
    [
        [],
        {"created": 5},
        {"training_seconds": float("inf")},
        {"training_seconds": 10**400},
        {"test_accuracy": float("nan")},
        {"epochs_completed": "3"},
        {"learning_rate": -1},
    ],
)
def test_malformed_description_marks_the_model_broken_not_the_store(trained_mlp, models_dir, description):
    ModelStore().save(trained_mlp.model, "odd", description)
    listed = ModelStore().list()
    assert [m.name for m in listed] == ["odd"] and "malformed" in listed[0].error


# --- Hostile and odd files in the models folder -------------------------------------------


def test_hostile_descriptions_are_listed_as_broken_fast_and_small(model_file, models_dir):
    import time
    import tracemalloc

    names = broken_descriptions(model_file, models_dir)
    shutil.copy(model_file, models_dir / "good.keras")
    tracemalloc.start()
    started = time.perf_counter()
    listed = {m.name: m for m in ModelStore().list()}
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not listed["good"].error
    for name in names:
        assert listed[name].error, name
    assert "encrypted" in listed["encrypted"].error.lower() or "password" in listed["encrypted"].error
    assert "not supported" in listed["odd-compression"].error
    assert listed["deep"].error == "deep.keras carries an unreadable mnist_app.json (RecursionError)"
    assert "more than 1,048,576 bytes" in listed["bomb"].error
    assert seconds < 5 and peak < 50 * 1024 * 1024, (seconds, peak)


def test_a_file_name_the_store_would_not_choose_is_listed_renamed_and_deleted(model_file, models_dir):
    shutil.copy(model_file, models_dir / "my model (copy).keras")
    store = ModelStore()
    (listed,) = store.list()
    assert listed.name == "my model (copy)" and not listed.error
    assert store.get("my model (copy)").metadata["arch"] == "tiny"
    assert store.rename("my model (copy)", "my-model").name == "my-model"
    shutil.copy(model_file, models_dir / "another (2).keras")
    assert store.delete("another (2)") == "another (2)"
    assert [p.name for p in models_dir.glob("*.keras")] == ["my-model.keras"]


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", ".."])
def test_existing_names_cannot_reach_outside_the_folder(name, models_dir):
    with pytest.raises(ModelError, match="no saved model"):
        ModelStore().delete(name)


def test_the_default_model_is_never_renamed_or_deleted_through_the_store(model_file, models_dir):
    shutil.copy(model_file, models_dir / "default.keras")
    store = ModelStore()
    with pytest.raises(ModelError, match="cannot be renamed"):
        store.rename("default", "mine")
    with pytest.raises(ModelError, match="cannot be deleted"):
        store.delete("default")
    shutil.copy(model_file, models_dir / "other.keras")
    with pytest.raises(ModelError, match="exists already"):
        store.rename("other", "default")
    assert sorted(p.name for p in models_dir.glob("*.keras")) == ["default.keras", "other.keras"]


def test_only_the_owner_may_change_a_model_on_a_shared_server(model_file, tmp_path):
    mine = SavedModel("mine", tmp_path / "mine.keras", {"owner": "me"})
    theirs = SavedModel("theirs", tmp_path / "theirs.keras", {"owner": "them"})
    default = SavedModel("default", tmp_path / "default.keras", {})
    assert mine.change_refused("me", shared=True) == ""
    assert "only the models you trained" in theirs.change_refused("me", shared=True)
    assert theirs.change_refused("me", shared=False) == ""
    assert "ships with the app" in default.change_refused("me", shared=False)


# --- Names claimed and changed at the same moment -----------------------------------------


def test_two_saves_that_pick_a_name_at_once_both_survive(model_file, models_dir):
    """Eight threads save under the same base name at once: eight files, eight names."""
    from concurrent.futures import ThreadPoolExecutor

    model = load_model(model_file)
    store = ModelStore()
    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(lambda i: store.save_new(model, "cnn-mnist", {"version": i}).name, range(8)))
    assert sorted(names) == sorted(["cnn-mnist", *(f"cnn-mnist-{n}" for n in range(2, 9))])
    versions = sorted(read_metadata(models_dir / f"{name}.keras")["version"] for name in names)
    assert versions == list(range(8))
    assert not list(models_dir.glob(".*.tmp.keras"))


SAVE_NEW = """
import sys
from mnist_app.learning.model_files import load_model
from mnist_app.learning.model_store import ModelStore
model = load_model(sys.argv[1])
print(ModelStore().save_new(model, "race", {"process": sys.argv[2]}).name, flush=True)
"""


def test_saves_from_separate_processes_claim_separate_names(model_file, models_dir):
    import subprocess
    import sys

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVE_NEW, str(model_file), str(i)], stdout=subprocess.PIPE, text=True
        )
        for i in range(3)
    ]
    names = sorted(worker.communicate(timeout=120)[0].strip() for worker in workers)
    assert names == ["race", "race-2", "race-3"]
    processes = {read_metadata(models_dir / f"{name}.keras")["process"] for name in names}
    assert processes == {"0", "1", "2"}


def test_two_renames_of_one_model_at_once_leave_one_copy(model_file, models_dir):
    """One rename wins; the other is told the model is gone. Never two copies."""
    from concurrent.futures import ThreadPoolExecutor

    store = ModelStore()
    for attempt in range(20):
        shutil.copy(model_file, models_dir / f"m{attempt}.keras")

        def rename(target, source=f"m{attempt}"):
            try:
                return store.rename(source, target).name
            except ModelError as error:
                return str(error)

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(rename, [f"a{attempt}", f"b{attempt}"]))
        files = sorted(p.stem for p in models_dir.glob(f"*{attempt}.keras"))
        assert len(files) == 1, (outcomes, files)
        assert sum("no saved model" in outcome for outcome in outcomes) == 1, outcomes


# --- A shared server ------------------------------------------------------------------------


def test_the_store_itself_refuses_a_visitors_change_to_someone_elses_model(
    model_file, models_dir, monkeypatch
):
    """The page hides the buttons; the store refuses anyway, so a forged request changes nothing."""
    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    description = json.dumps({"owner": "them", "saved_by": "app"})
    with_description(
        model_file, models_dir / "theirs.keras", lambda a: a.writestr(METADATA_ENTRY, description)
    )
    store = ModelStore()
    with pytest.raises(ModelError, match="only the models you trained"):
        store.delete("theirs", owner="me")
    with pytest.raises(ModelError, match="only the models you trained"):
        store.rename("theirs", "mine", owner="me")
    assert store.rename("theirs", "still-theirs", owner="them").name == "still-theirs"
    monkeypatch.setenv("MNIST_APP_SHARED", "0")
    assert store.delete("still-theirs", owner="me") == "still-theirs"


# --- File names that are not UTF-8 ------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_listed_escaped_and_can_be_renamed_and_deleted(
    model_file, models_dir
):
    """Python reads the byte 0xff of a file name as the lone surrogate \\udcff, which no page can send."""
    import os

    odd = os.fsencode(models_dir) + b"/x\xff.keras"
    shutil.copy(model_file, odd)
    store = ModelStore()
    (listed,) = store.list()
    assert listed.name == "x\\xff" and not listed.error
    listed.name.encode("utf-8")  # what Streamlit does to every option it sends
    assert listed.label == "x\\xff (tiny on ?)"
    assert isinstance(hash(listed.cache_key), int) and listed.cache_key[0] == odd
    assert load_model(listed.cache_key[0]).output_shape == (None, 10)
    assert store.get("x\\xff").metadata["arch"] == "tiny"
    assert store.rename("x\\xff", "fixed").name == "fixed"
    assert sorted(os.listdir(os.fsencode(models_dir))) == [b".lock", b"fixed.keras"]
    shutil.copy(model_file, odd)
    assert store.delete("x\\xff") == "x\\xff"
    assert sorted(os.listdir(os.fsencode(models_dir))) == [b".lock", b"fixed.keras"]


def test_escaped_names_lead_back_to_exactly_one_file(model_file, models_dir):
    """A name holding a backslash, or the very text another file's escape gives, is told apart."""
    import os

    for raw in (b"x\xff.keras", b"x\\xff.keras", b"back\\slash.keras"):
        shutil.copy(model_file, os.fsencode(models_dir) + b"/" + raw)
    store = ModelStore()
    assert sorted(m.name for m in store.list()) == ["back\\\\slash", "x\\\\xff", "x\\xff"]
    store.delete("x\\\\xff")
    assert sorted(os.listdir(os.fsencode(models_dir))) == [b".lock", b"back\\slash.keras", b"x\xff.keras"]
    for unknown in ("x\\xFF", "x\\x41", "back\\slash", "x\udcff", "\\"):
        with pytest.raises(ModelError, match="no saved model"):
            store.delete(unknown)


# --- A read-only models folder ----------------------------------------------------------------


def test_a_read_only_models_folder_gives_the_reason_and_the_model_never_the_path(
    model_file, models_dir, monkeypatch
):
    shutil.copy(model_file, models_dir / "mine.keras")
    store, model = ModelStore(), load_model(model_file)
    refuse_folder_changes(monkeypatch)
    refusals = {
        "rename": lambda: store.rename("mine", "yours"),
        "delete": lambda: store.delete("mine"),
        "save": lambda: store.save_new(model, "mine", {}),
    }
    for action, change in refusals.items():
        with pytest.raises(ModelError) as refused:
            change()
        message = str(refused.value)
        assert message.startswith(f"the models folder refused to {action} mine: Permission denied"), message
        assert str(models_dir) not in message
    assert [p.name for p in models_dir.iterdir() if not p.name.startswith(".")] == ["mine.keras"]
