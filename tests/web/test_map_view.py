"""The Map page's charts: a valid Vega-Lite specification, the table behind it, a dragged box read back."""

import base64
import io
import json

import altair as alt
import numpy as np
import pytest
from PIL import Image

from mnist_app.web.map_view import (
    DIGITS,
    DRAWN,
    YOURS,
    digit_urls,
    map_frame,
    map_spec,
    selected_digits,
    separation_floor,
    short_title,
)

NAMES = ("T-shirt/top", "Trouser", "Pullover")


def small_frame(urls=None):
    points = np.array([[0, 0], [1, 1], [2, 2], [3, 3]], np.float32)
    return map_frame(points, np.array([0, 1, 2, 1]), np.array([0, 2, 2, 1]), NAMES, urls)


@pytest.mark.parametrize("drawn", [None, (1.5, 1.5)])
def test_the_map_specification_is_valid_vega_lite_and_names_its_data(drawn):
    spec = map_spec(small_frame(["data:,"] * 4), NAMES, drawn)
    datasets = spec.pop("datasets")
    alt.LayerChart.from_dict(json.loads(json.dumps(spec)))  # validates against Vega-Lite's schema
    assert set(datasets) == ({DIGITS} if drawn is None else {DIGITS, DRAWN})
    assert (YOURS in json.dumps(spec)) == (drawn is not None)
    assert '"image"' in json.dumps(spec), "the hover shows the digit's picture"
    assert map_spec(small_frame(), NAMES)["layer"][0]["encoding"]["tooltip"][0]["field"] != "image"


def test_the_table_says_what_the_model_said_and_marks_its_mistakes():
    frame = small_frame()
    assert list(frame["true class"]) == ["T-shirt/top", "Trouser", "Pullover", "Trouser"]
    assert list(frame["the model said"]) == ["T-shirt/top", "Pullover", "Pullover", "Trouser"]
    assert list(frame["misread"]) == [False, True, False, False]
    beyond = map_frame(np.zeros((1, 2)), np.array([0]), np.array([7]), NAMES)
    assert beyond["the model said"][0] == "7", "a class the names do not reach, by its number"


def test_a_box_dragged_on_the_map_gives_the_digits_inside_it():
    frame = small_frame()
    assert list(selected_digits({"area": {"x": [0.5, 2.5], "y": [2.5, 0.5]}}, frame)) == [1, 2]
    for forged in (None, {}, {"area": {"x": [0, 1]}}, {"area": {"x": ["a", 1], "y": [0, 1]}},
                   {"area": {"x": [0, 1, 2], "y": [0, 1]}}, {"area": "x"}):  # fmt: skip
        assert len(selected_digits(forged, frame)) == 0


def test_digit_pictures_are_png_data_urls_of_the_digit():
    digit = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    (url,) = digit_urls(digit[None])
    head, data = url.split(",", 1)
    assert head == "data:image/png;base64"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))), digit)


def test_the_separation_axis_starts_below_the_lowest_accuracy_and_layers_are_shortened():
    assert separation_floor([0.83, 0.97]) == pytest.approx(0.7)
    assert separation_floor([0.05]) == 0.0
    assert short_title("Dense 1: 128 units, relu") == "Dense 1"
    assert short_title("The pixels: 784 numbers a digit") == "pixels"
