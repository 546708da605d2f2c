"""Saved models: one .keras file each, its description inside, saved atomically, loaded safely."""

import json
import re
import shutil
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from mnist_app.learning.evaluation import predict_probabilities
from mnist_app.learning.model_store import (
    METADATA_ENTRY,
    ModelError,
    ModelStore,
    SavedModel,
    load_model,
    name_from,
    read_metadata,
    save_model,
)


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


def test_missing_and_corrupt_model_files_give_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "absent.keras")
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match="cannot load model: corrupt.keras is not a readable .keras file"):
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


# --- Hostile and odd files in the models folder -------------------------------------------


def patch_zip_entry(path, name, *, flag_bits=None, compress_type=None):
    """Rewrite an entry's flags or compression method in both of its zip headers, in place."""
    content = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    central = content.index(b"PK\x01\x02")
    while central != -1:
        name_length = int.from_bytes(content[central + 28 : central + 30], "little")
        if content[central + 46 : central + 46 + name_length] == name.encode():
            break
        central = content.find(b"PK\x01\x02", central + 4)
    for offset in (local + 6, central + 8):
        if flag_bits is not None:
            content[offset : offset + 2] = flag_bits.to_bytes(2, "little")
        if compress_type is not None:
            content[offset + 2 : offset + 4] = compress_type.to_bytes(2, "little")
    path.write_bytes(bytes(content))


def with_description(source, target, write):
    """A copy of the model file `source` whose description entry `write(archive)` puts in."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in original.infolist():
            if entry.filename != METADATA_ENTRY:
                copy.writestr(entry, original.read(entry))
        write(copy)
    return target


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A small valid model file of the app's shape (28x28 in, 10 classes out)."""
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )
    path = tmp_path_factory.mktemp("model") / "small.keras"
    save_model(model, path, {"arch": "tiny", "classes": [str(d) for d in range(10)]})
    return path


def broken_descriptions(model_file, folder):
    """Files whose description is encrypted, oddly compressed, nested deep, or inflates to 256 MiB."""
    encrypted = with_description(
        model_file, folder / "encrypted.keras", lambda a: a.writestr(METADATA_ENTRY, "{}")
    )
    patch_zip_entry(encrypted, METADATA_ENTRY, flag_bits=0x1)
    odd = with_description(
        model_file, folder / "odd-compression.keras", lambda a: a.writestr(METADATA_ENTRY, "{}")
    )
    patch_zip_entry(odd, METADATA_ENTRY, compress_type=99)
    deep = "[" * 200_000 + "]" * 200_000
    with_description(model_file, folder / "deep.keras", lambda a: a.writestr(METADATA_ENTRY, deep))

    def bomb(archive):
        with archive.open(METADATA_ENTRY, "w", force_zip64=True) as entry:
            for _ in range(256):
                entry.write(b" " * (1 << 20))

    with_description(model_file, folder / "bomb.keras", bomb)
    return ["encrypted", "odd-compression", "deep", "bomb"]


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


def test_an_archive_that_would_inflate_past_the_cap_is_refused_before_keras_opens_it(model_file, tmp_path):
    encrypted = shutil.copy(model_file, tmp_path / "locked.keras")
    patch_zip_entry(Path(encrypted), "config.json", flag_bits=0x1)
    with pytest.raises(ModelError, match="encrypted"):
        load_model(encrypted)
    odd = shutil.copy(model_file, tmp_path / "odd.keras")
    patch_zip_entry(Path(odd), "config.json", compress_type=99)
    with pytest.raises(ModelError, match="compression"):
        load_model(odd)


def misfit_models():
    """Models the app cannot feed or read, each with the words its refusal must hold."""
    dense = keras.layers.Dense
    inputs = keras.Input((28, 28))
    flat = keras.layers.Flatten()(inputs)
    two_outputs = keras.Model(inputs, [dense(10, "softmax")(flat), dense(10, "softmax")(flat)])
    return {
        "flat-input": (keras.Sequential([keras.Input((784,)), dense(10, "softmax")]), "(784,)"),
        "three-classes": (
            keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), dense(3)]),
            "(3,)",
        ),
        "twelve-classes": (
            keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), dense(12)]),
            "(12,)",
        ),
        "two-outputs": (two_outputs, "2 outputs"),
    }


@pytest.mark.parametrize("name", list(misfit_models()))
def test_models_of_the_wrong_shape_are_refused_with_the_reason(name, tmp_path):
    model, words = misfit_models()[name]
    path = save_model(model, tmp_path / f"{name}.keras", {})
    with pytest.raises(ModelError, match=re.escape(words)):
        load_model(path)


@pytest.mark.parametrize(
    ("description", "words"),
    [
        ({"classes": 5}, "reads classes 5"),
        ({"classes": ["a", "b", "c"]}, "reads classes"),
        ({"arch": ["mlp"]}, "'arch' is not text"),
        ({"test_accuracy": "high"}, "'test_accuracy' is not a plain number"),
    ],
)
def test_descriptions_that_do_not_fit_mark_the_model_broken(model_file, models_dir, description, words):
    with_description(
        model_file, models_dir / "misfit.keras", lambda a: a.writestr(METADATA_ENTRY, json.dumps(description))
    )
    (listed,) = ModelStore().list()
    assert words in listed.error


def test_a_tfsmlayer_is_refused_as_outside_code_not_as_a_lambda(model_file, tmp_path):
    """Safe mode refuses a TFSMLayer (it loads a SavedModel from elsewhere); the message says so."""
    with zipfile.ZipFile(model_file) as archive:
        config = json.loads(archive.read("config.json"))
    config["config"]["layers"].insert(
        1,
        {
            "module": "keras.layers",
            "class_name": "TFSMLayer",
            "config": {"name": "outside", "filepath": "/x"},
        },
    )
    path = tmp_path / "outside.keras"
    with zipfile.ZipFile(model_file) as original, zipfile.ZipFile(path, "w") as copy:
        for entry in original.infolist():
            data = json.dumps(config) if entry.filename == "config.json" else original.read(entry)
            copy.writestr(entry.filename, data)
    with pytest.raises(ModelError, match="code from outside the file \\(a TFSMLayer layer\\)"):
        load_model(path)


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
from mnist_app.learning.model_store import ModelStore, load_model
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


def test_a_model_whose_configuration_would_allocate_gigabytes_is_refused_before_it_is_built(tmp_path):
    """A 2 MB file whose Dense layer says 300,000 units: refused from its configuration, fast, small."""
    import resource
    import time

    source = Path(__file__).resolve().parent.parent / "models" / "default.keras"
    with zipfile.ZipFile(source) as archive:
        config = json.loads(archive.read("config.json"))
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Dense" and layer["config"]["units"] == 128:
            layer["config"]["units"] = 300_000
        layer.pop("build_config", None)
    path = tmp_path / "huge.keras"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as copy:
        for entry in original.infolist():
            copy.writestr(
                entry.filename,
                json.dumps(config) if entry.filename == "config.json" else original.read(entry),
            )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(ModelError, match="would allocate 310,565,012 weights"):
        load_model(path)
    assert time.perf_counter() - started < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024, "grew by over 200 MB"


def test_the_dry_build_leaves_no_variable_waiting_to_be_made(model_file):
    from keras.src.backend.common import global_state

    load_model(model_file)
    assert not global_state.get_global_attribute("uninitialized_variables")


# --- What a model computes ------------------------------------------------------------------


def test_twenty_weights_that_would_take_gigabytes_to_read_digits_are_refused_small(tmp_path):
    """Reshape, UpSampling2D(20), GlobalAveragePooling2D, Dense(10): 313,600 numbers per image,
    gigabytes for a batch of test images. Refused from its configuration, in a process of its
    own so that its peak memory is its own."""
    import subprocess
    import sys

    bomb = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.UpSampling2D(20, name="up_sampling2d"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = save_model(bomb, tmp_path / "bomb.keras", {})
    code = (
        "import resource, sys, numpy as np\n"
        "from mnist_app.learning.evaluation import predict_probabilities\n"
        "from mnist_app.learning.model_store import ModelError, load_model\n"
        "import keras\n"
        "keras.ops.zeros((1,))  # TensorFlow started before the count begins\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    predict_probabilities(load_model(sys.argv[1]), np.zeros((1024, 28, 28), np.uint8))\n"
        "    print('read 1,024 digits')\n"
        "except ModelError as error:\n"
        "    print(error)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=repo, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *said, grew_mb = done.stdout.strip().splitlines()
    assert "313,600 numbers per image in its layer up_sampling2d" in said[-1], said
    assert int(grew_mb) < 200, f"the refusal took {grew_mb} MB"


def test_a_configuration_of_thousands_of_layers_is_refused_before_keras_reads_it(
    model_file, tmp_path, monkeypatch
):
    """5,200 Dense layers in a 4 MB config.json took Keras minutes and gigabytes to build."""
    with zipfile.ZipFile(model_file) as archive:
        config = json.loads(archive.read("config.json"))
    config["config"]["layers"][1:1] = [
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": f"d{n}", "units": 10}}
        for n in range(5_200)
    ]
    path = tmp_path / "layers.keras"
    with zipfile.ZipFile(model_file) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in original.infolist():
            data = json.dumps(config) if entry.filename == "config.json" else original.read(entry)
            copy.writestr(entry.filename, data)

    def never(*args, **kwargs):
        raise AssertionError("Keras was asked to build it")

    monkeypatch.setattr(keras.saving, "deserialize_keras_object", never)
    monkeypatch.setattr(keras.models, "load_model", never)
    with pytest.raises(ModelError, match="layers.keras has more than 200 layers in its configuration"):
        load_model(path)


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


def refuse_folder_changes(monkeypatch) -> None:
    """The models folder refusing every change, as a read-only one does (root ignores chmod)."""
    import os

    def refuse(*paths, **kwargs):
        raise PermissionError(13, "Permission denied", os.fspath(paths[-1]))

    for name in ("link", "unlink", "replace", "rename"):
        monkeypatch.setattr(os, name, refuse)


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


@pytest.mark.parametrize(
    ("description", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "unreadable mnist_app.json (RecursionError)"),
        ('{"test_accuracy": Infinity}', "'test_accuracy' is not a plain number"),
        ('{"epochs": ' + "9" * 400 + "}", "'epochs' is not a plain number"),
        ('{"classes": 5}', "says it reads classes 5"),
    ],
    ids=["deep", "infinite", "400-digits", "classes-5"],
)
def test_load_model_refuses_a_description_the_list_marks_broken(model_file, tmp_path, description, words):
    """One check for every command and page: what the list calls broken, no caller loads."""
    broken = with_description(
        model_file, tmp_path / "broken.keras", lambda a: a.writestr(METADATA_ENTRY, description)
    )
    with pytest.raises(ModelError, match="^cannot load model: broken.keras ") as refused:
        load_model(broken)
    assert words in str(refused.value)
