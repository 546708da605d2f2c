"""`train`, and fine-tuning with `--from-model`, as a user runs them."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    last_json,
    no_space_left,
    run_cli,
    run_cli_watching_imports,
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


def test_train_a_network_of_your_own_on_fewer_noisier_images(tmp_path):
    """`--layers` in the short form, an optimizer, a drawn subset and wrong labels: all recorded."""
    from mnist_app.learning.designs import parse_text
    from mnist_app.learning.model_files import read_metadata

    spec = "conv:8:3:relu,pool:2,flatten,dense:32:relu,dropout:0.3"
    output = tmp_path / "mine.keras"
    trained = run_cli(
        "train", "--dataset", "mnist-sample", "--layers", spec, "--optimizer", "rmsprop", "--train-size", "300",
        "--label-noise", "0.05", "--seed", "3", "--augment", "--epochs", "1", "--output", output,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert trained.stderr.splitlines()[0] == (
        "training my-network on mnist-sample (300 of 4,000 images, 15 labels made wrong)"
    )
    summary = last_json(trained.stdout)
    assert summary["arch"] == "built" and summary["optimizer"] == "rmsprop" and summary["augment"] is True
    assert (summary["train_size"], summary["noisy_labels"], summary["seed"]) == (300, 15, 3)
    described = read_metadata(output)
    assert [layer["kind"] for layer in described["layers"]] == [layer.kind for layer in parse_text(spec)]


def test_train_reads_a_layer_file_as_build_writes_it_and_names_the_model_for_its_preset(tmp_path, models_dir):
    from mnist_app.learning.designs import PRESETS, layers_json
    from mnist_app.learning.model_files import read_metadata

    design = tmp_path / "lenet.json"
    design.write_text(layers_json(PRESETS["LeNet-5"]))
    trained = run_cli(
        "train", "--dataset", "mnist-sample", "--layers", design, "--train-size", "200", "--epochs", "1",
        "--no-augment", models_dir=models_dir,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert trained.stderr.startswith("training lenet-5 on mnist-sample (200 of 4,000 images)\n")
    saved = Path(last_json(trained.stdout)["model_path"])
    assert saved.parent == models_dir and saved.name.startswith("lenet-5-on-mnist-sample-")
    assert read_metadata(saved)["augment"] is False


def bad_layer_choices(tmp_path):
    """Arguments of `train` a user gets wrong, and the words of the one line that says so."""
    from mnist_app.learning.design_plan import plan
    from mnist_app.learning.designs import parse_text

    not_json = tmp_path / "not.json"
    not_json.write_text("[{")
    huge = tmp_path / "huge.json"
    huge.write_text("[" + " " * 100_000 + "]")
    # The same words Build shows at the layer.
    no_grid = plan(parse_text("flatten,conv:8:3")).problems_at(2)[0]
    return [
        (["--layers", "flatten,conv:8:3"], f"layer 2 (Conv2D): {no_grid}"),
        (["--layers", "conv:0:3"], "layer 1 (Conv2D): filters must lie in 1..512, not 0"),
        (["--layers", "dense:64,lstm:8"], "layer 2: 'lstm' is not a layer kind here"),
        (
            ["--layers", "flatten,dense:4096,dense:4096,dense:4096"],
            "parameters is more than this server trains",
        ),
        (
            ["--layers", ",".join(["conv:64:3:relu:1:same"] * 5)],
            "layer 5 (Conv2D): reading one digit would take",
        ),
        (["--layers", not_json], "not.json: the layer list is not JSON"),
        (["--layers", huge], "huge.json is 100,002 bytes; at most 16,000 are read"),
        (["--layers", tmp_path / "missing.json"], "no such layer file"),
        (
            ["--layers", "flatten", "--arch", "cnn"],
            "--layers designs the network itself; leave out --arch cnn",
        ),
        (["--optimizer", "adagrad"], "unknown optimizer 'adagrad': use one of adam, sgd, rmsprop"),
        (["--label-noise", "0.6"], "label noise must be a fraction in 0..0.5 of the labels, not 0.6"),
        (["--seed", "-1"], "seed must be a whole number in 0..2,147,483,647, not -1"),
        (["--train-size", "-5"], "training-set size must be a whole number of images, 0 for all, not -5"),
        (["--train-size", "4001"], "the dataset has 4,000 training images; cannot train on 4,001"),
    ]


def test_bad_layers_and_choices_exit_2_in_one_line_before_tensorflow(tmp_path):
    for args, words in bad_layer_choices(tmp_path):
        result = run_cli_watching_imports("train", "--dataset", "mnist-sample", *args)
        assert_usage_error(result, words)
        assert result.stdout.strip().splitlines()[-1] == "no tensorflow", args


def test_train_with_no_layer_at_all_is_logistic_regression(tmp_path):
    from mnist_app.learning.model_files import load_model

    output = tmp_path / "logistic.keras"
    trained = run_cli(
        "train", "--dataset", "mnist-sample", "--layers", "", "--train-size", "100", "--epochs", "1",
        "--output", output,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert trained.stderr.startswith("training logistic-regression on mnist-sample (100 of 4,000 images)\n")
    assert last_json(trained.stdout)["layers"] == []
    assert load_model(output).count_params() == 7_850
