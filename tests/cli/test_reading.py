"""`predict` and `explain`, as a user runs them, with the shipped default model."""

import json

import numpy as np
from PIL import Image

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    last_json,
    run_cli,
)
from tests.support.digit_strokes import ONE, SEVEN
from tests.support.files import draw_digit_image


def test_predict_reads_drawn_digits_with_the_shipped_default_model(tmp_path):
    one, seven, blank = tmp_path / "one.png", tmp_path / "seven.jpg", tmp_path / "blank.png"
    draw_digit_image(one, ONE)
    draw_digit_image(seven, SEVEN, dark_on_light=True)
    Image.new("L", (100, 100), 0).save(blank)
    result = run_cli("predict", one, seven, blank, models_dir=REPO / "models")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["digit"] for line in lines] == [1, 7, None]
    assert len(lines[0]["probabilities"]) == 10 and abs(sum(lines[0]["probabilities"]) - 1) < 1e-3
    assert lines[0]["confidence"] == max(lines[0]["probabilities"])
    assert "draw a digit" in lines[2]["reason"]


def test_explain_prints_the_input_the_attribution_and_every_layer(tmp_path):
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    heat_maps = tmp_path / "heat"
    result = run_cli("explain", "--method", "grad-cam", "--png", heat_maps, seven, models_dir=REPO / "models")
    assert result.returncode == 0, result.stderr
    line = last_json(result.stdout)
    assert line["image"] == str(seven) and line["digit"] == 7 and line["target"] == 7
    assert line["method"] == "grad-cam"
    assert np.array(line["input"]).shape == (28, 28) and np.array(line["attribution"]).shape == (28, 28)
    assert min(min(row) for row in line["attribution"]) >= 0, "Grad-CAM is non-negative"
    shapes = [layer["shape"] for layer in line["layers"]]
    assert shapes[0] == [26, 26, 32] and shapes[-1] == [10]
    assert Image.open(heat_maps / "seven-grad-cam.png").size == (224, 224)


def test_explain_why_not_another_class_with_integrated_gradients(tmp_path):
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    result = run_cli("explain", "--target", "1", seven, models_dir=REPO / "models")
    assert result.returncode == 0, result.stderr
    line = last_json(result.stdout)
    assert line["method"] == "integrated-gradients" and line["target"] == 1 and line["digit"] == 7


def test_explain_refuses_what_it_cannot_do_with_one_line(tmp_path, trained_mlp):
    from mnist_app.learning.model_files import save_model

    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    mlp = save_model(trained_mlp.model, tmp_path / "mlp.keras", trained_mlp.metadata())
    assert_usage_error(
        run_cli("explain", "--model", mlp, "--method", "grad-cam", seven), "convolutional layer"
    )
    default = REPO / "models" / "default.keras"
    assert_usage_error(run_cli("explain", "--model", default, "--target", "12", seven), "12")
    assert_usage_error(run_cli("explain", "--model", default, "--method", "magic", seven), "magic")
