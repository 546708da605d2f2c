"""`attack` and `robustness`, as a user runs them."""

import json

import pytest
from PIL import Image

from tests.support import REPO
from tests.support.command_line import assert_usage_error, last_json, run_cli, run_cli_watching_imports
from tests.support.digit_strokes import SEVEN
from tests.support.files import draw_digit_image

DEFAULT = REPO / "models" / "default.keras"


@pytest.fixture
def seven(tmp_path):
    path = tmp_path / "seven.png"
    draw_digit_image(path, SEVEN)
    return path


def test_attack_finds_the_smallest_epsilon_and_writes_both_pictures(tmp_path, seven):
    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 0).save(blank)
    pictures = tmp_path / "pictures"
    result = run_cli("attack", "--model", DEFAULT, "--png", pictures, seven, blank)
    assert result.returncode == 0, result.stderr
    line, blank_line = (json.loads(text) for text in result.stdout.strip().splitlines())
    assert line["image"] == str(seven) and line["method"] == "fgsm" and line["target"] is None
    assert line["before"]["digit"] == 7 and line["fooled"] and line["after"]["digit"] != 7
    assert line["epsilon"] == line["smallest_epsilon"] > 0 and line["tolerance"] == round(1 / 255, 6)
    assert blank_line["digit"] is None and "draw a digit" in blank_line["reason"]
    for name in ("seven-fgsm.png", "seven-fgsm-change.png"):
        assert Image.open(pictures / name).size == (224, 224)


def test_attack_with_a_target_and_a_given_epsilon(seven):
    result = run_cli(
        "attack", "--model", DEFAULT, "--method", "pgd", "--target", "3", "--epsilon", "0", seven
    )
    assert result.returncode == 0, result.stderr
    line = last_json(result.stdout)
    assert line["epsilon"] == 0 and line["after"] == line["before"] and not line["fooled"]
    assert line["target"] == 3
    assert line["smallest_epsilon"] is None or line["smallest_epsilon"] > 0


def test_attack_refuses_bad_input_with_one_line_before_tensorflow(tmp_path, seven):
    for args, fragment in [
        (("--method", "magic"), "magic"),
        (("--target", "12"), "12"),
        (("--epsilon", "2"), "epsilon"),
    ]:
        result = run_cli_watching_imports("attack", "--model", DEFAULT, *args, seven)
        assert result.stdout.strip().endswith("no tensorflow"), result.stdout
        assert_usage_error(result, fragment)
    assert_usage_error(run_cli("attack", "--model", DEFAULT, "--target", "\uff13", seven), "whole number")
    assert_usage_error(run_cli("attack", "--model", tmp_path / "none.keras", seven), "no such model")
    assert_usage_error(run_cli("attack", "--model", DEFAULT, tmp_path / "none.png"), "no such image")


def test_robustness_prints_each_model_s_curves_calibration_and_auroc(tmp_path, trained_mlp):
    from mnist_app.learning.model_files import save_model

    mlp = save_model(trained_mlp.model, tmp_path / "mlp.keras", trained_mlp.metadata())
    result = run_cli("robustness", "--models", mlp, "--dataset", "mnist-sample")
    assert result.returncode == 0, result.stderr
    line = last_json(result.stdout)
    assert line["model"] == str(mlp) and line["dataset"] == "mnist-sample"
    assert list(line["curves"]) == ["noise", "shift", "turn", "scale", "thickness"]
    shift = line["curves"]["shift"]
    assert shift["settings"] == [0, 1, 2, 3, 4, 5, 6] and shift["n"] == 1000
    assert shift["accuracy"][3] < shift["accuracy"][0]
    assert line["curves"]["noise"]["accuracy"][0] == shift["accuracy"][0]
    calibration = line["calibration"]
    assert calibration["n"] == calibration["fitted_on"] == 500 and calibration["temperature"] > 0
    assert {"noise", "scribbles", "letters"} <= set(line["not_a_digit"]["auroc"])
    assert_usage_error(run_cli("robustness", "--models", mlp, tmp_path / "none.keras"), "no such model")
