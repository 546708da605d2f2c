"""`explain --method grad-cam --layer NAME`: Grad-CAM at a chosen convolutional layer."""

import numpy as np
from PIL import Image

from tests.support import REPO
from tests.support.command_line import assert_usage_error, last_json, run_cli, run_cli_watching_imports
from tests.support.digit_strokes import SEVEN
from tests.support.files import draw_digit_image


def test_explain_grad_cam_at_a_chosen_layer(tmp_path):
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    heat_maps = tmp_path / "heat"
    result = run_cli(
        "explain",
        "--method",
        "grad-cam",
        "--layer",
        "conv2d",
        "--png",
        heat_maps,
        seven,
        models_dir=REPO / "models",
    )
    assert result.returncode == 0, result.stderr
    line = last_json(result.stdout)
    assert line["layer"] == "conv2d" and line["digit"] == 7
    assert np.array(line["attribution"]).shape == (28, 28)
    assert Image.open(heat_maps / "seven-grad-cam-conv2d.png").size == (224, 224)


def test_a_layer_without_grad_cam_is_refused_before_tensorflow_starts(tmp_path):
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    result = run_cli_watching_imports(
        "explain", "--model", REPO / "models" / "default.keras", "--layer", "conv2d", seven
    )
    assert_usage_error(result, "--layer is for --method grad-cam")
    assert "no tensorflow" in result.stdout


def test_explain_refuses_a_layer_that_is_not_convolutional(tmp_path, capsys):
    from mnist_app import cli

    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    args = ["explain", "--model", str(REPO / "models" / "default.keras"), "--method", "grad-cam"]
    assert cli.main([*args, "--layer", "dense", str(seven)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "Grad-CAM needs one of the model's convolutional layers" in lines[0]
