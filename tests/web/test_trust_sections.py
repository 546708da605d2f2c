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
