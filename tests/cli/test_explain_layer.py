"""`explain --method grad-cam --layer NAME`: Grad-CAM at a chosen convolutional layer."""

import numpy as np
from PIL import Image

from tests.support import REPO
from tests.support.command_line import assert_usage_error, last_json, run_cli
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


def test_explain_refuses_a_layer_it_cannot_use(tmp_path):
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    result = run_cli("explain", "--layer", "conv2d", seven, models_dir=REPO / "models")
    assert_usage_error(result, "--layer is for --method grad-cam")
    result = run_cli("explain", "--method", "grad-cam", "--layer", "dense", seven, models_dir=REPO / "models")
    assert_usage_error(result, "Grad-CAM needs one of the model's convolutional layers")
