"""The command line as a whole, run as a user runs it: bad input is one line and exit 2,
whatever the command, and refusals that need no TensorFlow come before it is imported."""

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    run_cli,
    run_cli_watching_imports,
)
from tests.support.datasets import write_npz
from tests.support.digit_strokes import ONE
from tests.support.files import draw_digit_image


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["data", "--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["data", "--dataset", "/no/such/folder"], "no such dataset file or folder"),
        (["train", "--epochs", "0"], "epochs must lie in 1..10,000"),
        (["train", "--arch", "resnet"], "unknown architecture 'resnet'"),
        (["evaluate", "--model", "/no/such.keras", "--dataset", "mnist-sample"], "no such model file"),
        (["predict", "/no/such.png"], "no such image file"),
        (["compare", "--models", "models/default.keras"], "at least two models"),
        (["compare", "--models", "models/default.keras", "/no/such.keras"], "no such model file"),
        (
            ["compare", "--models", "models/default.keras", "models/default.keras", "--dataset", "x"],
            "unknown dataset 'x'",
        ),
        (["compare"], "the following arguments are required: --models"),
        (["lab", "--export", "lab.txt"], "must name a .ipynb or a .py file"),
        (["lab", "--export", "/tmp"], "must name a .ipynb or a .py file"),
        (["lab", "--export", "x.ipynb", "--epochs", "0"], "epochs must lie in 1..10,000"),
        (["lab", "--export", "x.py", "--batch-size", "-3"], "batch size must lie in 1..65,536"),
        (["lab", "--export", "x.py", "--dataset", "/no/such/folder"], "no such dataset file or folder"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, fragment):
    assert_usage_error(run_cli(*args), fragment)


def test_argument_errors_are_one_line_too():
    assert_usage_error(run_cli("train", "--epochs", "many"), "invalid int value: 'many'")


def hostile_inputs(folder: Path) -> list[tuple[list, str]]:
    """Command lines a hostile user might type, and the words each refusal must hold."""
    fifo = folder / "x.npz"
    os.mkfifo(fifo)
    overflow = folder / "overflow"
    overflow.mkdir()
    for split in ("train", "t10k"):
        (overflow / f"{split}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x0803, 2**31, 2**31, 4))
        (overflow / f"{split}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x0801, 2**31))
    strings = folder / "strings.npz"
    write_npz(
        strings, x_train=np.array(["a"] * 4), y_train=np.zeros(4), x_test=np.array(["b"]), y_test=np.zeros(1)
    )
    escape = folder / "\x1b[31mred\nline.png"
    escape.write_text("not an image")
    eps = folder / "digit.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    misfit = folder / "misfit.keras"
    subprocess.run(
        [sys.executable, "-c", f"import keras; keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)]).save({str(misfit)!r})"],
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    default = REPO / "models" / "default.keras"
    return [
        (["data", "--dataset", fifo], "not a regular file"),
        (["data", "--dataset", "~nosuchuser/x"], "nosuchuser"),
        (["data", "--dataset", folder / ("x" * 300)], "x" * 20),
        (["data", "--dataset", overflow], "overflow"),
        (["data", "--dataset", strings], "strings.npz"),
        (["predict", "--model", default, escape], "\\x1b[31mred\\nline.png"),
        (["predict", "--model", default, eps], "digit.png"),
        (["predict", "--model", default, fifo], "x.npz"),
        (["evaluate", "--model", misfit, "--dataset", "mnist-sample"], "(784,)"),
        (["evaluate", "--model", fifo, "--dataset", "mnist-sample"], "x.npz"),
    ]


def test_hostile_input_gets_one_line_naming_the_file_and_exit_2(tmp_path):
    for args, fragment in hostile_inputs(tmp_path):
        assert_usage_error(run_cli(*args, timeout=60), fragment)


def refusals_needing_no_tensorflow(folder: Path) -> list[tuple[list, str]]:
    """Command lines whose refusal needs neither a model loaded nor TensorFlow, with its words."""
    one = folder / "one.png"
    draw_digit_image(one, ONE)
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    eps = folder / "digit.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    fifo = folder / "pipe.keras"
    os.mkfifo(fifo)
    (folder / "folder.keras").mkdir()
    default = REPO / "models" / "default.keras"
    not_utf8 = folder / "x\udcff"
    return [
        (["train", "--epochs", "0"], "epochs must lie in 1..10,000"),
        (["train", "--batch-size", "0"], "batch size must lie in 1..65,536"),
        (["train", "--learning-rate", "5"], "learning rate must lie in (0, 1]"),
        (["train", "--arch", "resnet"], "unknown architecture 'resnet'"),
        (["train", "--output", f"{not_utf8}.keras"], "x\\xff.keras is not a UTF-8 name"),
        (["lab", "--export", f"{not_utf8}.py"], "x\\xff.py is not a UTF-8 name"),
        (["digits", "export", "--output", f"{not_utf8}.npz"], "x\\xff.npz is not a UTF-8 name"),
        (["explain", "--model", default, "--target", "10", one], "0..9, not 10"),
        (["predict", "--model", default, empty], "empty.png: not a readable image"),
        (["predict", "--model", default, eps], "digit.png: not a readable image"),
        (["evaluate", "--model", fifo, "--dataset", "mnist-sample"], "pipe.keras is not a regular file"),
        (
            ["evaluate", "--model", folder / "folder.keras", "--dataset", "mnist-sample"],
            "is not a regular file",
        ),
    ]


def test_refusals_that_need_no_tensorflow_come_before_it_is_imported(tmp_path):
    """Arguments, images and model archives are checked first: one line, TensorFlow never loaded."""
    for args, words in refusals_needing_no_tensorflow(tmp_path):
        result = run_cli_watching_imports(*args, MNIST_APP_DATA_DIR=str(tmp_path))
        assert_usage_error(result, words)
        assert result.stdout.strip().splitlines()[-1] == "no tensorflow", args
    assert not [name for name in os.listdir(os.fsencode(tmp_path)) if b"\xff" in name], "nothing written"


def test_stderr_holds_one_line_whatever_tensorflows_log_level(tmp_path):
    """TensorFlow's C++ logging after its import (allocators, oneDNN) never joins the error line."""
    import keras

    misfit = tmp_path / "misfit.keras"
    keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(3)]).save(misfit)
    chatty = {"TF_CPP_MIN_LOG_LEVEL": "0", "TF_CPP_MAX_VLOG_LEVEL": "1"}
    result = run_cli_watching_imports("evaluate", "--model", misfit, "--dataset", "mnist-sample", **chatty)
    assert_usage_error(result, "misfit.keras gives outputs of shape (3,)")
    assert result.stdout.strip().splitlines()[-1] == "tensorflow imported", "the failure came after TF's work"
    one = tmp_path / "one.png"
    draw_digit_image(one, ONE)
    result = run_cli_watching_imports("predict", "--model", REPO / "models" / "default.keras", one, **chatty)
    assert result.returncode == 0 and result.stderr == "", result.stderr[:500]
