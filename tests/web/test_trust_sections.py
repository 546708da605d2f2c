"""The Trust page's sentences come from the figures: the shift sentence says which network loses less."""

from types import SimpleNamespace

import numpy as np

from mnist_app.learning.robustness import Curve
from mnist_app.web.trust_charts import change_picture
from mnist_app.web.trust_sections import shift_sentence


def shift(before: float, after: float) -> list[Curve]:
    accuracy = (before, before, before, after, after, after, after)
    return [Curve("shift", "Moved", "pixels", (0, 1, 2, 3, 4, 5, 6), accuracy, 1000)]


def models(**kinds):
    return [SimpleNamespace(name=name, convolutional=kind) for name, kind in kinds.items()]


def test_the_sentence_says_the_convolutional_network_loses_less_when_it_does():
    said = shift_sentence(models(mlp=False, cnn=True), {"mlp": shift(0.93, 0.37), "cnn": shift(0.96, 0.87)})
    assert "**mlp** loses 56 percentage points (93% → 37%)" in said
    assert "**cnn** loses 9 percentage points (96% → 87%)" in said
    assert "So the convolutional network **cnn** loses less than the dense network **mlp**" in said


def test_the_sentence_says_so_when_it_does_not():
    said = shift_sentence(models(mlp=False, cnn=True), {"mlp": shift(0.93, 0.90), "cnn": shift(0.96, 0.50)})
    assert "Here the convolutional network **cnn** does not lose less than the dense network **mlp**." in said
    assert "loses less" not in said


def test_no_comparison_of_kinds_without_one_of_each_or_with_unknown_layers():
    said = shift_sentence(models(a=False, b=None), {"a": shift(0.9, 0.3), "b": shift(0.9, 0.8)})
    assert said.startswith("Moved by 3 pixels") and "convolutional" not in said
    assert shift_sentence(models(a=False), {}) == ""


def test_the_noise_picture_is_mid_grey_where_nothing_changed_white_and_black_at_plus_and_minus_epsilon():
    picture = change_picture(np.array([[0.0, 0.1, -0.1]]), 0.1)
    assert picture.tolist() == [[128, 255, 0]]
    assert change_picture(np.zeros((2, 2)), 0.0).tolist() == [[128, 128], [128, 128]]


def test_the_not_a_digit_sentence_says_what_draw_does_with_the_threshold_saved_with_the_model():
    from mnist_app.web.trust_sections import threshold_words

    source = SimpleNamespace(source="letters", title="Letters", rejected=0.4)
    result = SimpleNamespace(threshold=0.7, kept=0.95, sources=[source])
    never = threshold_words("old", None, result)
    assert "**old** was saved without a not-a-digit threshold, so Draw never says" in never
    assert "would be **70%** (the red line), which keeps 95% of the test digits" in never
    same = threshold_words("new", 0.7001, result)
    assert (
        'On Draw, **new** says "this does not look like a digit to me" below a confidence of **70%**' in same
    )
    assert "which keeps 95% of the test digits and turns away 40% of the letters" in same
    other = threshold_words("moved", 0.5, result)
    assert "below a confidence of **50%** (the red line)" in other and "it would be 70%" in other


def test_the_calibration_sentence_says_whether_draw_can_use_a_temperature():
    from mnist_app.web.trust_sections import draw_temperature

    assert "saved without a temperature, so Draw cannot" in draw_temperature(None, 1.4)
    assert "Draw uses this temperature" in draw_temperature(1.4, 1.4)
    assert "saved with the model, 2.00" in draw_temperature(2.0, 1.4)


def test_heat_maps_near_fifty_percent_are_said_to_be_no_better_than_random_ink():
    from mnist_app.web.trust_sections import near_chance

    score = lambda value: SimpleNamespace(score=value)  # noqa: E731
    said = near_chance({"m": {"Grad-CAM": score(0.52), "Input gradient": score(0.3), "IG": score(0.9)}})
    assert "No better than random ink: Grad-CAM for **m** (52%)" in said
    assert "Below it, Input gradient for **m** (30%)" in said and "IG" not in said
    assert near_chance({"m": {"IG": score(0.9)}}) == ""
