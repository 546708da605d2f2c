"""The Inside page with Streamlit's AppTest: every layer and why, for a drawing or a test image."""

import shutil

import pytest

from tests.support.digit_strokes import SEVEN
from tests.support.pages import canvas_drawing, fake_canvas, page


@pytest.mark.parametrize(
    ("name", "methods", "first_layer_caption"),
    [
        ("cnn", ["Integrated gradients", "Grad-CAM", "Input gradient"], "Each filter of"),
        ("mlp", ["Integrated gradients", "Input gradient"], "Each unit of"),
        ("fashion", ["Integrated gradients", "Grad-CAM", "Input gradient"], "Each filter of"),
    ],
)
def test_inside_page_shows_every_layer_and_why(
    inside_models, models_dir, monkeypatch, name, methods, first_layer_caption
):
    shutil.copy(inside_models / f"{name}.keras", models_dir / f"{name}.keras")
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception and not at.error
    assert [h.value for h in at.header] == ["Every layer", "What a unit looks for"]
    assert at.selectbox(key="inside_method").options == methods
    from mnist_app.datasets.dataset import FASHION_NAMES

    prediction = next(m for m in at.metric if m.label == "Prediction").value
    assert prediction == "7" if name != "fashion" else prediction in FASHION_NAMES
    assert any(first_layer_caption in c.value for c in at.caption)
    from mnist_app.learning.inspection import METHOD_TITLES

    for method in (method for method, title in METHOD_TITLES.items() if title in methods):
        at.selectbox(key="inside_method").select(method).run()
        assert not at.exception and not at.error
        captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
        assert any(caption.startswith(f"{METHOD_TITLES[method]} for") for caption in captions), captions
    at.selectbox(key="inside_target").select(at.selectbox(key="inside_target").options[4]).run()
    assert not at.exception and not at.error


def test_inside_page_reads_test_images_and_finds_a_mistake(default_model, monkeypatch):
    fake_canvas(monkeypatch, None)
    at = page("inside").run()
    at.segmented_control(key="inside_source").set_value("Test image").run()
    assert not at.exception
    at.number_input(key="inside_index").set_value(7).run()
    assert any("test image #7" in c.value for c in at.caption)
    at.button(key="inside_wrong").click().run()
    assert not at.exception and not at.error
    index = at.number_input(key="inside_index").value
    assert index != 7, "moved to a digit the model reads wrong"


def test_inside_page_asks_for_a_digit_on_an_empty_canvas(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing([]))
    at = page("inside").run()
    assert not at.exception
    assert "Draw a digit" in at.info[0].value
