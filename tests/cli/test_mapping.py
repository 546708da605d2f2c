"""`map --model PATH --layer NAME|all`: one JSON line per layer, a picture on request, and bad
input refused in one line with exit 2, before TensorFlow starts where no model is needed."""

import json

import pytest

from tests.support import REPO
from tests.support.command_line import assert_usage_error, last_json, run_cli, run_cli_watching_imports

DEFAULT = REPO / "models" / "default.keras"


@pytest.fixture(scope="module")
def mlp_file(tmp_path_factory, trained_mlp):
    from mnist_app.learning.model_files import save_model

    path = tmp_path_factory.mktemp("models") / "mlp.keras"
    return save_model(trained_mlp.model, path, trained_mlp.metadata())


def test_every_layer_is_mapped_and_drawn(mlp_file, tmp_path):
    picture = tmp_path / "map.png"
    result = run_cli(
        "map", "--model", mlp_file, "--layer", "all", "--dataset", "mnist-sample", "--png", picture
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert lines[0]["layer"] == "pixels" and len(lines) == 4
    for line in lines:
        assert line["model"] == str(mlp_file) and line["method"] == "pca" and line["n"] == 1000
        assert len(line["points"]) == 1000 and all(len(point) == 4 for point in line["points"])
        assert {point[2] for point in line["points"]} == set(range(10))
        assert 0 <= line["knn_accuracy"] <= 1 and -1 <= line["silhouette"] <= 1
    assert lines[0]["knn_accuracy"] < lines[2]["knn_accuracy"], "the last hidden layer separates better"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_layer_by_its_name(capsys):
    from mnist_app import cli

    assert cli.main(["map", "--model", str(DEFAULT), "--layer", "dense", "--dataset", "mnist-sample"]) == 0
    out = capsys.readouterr().out
    printed = last_json(out)
    assert printed["layer"] == "dense" and printed["title"] == "Dense 1: 128 units, relu"
    assert len(out.strip().splitlines()) == 1 and printed["knn_accuracy"] > 0.9


def test_a_layer_the_model_lacks_is_named_with_those_it_has(capsys):
    from mnist_app import cli

    args = ["map", "--model", str(DEFAULT), "--layer", "dense_9\x1b[31m", "--dataset", "mnist-sample"]
    assert cli.main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "\x1b" not in lines[0]
    assert "has no layer 'dense_9\\x1b[31m' to map: use all or one of pixels, conv2d" in lines[0]


def test_bad_input_is_one_line_and_exit_2_before_tensorflow_starts(tmp_path):
    refused = [
        (["--model", tmp_path / "none.keras", "--layer", "all"], "no such model file"),
        (["--model", DEFAULT, "--layer", "all", "--method", "mds"], "--method 'mds' is not one of pca, umap, tsne"),
        (["--model", DEFAULT, "--layer", "all", "--png", tmp_path / "map.jpg"], "must be a file name ending in .png"),
        (["--model", DEFAULT, "--layer", "all", "--png", "/proc/map.png"], "cannot write the map's picture into /proc"),
        (["--model", DEFAULT, "--layer", "all", "--dataset", tmp_path / "none"], "no such dataset file or folder"),
        (["--model", DEFAULT], "the following arguments are required: --layer"),
    ]  # fmt: skip
    for args, words in refused:
        result = run_cli_watching_imports("map", *args)
        assert_usage_error(result, words)
        assert "tensorflow imported" not in result.stdout, args
    assert list(tmp_path.iterdir()) == [], "nothing written"
