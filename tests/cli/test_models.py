"""Model files named on the command line: torn, hostile, mislabelled or broken ones refused
by every command that reads one, before TensorFlow where it can be."""

import json

import numpy as np
import pytest

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    run_cli,
    run_cli_watching_imports,
)
from tests.support.digit_strokes import ONE
from tests.support.files import draw_digit_image


def test_corrupt_model_file_exits_2(tmp_path):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04 this zip is torn")
    assert_usage_error(
        run_cli("evaluate", "--model", corrupt, "--dataset", "mnist-sample"), "cannot load model"
    )


def test_hostile_model_is_refused_by_the_command_line_and_its_code_never_runs(hostile_model, tmp_path):
    path, marker = hostile_model
    image = tmp_path / "one.png"
    draw_digit_image(image, ONE)
    assert_usage_error(run_cli("predict", "--model", path, image), "Python code")
    assert_usage_error(run_cli("evaluate", "--model", path, "--dataset", "mnist-sample"), "Python code")
    assert not marker.exists()


def save_small_model(path, *, weights=None, softmax=True, description=None):
    """A 28x28-to-10 model of the app's shape: NaN weights, no softmax, or a description, as asked."""
    import keras

    from mnist_app.learning.model_files import METADATA_ENTRY

    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, "softmax" if softmax else None),
        ]
    )
    if weights is not None:
        model.set_weights([np.full_like(w, weights) for w in model.get_weights()])
    model.save(path)
    if description is not None:
        import zipfile

        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr(METADATA_ENTRY, description)
    return path


BROKEN_DESCRIPTIONS = {
    "deep": ("[" * 100_000 + "]" * 100_000, "RecursionError"),
    "infinite": ('{"test_accuracy": Infinity}', "'test_accuracy' is not a plain number"),
    "huge": ('{"epochs": ' + "9" * 400 + "}", "'epochs' is not a plain number"),
    "five": ('{"classes": 5}', "says it reads classes 5"),
    "batch-size": ('{"batch_size": Infinity}', "'batch_size' is not a plain number"),
}


@pytest.mark.parametrize("name", list(BROKEN_DESCRIPTIONS))
def test_every_command_refuses_a_model_whose_description_is_broken(tmp_path, name):
    """The check the models list applies, applied by evaluate, predict, explain and compare alike."""
    description, words = BROKEN_DESCRIPTIONS[name]
    broken = save_small_model(tmp_path / f"{name}.keras", description=description)
    one = tmp_path / "one.png"
    draw_digit_image(one, ONE)
    for args in [
        ["evaluate", "--model", broken, "--dataset", "mnist-sample"],
        ["predict", "--model", broken, one],
        ["explain", "--model", broken, one],
        ["compare", "--models", REPO / "models" / "default.keras", broken, "--dataset", "mnist-sample"],
    ]:
        result = run_cli_watching_imports(*args)
        assert_usage_error(result, f"cannot load model: {name}.keras")
        assert words in result.stderr and result.stdout.strip().splitlines()[-1] == "no tensorflow"


def test_evaluate_refuses_a_model_of_other_classes_as_compare_does(tmp_path):
    from mnist_app.datasets.dataset import FASHION_NAMES

    fashion = save_small_model(
        tmp_path / "fashion.keras", description=json.dumps({"classes": list(FASHION_NAMES)})
    )
    result = run_cli_watching_imports("evaluate", "--model", fashion, "--dataset", "mnist-sample")
    assert_usage_error(result, "fashion.keras was trained on other classes (T-shirt/top")


@pytest.mark.parametrize(
    ("kind", "commands", "words"),
    [
        (
            "nan",
            ["predict", "evaluate", "explain", "compare"],
            "gives NaN or infinite outputs instead of probabilities",
        ),
        ("no-softmax", ["predict", "evaluate"], "its last layer has no softmax"),
    ],
)
def test_a_model_that_gives_no_probabilities_is_refused_not_printed(tmp_path, kind, commands, words):
    """NaN weights, or a last layer without softmax: the right shape, but no probabilities to print."""
    path = tmp_path / f"{kind}.keras"
    save_small_model(path, weights=float("nan")) if kind == "nan" else save_small_model(path, softmax=False)
    one = tmp_path / "one.png"
    draw_digit_image(one, ONE)
    command_lines = {
        "predict": ["predict", "--model", path, one],
        "evaluate": ["evaluate", "--model", path, "--dataset", "mnist-sample"],
        "explain": ["explain", "--model", path, one],
        "compare": [
            "compare",
            "--models",
            REPO / "models" / "default.keras",
            path,
            "--dataset",
            "mnist-sample",
        ],
    }
    for command in commands:
        result = run_cli(*command_lines[command])
        assert_usage_error(result, f"{path}: the model ")
        assert words in result.stderr and "NaN" not in result.stdout, command
