"""Train's downloads of the chosen saved model with Streamlit's AppTest: the .keras file at once,
.tflite and .onnx made on a click, kept for the next click, and a refusal said in words."""

from mnist_app.learning.exports import ExportError
from mnist_app.web import downloads
from tests.support.pages import as_read, page


def download_labels(at) -> list[str]:
    return [button.proto.label for button in at.get("download_button")]


def counting_exports(monkeypatch) -> list[str]:
    """Record each conversion the page asks for, and make it."""
    made = []
    real = downloads.export

    def export(model, format, images):
        made.append(format)
        return real(model, format, images)

    monkeypatch.setattr(downloads, "export", export)
    return made


def test_the_chosen_model_downloads_as_keras_tflite_and_onnx(default_model, monkeypatch):
    made = counting_exports(monkeypatch)
    at = page("train").run()
    assert not at.exception
    assert download_labels(at) == ["Download .keras"]
    words = next(m.value for m in at.markdown if m.value.startswith("**Download default.**"))
    assert (
        "the 1,000 test images of **mnist-sample**" in as_read(words) and "within 0.0001 of Keras'" in words
    )
    at.button(key="download_make_onnx").click().run()
    assert not at.exception and not at.error
    assert download_labels(at) == ["Download .keras", "Download .onnx"]
    assert "Checked: it reads all 1,000 test images as Keras does (0.8 MB)." in [c.value for c in at.caption]
    at.button(key="download_make_tflite").click().run()
    assert download_labels(at) == ["Download .keras", "Download .tflite", "Download .onnx"]
    at.run()
    assert download_labels(at) == ["Download .keras", "Download .tflite", "Download .onnx"], "kept"
    assert made == ["onnx", "tflite"]

    another = page("train").run()
    assert download_labels(another) == ["Download .keras"], "another visitor clicks for theirs"
    another.button(key="download_make_onnx").click().run()
    assert download_labels(another) == ["Download .keras", "Download .onnx"]
    assert made == ["onnx", "tflite"], "the file made for the first visitor, handed out again"


def test_a_format_that_cannot_hold_the_model_says_why(default_model, monkeypatch):
    def refuse(model, format, images):
        raise ExportError("ONNX cannot hold the layer conv2d: it computes with TensorFlow's Erfinv")

    monkeypatch.setattr(downloads, "export", refuse)
    at = page("train").run()
    at.button(key="download_make_onnx").click().run()
    assert not at.exception
    assert [as_read(e.value) for e in at.error] == [
        "Cannot make the .onnx file: ONNX cannot hold the layer conv2d: it computes with TensorFlow's Erfinv."
    ]
    assert download_labels(at) == ["Download .keras"]
    assert at.button(key="download_make_onnx"), "the visitor may ask again"
