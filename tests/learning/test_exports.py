"""A model as .tflite and .onnx: every network the app builds converts, and reads the sample's
1,000 test digits as Keras does in LiteRT and ONNX Runtime; what a format cannot hold, or a
file that reads otherwise, is refused in words."""

import keras
import numpy as np
import onnxruntime
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from mnist_app.datasets.dataset import to_model_input
from mnist_app.learning import exports
from mnist_app.learning.architectures import build_cnn, build_designed, build_mlp
from mnist_app.learning.designs import ACTIVATIONS, KINDS, PRESETS, parse_text
from mnist_app.learning.exports import FORMATS, TOLERANCE, ExportError, export
from mnist_app.learning.model_files import load_model
from tests.support import REPO

# Every kind of layer Build offers, every activation, both paddings and a stride.
EVERY_KIND = parse_text(
    "conv:8:3:relu:1:same,batchnorm,pool:2,conv:8:3:elu,avgpool:2,dropout:0.2,conv:16:3:gelu:2:same,"
    "gap,dense:32:tanh,batchnorm,dropout:0.3,dense:16:sigmoid,dense:16:linear,flatten"
)


def test_the_every_kind_design_holds_every_kind_and_activation():
    assert {layer.kind for layer in EVERY_KIND} == set(KINDS)
    assert {layer.activation for layer in EVERY_KIND if layer.activation} == set(ACTIVATIONS)


@pytest.fixture(scope="module")
def networks(trained_mlp):
    """The shipped CNN (trained, with its augmentation layers), the lab's MLP trained, the two
    presets as built for training, and every Build preset."""
    built = {title: build_designed(layers) for title, layers in PRESETS.items()}
    return {
        "shipped CNN": load_model(REPO / "models" / "default.keras"),
        "trained MLP": trained_mlp.model,
        "mlp": build_mlp(),
        "cnn": build_cnn(),
        **built,
    }


@pytest.mark.parametrize("format", list(FORMATS))
def test_every_preset_reads_the_test_digits_as_keras_does(networks, sample, format):
    for name, model in networks.items():
        exported = export(model, format, sample.x_test)
        assert exported.checked == len(sample.x_test) == 1000, name
        assert exported.largest_difference <= TOLERANCE, name
        assert exported.content, name


def run_file(format: str, content: bytes, digits: np.ndarray) -> np.ndarray:
    """The file run in its own runtime by its input and output names, as its user would."""
    if format == "tflite":
        return Interpreter(model_content=content).get_signature_runner()(images=digits)["probabilities"]
    session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"images": digits})[0]


@pytest.mark.parametrize("format", list(FORMATS))
def test_a_network_of_every_layer_kind_exports(sample, format):
    """GELU included, whose exact form ONNX reaches only through the app's own Erfc rewrite."""
    model = build_designed(EVERY_KIND)
    exported = export(model, format, sample.x_test)
    digits = to_model_input(sample.x_test[:100])
    expected = model.predict_on_batch(digits)
    found = run_file(format, exported.content, digits)
    np.testing.assert_allclose(found, expected, atol=TOLERANCE)
    assert (found.argmax(axis=1) == expected.argmax(axis=1)).all()


class Erfinv(keras.layers.Layer):
    """A layer computing with an operation neither TensorFlow Lite nor tf2onnx has."""

    def call(self, inputs):
        return tf.math.erfinv(inputs * 0.5)


@pytest.mark.parametrize(("format", "converter"), [("tflite", "TensorFlow's converter"), ("onnx", "tf2onnx")])
def test_a_layer_a_format_cannot_hold_is_named(sample, format, converter):
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), Erfinv(name="inverse_error_function"),
         keras.layers.Dense(10, activation="softmax")]
    )  # fmt: skip
    with pytest.raises(ExportError) as refused:
        export(model, format, sample.x_test[:10])
    assert str(refused.value) == (
        f"{FORMATS[format]} cannot hold the layer inverse_error_function: it computes with "
        f"TensorFlow's Erfinv, which {converter} cannot write in {FORMATS[format]}"
    )


def keras_reads(n: int = 4) -> np.ndarray:
    """Probabilities with a clear favourite per digit: class i % 10 at 0.91, the rest at 0.01."""
    probabilities = np.full((n, 10), 0.01, np.float32)
    probabilities[np.arange(n), np.arange(n) % 10] = 0.91
    return probabilities


def test_a_file_that_reads_a_digit_otherwise_is_refused():
    expected = keras_reads()
    found = expected.copy()
    found[2] = np.roll(found[2], 1)
    with pytest.raises(ExportError, match=r"reads 1 of 4 test digits otherwise than Keras \(test digit 2: "
                       r"Keras reads class 2, the file 3\)"):  # fmt: skip
        exports._compare(expected, found, "onnx")


def test_probabilities_further_than_the_tolerance_are_refused():
    expected = keras_reads()
    found = expected.copy()
    found[3, 3] -= 3 * TOLERANCE
    with pytest.raises(ExportError, match=r"differ from Keras' by up to 0.0003 \(test digit 3\)"):
        exports._compare(expected, found, "tflite")
    found[3, 3] = expected[3, 3] - TOLERANCE / 2
    assert exports._compare(expected, found, "tflite") == pytest.approx(TOLERANCE / 2, rel=1e-3)


def test_a_digit_keras_itself_calls_a_tie_may_go_either_way():
    expected = keras_reads()
    expected[1, [1, 7]] = 0.46
    found = expected.copy()
    found[1, 7] += 1e-7
    assert exports._compare(expected, found, "onnx") < TOLERANCE


def test_probabilities_that_are_not_numbers_are_refused():
    found = keras_reads()
    found[0, 0] = np.nan
    with pytest.raises(ExportError, match=r"not numbers \(test digit 0\)"):
        exports._compare(keras_reads(), found, "onnx")


def test_a_split_without_digits_and_an_unknown_format_are_refused():
    model = build_designed(())
    with pytest.raises(ExportError, match="this test split has none"):
        export(model, "onnx", np.zeros((0, 28, 28), np.uint8))
    with pytest.raises(ExportError, match="unknown format 'pb': use tflite or onnx"):
        export(model, "pb", np.zeros((1, 28, 28), np.uint8))
