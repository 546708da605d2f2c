"""The Draw page with Streamlit's AppTest: a drawing or an upload read by the model in use, whatever
reaches it from a browser or the models folder refused in words."""

import io
import json
import shutil

import pytest
from PIL import Image, ImageDraw

from tests.support.digit_strokes import ONE, SEVEN
from tests.support.pages import as_read, canvas_drawing, fake_canvas, page


def test_draw_page_without_models_says_to_train_one(models_dir):
    at = page("draw").run()
    assert not at.exception
    assert "train one on the Train page" in at.warning[0].value


def test_draw_page_asks_for_a_digit_on_an_empty_canvas(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing([]))
    at = page("draw").run()
    assert not at.exception
    assert not at.metric
    assert "Draw a digit" in at.info[0].value


def test_draw_page_reads_a_drawn_seven(default_model, monkeypatch):
    seven = canvas_drawing(SEVEN)
    fake_canvas(monkeypatch, seven)
    at = page("draw").run()
    assert not at.exception
    prediction = next(m for m in at.metric if m.label == "Prediction")
    assert prediction.value == "7"
    assert "Confidence" in at.caption[-1].value
    (bars,) = at.get("html")
    assert "Probability of each class" in bars.proto.body
    assert 'font-weight:700;">7</span>' in bars.proto.body, "the 7 is the bar in bold"
    assert len(at.get("image")) == 1, "the 28x28 image the model saw is shown"


@pytest.mark.parametrize(
    "payload",
    ["data:image/png;base64,AAAA", ["not", "a", "picture"], "data:image/png;base64," + "A" * 3_000_000],
    ids=["damaged-png", "list", "three-megabytes"],
)
@pytest.mark.parametrize("name", ["draw", "inside"])
def test_a_forged_drawing_gets_a_message_and_the_page_keeps_working(
    default_model, monkeypatch, name, payload
):
    """A session's websocket can send any value as the canvas's drawing: it is never decoded blindly."""
    fake_canvas(monkeypatch, payload)
    at = page(name).run()
    assert not at.exception
    assert any("Cannot read the drawing" in error.value for error in at.error)
    assert not any(m.label == "Prediction" for m in at.metric)
    assert any("Draw a digit" in info.value for info in at.info)


def test_draw_page_reports_a_broken_model_file(models_dir):
    (models_dir / "broken.keras").write_bytes(b"PK\x03\x04 torn")
    at = page("draw").run()
    assert not at.exception
    assert "train one on the Train page" in at.warning[0].value


def test_draw_page_refuses_a_hostile_model_and_keeps_working(hostile_model, models_dir, monkeypatch):
    path, marker = hostile_model
    shutil.copy(path, models_dir / "hostile.keras")
    fake_canvas(monkeypatch, canvas_drawing(ONE))
    at = page("draw").run()
    assert not at.exception
    assert "Python code" in at.error[0].value
    assert not marker.exists()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_draw_page_reads_an_uploaded_photo_of_dark_ink_on_paper(default_model, monkeypatch):
    fake_canvas(monkeypatch, None)
    photo = Image.new("L", (300, 400), 235)
    ImageDraw.Draw(photo).line([(70, 90), (230, 90), (120, 330)], fill=30, width=24)
    at = page("draw").run()
    at.get("file_uploader")[0].upload("seven.png", png_bytes(photo), "image/png").run()
    assert not at.exception
    assert next(m for m in at.metric if m.label == "Prediction").value == "7"
    assert "colours inverted" in at.get("image")[0].proto.imgs[0].caption


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", b"this is a text file, not a picture", "not a readable image"),
        ("huge.png", png_bytes(Image.new("1", (20000, 20000))), "too many pixels"),
    ],
)
def test_draw_page_refuses_a_bad_upload_and_keeps_working(default_model, monkeypatch, name, content, message):
    fake_canvas(monkeypatch, None)
    at = page("draw").run()
    at.get("file_uploader")[0].upload(name, content, "image/png").run()
    assert not at.exception
    assert message in at.error[0].value and "Upload a PNG, JPEG" in at.error[0].value
    assert at.button(key="clear_canvas") and at.selectbox(key="model_name").value == "default"


def test_a_model_of_the_wrong_shape_is_refused_when_chosen(models_dir, monkeypatch):
    import keras

    from mnist_app.learning.model_files import save_model

    three_classes = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(3)])
    save_model(three_classes, models_dir / "three.keras", {})
    fake_canvas(monkeypatch, canvas_drawing(ONE))
    at = page("draw").run()
    assert not at.exception
    assert "Cannot use this model" in at.error[0].value and "(3,)" in as_read(at.error[0].value)
    train = page("train").run()
    assert not train.exception
    assert "Cannot evaluate three" in train.error[0].value


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [("digit.png", EPS), ("tiff.png", b"II*\x00" + b"\x00" * 64), ("empty.png", b"")],
)
def test_draw_page_refuses_hostile_uploads_and_keeps_working(default_model, monkeypatch, name, content):
    fake_canvas(monkeypatch, None)
    at = page("draw").run()
    at.get("file_uploader")[0].upload(name, content, "image/png").run()
    assert not at.exception
    assert f"Cannot read {name}" in as_read(at.error[0].value)
    assert at.button(key="clear_canvas")


def test_draw_page_saves_a_digit_to_my_digits_with_a_corrected_label(default_model, data_dir, monkeypatch):
    from mnist_app.datasets.digit_store import DigitStore

    seven = canvas_drawing(SEVEN)
    fake_canvas(monkeypatch, seven)
    at = page("draw").run()
    picker = at.selectbox(key="keep_label")
    assert picker.value == 7, "the prediction is the label offered"
    picker.select(1).run()
    at.button(key="keep_digit").click().run()
    assert not at.exception
    assert "labelled 1" in at.success[0].value
    kept = DigitStore().read()
    assert kept.labels.tolist() == [1] and kept.images[0].max() == 255


def test_each_new_drawing_offers_its_own_prediction_with_one_picker_a_session(default_model, monkeypatch):
    from streamlit.runtime.state.session_state import SessionState

    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("draw").run()
    at.selectbox(key="keep_label").select(2).run()
    assert at.selectbox(key="keep_label").value == 2, "the learner's correction holds while the drawing does"
    fake_canvas(monkeypatch, None)
    at.run()
    assert "keep_label" not in [box.key for box in at.selectbox], "no drawing, no picker"
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at.run()
    assert at.selectbox(key="keep_label").value == 7, "the same drawing back: its prediction again"
    metadata = []
    real = SessionState._set_widget_metadata
    monkeypatch.setattr(
        SessionState, "_set_widget_metadata", lambda self, meta: metadata.append(meta.id) or real(self, meta)
    )
    for strokes in (ONE, SEVEN, ONE):
        fake_canvas(monkeypatch, canvas_drawing(strokes))
        at.run()
        assert not at.exception and not at.error
        prediction = next(m for m in at.metric if m.label == "Prediction").value
        expected = int(prediction) if prediction.isdigit() else 0
        assert at.selectbox(key="keep_label").value == expected, "a new drawing, its own prediction"
    pickers = {wid for wid in metadata if "keep_label" in wid}
    assert len(pickers) == 1, "the same picker for every drawing, not one more a stroke"


def test_draw_page_reads_with_a_network_of_every_layer_kind(every_kind_model, models_dir, monkeypatch):
    shutil.copy(every_kind_model, models_dir / "every-kind.keras")
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("draw").run()
    assert not at.exception and not at.error
    prediction = next(m for m in at.metric if m.label == "Prediction")
    assert prediction.value in [str(digit) for digit in range(10)]
    (bars,) = at.get("html")
    assert "Probability of each class" in bars.proto.body


@pytest.fixture(scope="module")
def fixed_readers(tmp_path_factory):
    """An MLP that reads every digit as a 4 and a CNN that reads every digit as a 9 (no weights,
    the answer in the output's bias), newer than the shipped CNN, so the MLP is in use at first."""
    import keras
    import numpy as np

    from mnist_app.datasets.dataset import DIGIT_NAMES
    from mnist_app.learning.model_files import save_model

    def always(answer: int, hidden: list):
        model = keras.Sequential(
            [
                keras.Input((28, 28)),
                *hidden,
                keras.layers.Flatten(),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        for weights in model.weights:
            weights.assign(np.zeros(weights.shape))
        model.layers[-1].bias.assign(np.eye(10)[answer] * 5)
        return model

    folder = tmp_path_factory.mktemp("fixed-readers")
    for name, arch, answer, hidden, day in [
        ("always-4", "mlp", 4, [], 2),
        ("always-9", "cnn", 9, [keras.layers.Reshape((28, 28, 1)), keras.layers.Conv2D(2, 3)], 1),
    ]:
        description = {
            "arch": arch,
            "classes": list(DIGIT_NAMES),
            "created": f"2027-01-0{day}T00:00:00+00:00",
        }
        save_model(always(answer, hidden), folder / f"{name}.keras", description)
    return folder


@pytest.fixture
def three_models(fixed_readers, default_model, models_dir):
    for path in fixed_readers.iterdir():
        shutil.copy(path, models_dir / path.name)
    return models_dir


def readings(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_two_models_read_the_drawing_side_by_side_and_their_disagreement_is_said(three_models, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("draw").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="model_name").value == "always-4"
    assert at.selectbox(key="compare_with").value == "always-9", "an MLP in use is compared with a CNN"
    assert readings(at) == {"Prediction": "4", "Second opinion": "9"}
    assert any("The MLP reads a 4, the CNN a 9." in m.value for m in at.markdown)
    names = [as_read(m.value) for m in at.markdown if m.value.startswith("**always")]
    assert names == [
        "**always-4**  \nthe model in use, a dense network (MLP)",
        "**always-9**  \na convolutional network (CNN)",
    ]
    assert [caption.value for caption in at.caption if caption.value.startswith("Confidence")] == [
        "Confidence 94.3%",
        "Confidence 94.3%",
    ]
    bars = [element.proto.body for element in at.get("html")]
    assert (
        len(bars) == 2 and 'font-weight:700;">4</span>' in bars[0] and 'font-weight:700;">9</span>' in bars[1]
    )
    assert len(at.get("image")) == 1, "one picture of what both models saw"


def test_the_second_model_is_at_first_the_other_kind_and_models_of_other_classes_are_not_offered(
    three_models, monkeypatch
):
    from mnist_app.datasets.dataset import FASHION_NAMES
    from tests.support import REPO
    from tests.support.models import with_description

    description = json.dumps({"arch": "mlp", "classes": list(FASHION_NAMES), "created": "2028-01-01T00:00"})
    with_description(
        REPO / "models" / "default.keras",
        three_models / "fashion.keras",
        lambda archive: archive.writestr("mnist_app.json", description),
    )
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("draw").run()
    at.selectbox(key="model_name").select("always-4").run()
    options = at.selectbox(key="compare_with").options
    assert [option.split(" ")[0] for option in options] == ["always-9", "default", "no"], (
        "no Fashion-MNIST model"
    )
    assert options[-1] == "no second model"
    for in_use in ("always-9", "default"):
        at.selectbox(key="model_name").select(in_use).run()
        assert at.selectbox(key="compare_with").value == "always-4", (
            f"a CNN in use ({in_use}) is compared with the MLP"
        )
    assert readings(at) == {"Prediction": "7", "Second opinion": "4"}

    at.selectbox(key="compare_with").select("always-9").run()
    assert not at.exception
    assert readings(at) == {"Prediction": "7", "Second opinion": "9"}
    assert any("**default** reads a 7, **always\\-9** a 9." in m.value for m in at.markdown), (
        "two CNNs go by name"
    )
    at.selectbox(key="compare_with").select("").run()
    assert readings(at) == {"Prediction": "7"} and len(at.get("html")) == 1


def test_with_one_model_the_page_says_how_to_get_a_second(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("draw").run()
    assert "compare_with" not in [select.key for select in at.selectbox]
    assert any("Train a second model" in caption.value for caption in at.caption)
    assert readings(at) == {"Prediction": "7"}
