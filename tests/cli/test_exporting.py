"""`export --model PATH --format tflite|onnx`: a checked file written whole, or one line and exit 2,
the refusals that need no model coming before TensorFlow is imported."""

import numpy as np

from mnist_app.datasets.catalogue import load_dataset
from mnist_app.datasets.dataset import to_model_input
from tests.support import REPO
from tests.support.command_line import assert_usage_error, last_json, run_cli, run_cli_watching_imports

DEFAULT = REPO / "models" / "default.keras"


def test_export_writes_a_tflite_file_checked_on_the_test_split(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    target = tmp_path / "digits.tflite"
    result = run_cli(
        "export", "--model", DEFAULT, "--format", "tflite", "--output", target, "--dataset", "mnist-sample"
    )
    assert result.returncode == 0, result.stderr
    printed = last_json(result.stdout)
    assert (
        printed["path"] == str(target)
        and printed["format"] == "tflite"
        and printed["dataset"] == "mnist-sample"
    )
    assert printed["bytes"] == target.stat().st_size and printed["checked_digits"] == 1000
    assert 0 <= printed["largest_difference"] <= 1e-4
    digits = to_model_input(load_dataset("mnist-sample").x_test[:50])
    read = Interpreter(model_path=str(target)).get_signature_runner()(images=digits)["probabilities"]
    assert read.shape == (50, 10) and np.allclose(read.sum(axis=1), 1, atol=1e-5)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file left"


def test_export_names_its_onnx_file_after_the_model_in_the_current_folder(tmp_path):
    import shutil

    import onnxruntime

    shutil.copy(DEFAULT, tmp_path / "mine.keras")
    result = run_cli(
        "export",
        "--model",
        tmp_path / "mine.keras",
        "--format",
        "onnx",
        "--dataset",
        "mnist-sample",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["path"] == "mine.onnx"
    session = onnxruntime.InferenceSession(tmp_path / "mine.onnx", providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["images"]
    assert [o.name for o in session.get_outputs()] == ["probabilities"]


def refusals(folder):
    """Command lines refused before any model is loaded, and the words of each refusal."""
    not_utf8 = folder / "x\udcff.onnx"
    return [
        (["--model", folder / "no-such.keras", "--format", "onnx"], "no such model file"),
        (["--model", DEFAULT, "--format", "pb"], "invalid choice: 'pb' (choose from 'tflite', 'onnx')"),
        (["--model", DEFAULT, "--format", "onnx", "--output", folder / "m.tflite"], "must be a file name ending in .onnx"),
        (["--model", DEFAULT, "--format", "tflite", "--output", folder], "must be a file name ending in .tflite"),
        (["--model", DEFAULT, "--format", "onnx", "--output", not_utf8], "x\\xff.onnx is not a UTF-8 name"),
        (["--model", DEFAULT, "--format", "onnx", "--output", "/proc/m.onnx"], "cannot write the ONNX file into /proc"),
        (["--model", DEFAULT, "--format", "onnx", "--dataset", folder / "none"], "no such dataset file or folder"),
        (["--format", "onnx"], "the following arguments are required: --model"),
    ]  # fmt: skip


def test_bad_input_is_one_line_and_exit_2_before_tensorflow_starts(tmp_path):
    for args, words in refusals(tmp_path):
        result = run_cli_watching_imports("export", *args)
        assert_usage_error(result, words)
        assert "tensorflow imported" not in result.stdout, args
    assert list(tmp_path.iterdir()) == [], "nothing written"
