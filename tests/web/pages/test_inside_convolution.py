"""Inside's convolution, step by step, under Streamlit's AppTest: the numbers shown are Keras'."""

import re
import shutil

import numpy as np

from tests.support.digit_strokes import SEVEN
from tests.support.pages import as_read, canvas_drawing, fake_canvas, page

HEADER = "A convolution, step by step"


def shown_text(at) -> str:
    return as_read(" ".join(m.value for m in at.markdown))


def step_figures(text: str) -> tuple[str, float, float]:
    """The activation, the sum plus bias, and the feature map's pixel (Keras' own), as shown."""
    activation, total, pixel = re.search(r"(\w+)\((-?\d+\.\d+)\) = \*\*(-?\d+\.\d+)\*\*", text).groups()
    assert "as Keras itself computes it" in text
    return activation, float(total), float(pixel)


def keras_first_conv_output(model_file, image: np.ndarray) -> np.ndarray:
    """The first Conv2D's output for a digit, straight from Keras."""
    import keras

    from mnist_app.learning.model_files import load_model

    model = load_model(model_file)
    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    return np.asarray(keras.Model(model.inputs[0], conv.output)(image[None], training=False))[0]


def test_a_step_shows_the_models_own_numbers(default_model, sample, monkeypatch):
    """For test image #7 of the sample (the dataset in use offline), filter 5 at one window."""
    fake_canvas(monkeypatch, None)
    at = page("inside").run()
    at.segmented_control(key="inside_source").set_value("Test image").run()
    at.number_input(key="inside_index").set_value(7).run()
    assert not at.exception and not at.error
    assert HEADER in [h.value for h in at.header]
    shown = shown_text(at)
    assert "**Conv2D 1: 32 filters of 3x3, relu**" in shown
    assert "26 × 26 = 676 positions" in shown
    expected = keras_first_conv_output(default_model, sample.x_test[7].astype(np.float32) / 255)
    at.selectbox(key="conv_filter").set_value(5).run()
    at.select_slider(key="conv_position").set_value(12 * 26 + 13).run()
    assert not at.exception and not at.error
    shown = shown_text(at)
    assert "Filter 5 at row 13, column 14" in shown
    activation, total, pixel = step_figures(shown)
    assert activation == "relu" and pixel == max(total, 0.0)
    assert abs(pixel - expected[12, 13, 5]) < 1e-3
    # The window's products, weights and numbers are shown as grids, one figure per cell.
    grids = [e.proto.body for e in at.get("html") if "convolution-step" in e.proto.body]
    assert len(grids) == 1 and grids[0].count('<span style="background') == 27


def test_play_moves_the_window_and_pause_stops_it(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert at.select_slider(key="conv_position").value == 0
    at.button(key="conv_play").click().run()
    assert not at.exception and not at.error
    first = at.select_slider(key="conv_position").value
    at.run()
    second = at.select_slider(key="conv_position").value
    assert 0 < first < second
    assert at.button(key="conv_play").label == "Pause"
    at.button(key="conv_play").click().run()
    assert at.button(key="conv_play").label == "Play"
    paused = at.select_slider(key="conv_position").value
    at.run()
    assert at.select_slider(key="conv_position").value == paused


def test_play_stops_at_the_last_window_and_starts_again_from_the_first(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    at.select_slider(key="conv_position").set_value(675).run()
    at.button(key="conv_play").click().run()
    assert 0 < at.select_slider(key="conv_position").value < 675
    at.session_state["conv_position"] = 675
    at.run()
    assert not at.exception
    assert at.button(key="conv_play").label == "Play"


def test_a_strided_same_convolution_after_batch_norm(every_kind_model, models_dir, monkeypatch):
    shutil.copy(every_kind_model, models_dir / "every-kind.keras")
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception and not at.error
    shown = shown_text(at)
    assert "stride 2, same padding" in shown and "what the layers before it make of the digit" in shown
    assert 'padding is "same"' in shown and "14 × 14 = 196 positions" in shown
    at.select_slider(key="conv_position").set_value(195).run()
    shown = shown_text(at)
    activation, total, pixel = step_figures(shown)
    assert activation == "relu" and pixel == max(total, 0.0)
    assert "at row 14, column 14" in shown
    # The last window hangs over the zeros "same" padding adds below and right: pale blue, as in the picture.
    (grid,) = [e.proto.body for e in at.get("html") if "convolution-step" in e.proto.body]
    assert grid.count("background:#bed7f5") == 5


def test_a_kept_choice_the_model_lacks_falls_back(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside")
    at.session_state["conv_filter"] = 999
    at.session_state["conv_position"] = -3
    at.run()
    assert not at.exception and not at.error
    assert at.select_slider(key="conv_position").value == 0


def test_no_convolution_section_for_the_mlp(inside_models, models_dir, monkeypatch):
    shutil.copy(inside_models / "mlp.keras", models_dir / "mlp.keras")
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception and not at.error
    assert HEADER not in [h.value for h in at.header]


def test_the_largest_grids_of_numbers_stay_a_small_message():
    """Under Streamlit's 10 KB, above which it caches a message by hash, and a window moved
    quickly can ask for one the server no longer holds."""
    from mnist_app.datasets.pictures import diverging
    from mnist_app.web.convolution_view import MAX_NUMBERS, arithmetic_html

    values = np.full((MAX_NUMBERS, MAX_NUMBERS), -0.125)
    grids = [(name, values, diverging(values)) for name in ("window", "weights", "products")]
    shown = arithmetic_html(grids)
    assert shown.count("-0.12") == 3 * MAX_NUMBERS**2 and len(shown.encode()) < 10_000
