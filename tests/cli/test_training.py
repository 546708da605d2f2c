"""`train`, and fine-tuning with `--from-model`, as a user runs them."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    last_json,
    no_space_left,
    run_cli,
)
from tests.support.datasets import write_split


def test_train_evaluate_predict_round_trip(tmp_path, sample):
    """Train the lab's MLP, evaluate it on a folder of t10k IDX files, read drawn digits."""
    output = tmp_path / "lab.keras"
    trained = run_cli(
        "train", "--dataset", "mnist-sample", "--arch", "mlp", "--epochs", "2", "--batch-size", "64",
        "--output", output,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    summary = last_json(trained.stdout)
    assert summary["model_path"] == str(output) and output.is_file()
    assert summary["arch"] == "mlp" and summary["dataset"] == "mnist-sample" and summary["epochs"] == 2
    assert len(summary["epoch_seconds"]) == 2 and summary["test_accuracy"] > 0.85
    assert "epoch 2/2" in trained.stderr

    test_only = tmp_path / "t10k"
    test_only.mkdir()
    write_split(test_only, "t10k", sample.x_test, sample.y_test)
    evaluated = run_cli("evaluate", "--model", output, "--dataset", test_only)
    assert evaluated.returncode == 0, evaluated.stderr
    figures = last_json(evaluated.stdout)
    assert figures["n"] == 1000 and abs(figures["accuracy"] - summary["test_accuracy"]) < 1e-4
    assert np.array(figures["confusion"]).sum() == 1000


def test_train_output_without_a_suffix_gets_one_that_evaluate_reads(tmp_path):
    trained = run_cli("train", "--dataset", "mnist-sample", "--epochs", "1", "--output", tmp_path / "noext")
    assert trained.returncode == 0, trained.stderr
    assert last_json(trained.stdout)["model_path"] == str(tmp_path / "noext.keras")
    evaluated = run_cli("evaluate", "--model", tmp_path / "noext.keras", "--dataset", "mnist-sample")
    assert evaluated.returncode == 0, evaluated.stderr


@pytest.mark.parametrize(
    ("output", "fragment"),
    [
        ("model.h5", "must be a .keras file"),
        (".", "is a folder"),
        ("README.md/x.keras", "cannot write a model into README.md"),
    ],
)
def test_train_refuses_an_output_it_could_not_write_before_training(output, fragment):
    assert_usage_error(
        run_cli("train", "--dataset", "mnist-sample", "--output", output, timeout=60), fragment
    )


def test_train_from_a_model_on_my_digits_replays_and_reports_before_and_after(tmp_path, trained_mlp, sample):
    from mnist_app.datasets.digit_store import DigitStore
    from mnist_app.learning.model_files import read_metadata, save_model

    data = tmp_path / "data"
    data.mkdir()
    DigitStore(data).add_many(list(sample.x_train[:60]), [int(y) for y in sample.y_train[:60]])
    base = save_model(trained_mlp.model, tmp_path / "base.keras", trained_mlp.metadata())
    env = {**os.environ, "MNIST_APP_OFFLINE": "1", "MNIST_APP_DATA_DIR": str(data)}
    result = subprocess.run(
        [sys.executable, "-m", "mnist_app", "train", "--from-model", str(base), "--dataset", "my-digits",
         "--replay", "mnist-sample", "--epochs", "1", "--output", str(tmp_path / "tuned.keras")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["fine_tuned_from"] == "base" and report["learning_rate"] == 0.0003
    assert [row["test split"] for row in report["before_after"]] == ["my-digits", "mnist-sample"]
    assert read_metadata(tmp_path / "tuned.keras")["fine_tuned_from"] == "base"
    assert_usage_error(run_cli("train", "--replay", "mnist-sample"), "give --from-model too")


def test_a_full_disk_when_saving_a_trained_model_names_the_file(tmp_path, monkeypatch, capsys):
    import keras

    from mnist_app import cli

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(keras.Model, "save", lambda self, path, **kwargs: no_space_left()(path))
    status = cli.main(
        ["train", "--dataset", "mnist-sample", "--epochs", "1", "--output", str(out / "m.keras")]
    )
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == f"error: cannot write {out / 'm.keras'}: No space left on device"
    assert os.listdir(out) == [], "no temporary file left"
