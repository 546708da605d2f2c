"""A model's `.keras` file: saved whole even by a process killed with SIGKILL, loaded safely,
refused with the reason when it is broken, hostile or of the wrong shape."""

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from mnist_app.learning.model_files import METADATA_ENTRY, ModelError, load_model, read_metadata, save_model
from mnist_app.learning.model_store import ModelStore
from tests.support import REPO
from tests.support.models import patch_zip_entry, with_description

SAVE_FOREVER = """
import itertools, sys
import numpy as np
from mnist_app.learning.architectures import build_model
from mnist_app.learning.model_files import save_model

model = build_model("mlp")
for version in itertools.count(1):
    model.layers[-1].bias.assign(np.full(10, float(version), np.float32))
    save_model(model, sys.argv[1], {"version": version})
    print(version, flush=True)
"""


def start(args):
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env={**os.environ, "MNIST_APP_OFFLINE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_whole_and_in_step(path: Path) -> int:
    """The file loads, and the description inside it belongs to the weights inside it."""
    version = read_metadata(path)["version"]
    bias = load_model(path).layers[-1].bias.numpy()
    assert np.all(bias == version), f"metadata says version {version}, weights say {bias[0]}"
    return version


@pytest.mark.parametrize("delay", [0.0, 0.13, 0.41])
def test_kill_during_repeated_saves_leaves_a_whole_model(tmp_path, delay):
    path = tmp_path / "model.keras"
    saver = start(["-c", SAVE_FOREVER, str(path)])
    try:
        first = saver.stdout.readline()
        assert first.strip() == "1", saver.stderr.read()
        time.sleep(delay)
        saver.send_signal(signal.SIGKILL)
        saver.wait(10)
    finally:
        saver.kill()
    assert assert_whole_and_in_step(path) >= 1
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.keras"]
    assert all(name.startswith(".model.") for name in leftovers), "only hidden temporary files remain"
    assert sorted(ModelStore(tmp_path).clean_up()) == sorted(leftovers), "the next start removes them"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_clean_up_leaves_a_save_in_progress_alone(tmp_path):
    """A temporary file whose writer is alive (it holds the lock) is not a leftover."""
    path = tmp_path / "model.keras"
    saver = start(["-c", SAVE_FOREVER, str(path)])
    try:
        assert saver.stdout.readline().strip() == "1", saver.stderr.read()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for removed in ModelStore(tmp_path).clean_up():
                raise AssertionError(f"removed {removed} while it was being written")
            if saver.poll() is not None:
                break
            if int(saver.stdout.readline()) >= 5:
                break
    finally:
        saver.kill()
        saver.wait(10)
    assert assert_whole_and_in_step(path) >= 5


def test_kill_during_training_keeps_the_previous_model(tmp_path):
    from mnist_app.learning.architectures import build_model
    from mnist_app.learning.model_files import save_model

    path = tmp_path / "model.keras"
    previous = build_model("mlp")
    previous.layers[-1].bias.assign(np.full(10, 7.0, np.float32))
    save_model(previous, path, {"version": 7})
    trainer = start(
        ["-m", "mnist_app", "train", "--dataset", "mnist-sample", "--epochs", "50", "--output", str(path)]
    )
    try:
        output = ""
        while "epoch 2/50" not in output:
            chunk = trainer.stderr.read(64)
            assert chunk, "the trainer ended before its second epoch"
            output += chunk
        trainer.send_signal(signal.SIGKILL)
        trainer.wait(10)
    finally:
        trainer.kill()
    assert assert_whole_and_in_step(path) == 7


# --- Saved whole, loaded safely -----------------------------------------------------------


def test_failed_save_leaves_the_previous_file_whole(trained_mlp, models_dir, monkeypatch):
    store = ModelStore()
    path = store.save(trained_mlp.model, "keep", {"version": 1}).path
    before = path.read_bytes()

    def crash_half_way(filepath, *args, **kwargs):
        with open(filepath, "wb") as partial:
            partial.write(b"PK\x03\x04 torn")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(trained_mlp.model, "save", crash_half_way)
    with pytest.raises(ModelError, match=re.escape(f"cannot write {path}: No space left on device")):
        save_model(trained_mlp.model, path, {"version": 2})
    assert path.read_bytes() == before
    assert sorted(p.name for p in models_dir.iterdir()) == ["keep.keras"]


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


# --- Hostile and odd files -------------------------------------------------------------------


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


# --- What a model's configuration would build and compute -----------------------------------


def test_a_model_whose_configuration_would_allocate_gigabytes_is_refused_before_it_is_built(tmp_path):
    """A 2 MB file whose Dense layer says 300,000 units: refused from its configuration, fast, small."""
    import resource
    import time

    source = REPO / "models" / "default.keras"
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
        "from mnist_app.learning.model_files import ModelError, load_model\n"
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
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=REPO, timeout=300
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


# --- One check for every caller ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "unreadable mnist_app.json (RecursionError)"),
        ('{"test_accuracy": Infinity}', "'test_accuracy' is not a plain number"),
        ('{"epochs": ' + "9" * 400 + "}", "'epochs' is not a plain number"),
        ('{"classes": 5}', "says it reads classes 5"),
        ('{"batch_size": Infinity}', "'batch_size' is not a plain number"),
        ('{"batch_size": ' + "9" * 400 + "}", "'batch_size' is not a plain number"),
        ('{"batch_size": -1e308}', "'batch_size' is not a plain number"),
        ('{"batch_size": "**32** [x](http://x)"}', "'batch_size' is not a plain number"),
        ('{"batch_size": 0}', "'batch_size' is not a whole number in 1..65,536"),
        ('{"batch_size": 32.5}', "'batch_size' is not a whole number in 1..65,536"),
        ('{"epoch_seconds": [1.5, Infinity]}', "'epoch_seconds' is not a list of plain numbers"),
        ('{"epoch_seconds": "# fast"}', "'epoch_seconds' is not a list of plain numbers"),
        ('{"stopped_early": "no"}', "'stopped_early' is not true or false"),
        ('{"fine_tuned_from": 1e300}', "'fine_tuned_from' is not text"),
        ('{"command": "' + "x" * 20_000 + '"}', "'command' is longer than 10,000 characters"),
        ('{"curve": {"loss": [0.5, null, -1e308]}}', "'curve'.loss[2] is not a plain number"),
        ('{"anything": {"deep": [[1e999]]}}', "'anything'.deep[0][0] is not a plain number"),
    ],
    ids=[
        "deep",
        "infinite",
        "400-digits",
        "classes-5",
        "batch-infinite",
        "batch-400-digits",
        "batch-negative",
        "batch-markdown",
        "batch-zero",
        "batch-fraction",
        "epoch-seconds-infinite",
        "epoch-seconds-text",
        "stopped-early-text",
        "fine-tuned-from-number",
        "command-too-long",
        "curve-negative",
        "any-number-anywhere",
    ],
)
def test_load_model_refuses_a_description_the_list_marks_broken(model_file, tmp_path, description, words):
    """One check for every command and page: what the list calls broken, no caller loads."""
    broken = with_description(
        model_file, tmp_path / "broken.keras", lambda a: a.writestr(METADATA_ENTRY, description)
    )
    with pytest.raises(ModelError, match="^cannot load model: broken.keras ") as refused:
        load_model(broken)
    assert words in str(refused.value)


def test_a_description_training_writes_passes_the_check(trained_mlp):
    """The one rule over every number and typed field fits what the app and the CLI save."""
    from mnist_app.learning.model_files import check_metadata

    for extra in [{"saved_by": "app", "owner": "ann"}, {"command": "python -m mnist_app train --epochs 2"}]:
        description = json.loads(json.dumps(trained_mlp.metadata(**extra)))
        assert check_metadata(description, "m.keras") == description
    assert check_metadata({**description, "fine_tuned_from": "mlp-1"}, "m.keras")


def test_a_designed_networks_description_passes_and_its_typed_choices_are_checked():
    """A layer list is a list of plain objects; the optimizer is text, augmentation true or false."""
    from mnist_app.learning.designs import PRESETS
    from mnist_app.learning.model_files import check_metadata

    description = {
        "arch": "built",
        "layers": [layer.as_dict() for layer in PRESETS["The app's CNN"]],
        "optimizer": "sgd",
        "augment": True,
        "train_size": 300,
        "label_noise": 0.15,
        "noisy_labels": 45,
        "seed": 2**31 - 1,
    }
    assert check_metadata(json.loads(json.dumps(description)), "m.keras") == description
    for field, value, words in [
        ("optimizer", 3, "'optimizer' is not text"),
        ("augment", "yes", "'augment' is not true"),
    ]:
        with pytest.raises(ModelError, match=words):
            check_metadata({**description, field: value}, "m.keras")
    with pytest.raises(ModelError, match=r"'layers'\[0\].filters is not a plain number"):
        check_metadata({**description, "layers": [{"kind": "conv", "filters": float("inf")}]}, "m.keras")
