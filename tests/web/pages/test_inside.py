"""The Inside page with Streamlit's AppTest: every layer and why, for a drawing or a test image."""

import re
import shutil

import numpy as np
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
    convolution = ["A convolution, step by step"] if name != "mlp" else []
    assert [h.value for h in at.header] == ["Every layer", "What a unit looks for", *convolution]
    assert at.selectbox(key="inside_method").options == methods
    from mnist_app.datasets.dataset import FASHION_NAMES

    # As read: a class such as T-shirt/top is shown escaped in Markdown.
    prediction = as_read(next(m for m in at.metric if m.label == "Prediction").value)
    assert prediction == "7" if name != "fashion" else prediction in FASHION_NAMES
    assert any(first_layer_caption in m.value for m in at.markdown)
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
    assert "Each filter of **Conv2D 1: 8 filters of 3x3, relu, stride 2, same padding**" in shown
    assert at.selectbox(key="inside_method").options == list(METHOD_TITLES.values())
    for method in METHOD_TITLES:
        at.selectbox(key="inside_method").select(method).run()
        assert not at.exception and not at.error
        captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
        assert any(caption.startswith(f"{METHOD_TITLES[method]} for") for caption in captions)


def colour_keys(at) -> list[str]:
    return [element.proto.body for element in at.get("html") if 'class="colour-key"' in element.proto.body]


def test_integrated_gradients_are_told_for_the_class_in_percentage_points(default_model, monkeypatch):
    """The sentence above the map names the class and the probability's rise from a black
    image (as the model gives it); the colour key's ends are percentage points, not raw sums."""
    from mnist_app.learning.evaluation import predict_probabilities
    from mnist_app.learning.model_files import load_model
    from mnist_app.web.heat_maps import percent

    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception and not at.error
    black = predict_probabilities(load_model(default_model), np.zeros((1, 28, 28), np.uint8))[0]
    shown = shown_text(at)
    assert "Red pixels pushed the answer towards 7; blue pixels pushed it away." in shown
    assert f"raised the probability of 7 from {percent(black[7])} (a black image) to " in shown
    (key,) = colour_keys(at)
    assert re.search(
        r"blue: −[0-9.]+ percentage points or more.*red: \+[0-9.]+ percentage points or more", key
    )

    at.selectbox(key="inside_target").select("4").run()
    shown = shown_text(at)
    assert "Red pixels pushed the answer towards 4; blue pixels pushed it away." in shown
    assert f"lowered the probability of 4 from {percent(black[4])} (a black image) to " in shown


@pytest.mark.parametrize(
    ("method", "ends"), [("gradient", "strongest push towards"), ("grad-cam", "strongest evidence")]
)
def test_the_other_maps_are_told_as_relative_strengths_for_the_class(
    default_model, monkeypatch, method, ends
):
    """No raw gradient (1e-06) on the page: the key's ends are words, the sentence names the class."""
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    at.selectbox(key="inside_method").select(method).run()
    assert not at.exception and not at.error
    (key,) = colour_keys(at)
    assert ends in key and not re.search(r"\d", key.split('aria-label="', 1)[1].split('"', 1)[0])
    shown = shown_text(at)
    assert "for 7.**" in shown and "Colours are relative" in shown
    assert not re.search(r"\de-\d", shown + key)


@pytest.fixture
def drawn_pictures(monkeypatch):
    """Every picture the page hands to Streamlit, as the array it was."""
    from streamlit.elements.lib import image_utils

    pictures = []
    original = image_utils.image_to_url

    def recording(image, *args, **kwargs):
        if isinstance(image, np.ndarray):
            pictures.append(image)
        return original(image, *args, **kwargs)

    monkeypatch.setattr(image_utils, "image_to_url", recording)
    return pictures


def test_an_mlps_units_are_bars_and_its_weights_tiles_apart_each_on_its_own_scale(
    inside_models, models_dir, monkeypatch, drawn_pictures
):
    """The 784 and 100 units are not squares that look like a digit; each unit's weights are a
    framed 28x28 picture reaching full red or blue on its own scale."""
    from mnist_app.datasets import pictures

    shutil.copy(inside_models / "mlp.keras", models_dir / "mlp.keras")
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception and not at.error
    assert not [p.shape for p in drawn_pictures if p.ndim == 2], (
        "no grey picture: the MLP has no feature maps"
    )
    strips = [p for p in drawn_pictures if p.shape[1] >= 8 * p.shape[0]]
    assert sorted(p.shape[1] for p in strips) == [784, 800], "784 units a pixel wide, 100 units 8 wide"
    shown = shown_text(at)
    assert (
        "Its 784 units as bars" in shown
        and "Its 100 units as bars" in shown
        and "The strongest, in red: " in shown
    )
    assert "square" not in shown
    tiles = [p for p in drawn_pictures if p.ndim == 3 and p.shape[0] == p.shape[1] and p.shape[0] < 200]
    assert len(tiles) == 9, "the 8 units this digit excites most, and the one chosen"
    for tile in tiles:
        kept = ~(tile == 255).all(axis=(1, 2))
        tile = tile[kept][:, ~(tile[kept] == 255).all(axis=(0, 2))]  # the white margin off
        assert (tile[0] == pictures.FRAME).all() and (tile[:, -1] == pictures.FRAME).all()
        inner = tile[2:-2, 2:-2].reshape(-1, 3).astype(int)
        assert ((inner == (255, 0, 0)).all(axis=1) | (inner == (0, 0, 255)).all(axis=1)).any()
