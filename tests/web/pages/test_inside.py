"""The Inside page with Streamlit's AppTest: every layer and why, for a drawing or a test image."""

import re
import shutil

import pytest

from tests.support.digit_strokes import SEVEN
from tests.support.pages import as_read, canvas_drawing, fake_canvas, page


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


def shown_text(at) -> str:
    return as_read(" ".join(m.value for m in at.markdown))


def test_inside_page_names_the_layers_in_words_and_says_what_its_figures_measure(default_model, monkeypatch):
    """The CNN's layers by what they are, not by Keras' session names (`conv2d_4`, `dense_1`)."""
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception
    shown = shown_text(at)
    for title in ("Conv2D 1: 32 filters of 3x3, relu", "MaxPooling2D 2: the max of each 2x2 window",
                  "Dense 1: 128 units, relu", "Output: 10 classes, softmax"):  # fmt: skip
        assert title in shown
    assert not re.search(r"\b(conv2d|max_pooling2d|dense|dropout|flatten)(_\d+)?\b", shown)
    captions = [as_read(c.value) for c in at.caption]
    assert not any("Strongest activation" in caption for caption in captions)
    assert sum(caption.startswith("For this digit: the largest of its") for caption in captions) == 7


def test_inside_page_looks_inside_a_network_of_every_layer_kind(every_kind_model, models_dir, monkeypatch):
    """Batch normalisation, both poolings, global average pooling and a strided "same"
    convolution: each layer shown by its title, and every attribution method through them."""
    from mnist_app.learning.design_plan import plan
    from mnist_app.learning.designs import parse_text
    from mnist_app.learning.inspection import METHOD_TITLES
    from tests.support.models import EVERY_KIND

    shutil.copy(every_kind_model, models_dir / "every-kind.keras")
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception and not at.error
    shown = shown_text(at)
    kept = [row.title for row in plan(parse_text(EVERY_KIND)).rows
            if row.call.layer not in ("Reshape", "Flatten", "Dropout")]  # fmt: skip
    assert len(kept) == 10 and all(title in shown for title in kept), (kept, shown)
    assert "Each filter of **Conv2D 1: 8 filters of 3x3, relu, stride 2, same padding**" in as_read(
        " ".join(c.value for c in at.caption)
    )
    assert at.selectbox(key="inside_method").options == list(METHOD_TITLES.values())
    for method in METHOD_TITLES:
        at.selectbox(key="inside_method").select(method).run()
        assert not at.exception and not at.error
        captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
        assert any(caption.startswith(f"{METHOD_TITLES[method]} for") for caption in captions)
