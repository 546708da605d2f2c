"""A trained model as a file other programs run: TensorFlow Lite (`.tflite`, run by LiteRT on
phones and small boards) or ONNX (`.onnx`, run by ONNX Runtime and the many tools that read it).

Each format's own converter writes the file (TensorFlow's for TensorFlow Lite, tf2onnx for
ONNX), and the file is then run in its own runtime (LiteRT's interpreter, onnxruntime) on
test digits: it must read every digit as Keras does, each probability within `TOLERANCE`,
or it is refused with what differed. A layer a format cannot hold is named in the refusal.
TensorFlow and the converters are imported when a file is made, not with this module.
"""

from __future__ import annotations

import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.errors import UserError, one_line
from mnist_app.learning import tensorflow_runtime

# The formats, as the command line and the pages name them, and each one's name in words.
FORMATS = {"tflite": "TensorFlow Lite", "onnx": "ONNX"}
CONVERTERS = {"tflite": "TensorFlow's converter", "onnx": "tf2onnx"}
RUNTIMES = {"tflite": "LiteRT's interpreter", "onnx": "ONNX Runtime"}
TOLERANCE = 1e-4
# Where Keras' own two likeliest classes are closer than this, either reading of the digit is right.
TIE = 1e-6
# Full MNIST's test split; a larger one is checked on its first digits.
MAX_CHECKED_DIGITS = 10_000
BATCH = 1_000
INPUT_NAME, OUTPUT_NAME = "images", "probabilities"
# One conversion at a time in a process: neither converter says it is safe across threads,
# and each holds a copy of the model while it works.
_CONVERTING = threading.Lock()


class ExportError(UserError):
    """A model a format cannot hold, or a converted file that does not read digits as Keras does."""


@dataclass(frozen=True)
class Exported:
    """A converted model file and what its check found."""

    format: str
    content: bytes
    checked: int  # how many test digits it read as Keras does
    largest_difference: float  # the largest gap between its probabilities and Keras', over those digits


def check_format(format: str) -> str:
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}: use {' or '.join(FORMATS)}")
    return format


def export(model, format: str, images: np.ndarray) -> Exported:
    """`model` as a `format` file, checked on `images` (28x28 digits: uint8, or floats in 0..1)."""
    check_format(format)
    digits = _digits(images)
    expected = _keras_probabilities(model, digits)
    with _CONVERTING:
        content = _CONVERT[format](model)
    found = _RUN[format](content, digits)
    return Exported(format, content, len(digits), _compare(expected, found, format))


def _digits(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) == 0:
        raise ExportError(
            "a converted file is checked on test digits of 28x28 pixels, and this test split has none"
        )
    return to_model_input(images[:MAX_CHECKED_DIGITS])


def _batches(digits: np.ndarray):
    return (digits[start : start + BATCH] for start in range(0, len(digits), BATCH))


def _keras_probabilities(model, digits: np.ndarray) -> np.ndarray:
    probabilities = np.concatenate([np.asarray(model.predict_on_batch(batch)) for batch in _batches(digits)])
    if not np.isfinite(probabilities).all():
        raise ExportError(
            "the model itself gives probabilities that are not numbers: there is nothing to check a file against"
        )
    return probabilities


def _signature():
    import tensorflow as tf

    return [tf.TensorSpec((None, IMAGE_SIZE, IMAGE_SIZE), tf.float32, name=INPUT_NAME)]


def _serve(model):
    """What a file computes: the probabilities of a batch of digits, as at inference (no dropout)."""
    return lambda images: {OUTPUT_NAME: model(images, training=False)}


def _to_tflite(model) -> bytes:
    """Through a SavedModel in a temporary folder, the path TensorFlow's converter takes for a
    Keras 3 model."""
    tensorflow_runtime.prepare()
    import keras
    import tensorflow as tf

    try:
        with tempfile.TemporaryDirectory(prefix="mnist-app-export-") as folder:
            saved_model = str(Path(folder) / "saved_model")
            archive = keras.export.ExportArchive()
            archive.track(model)
            archive.add_endpoint("serve", _serve(model), input_signature=_signature())
            archive.write_out(saved_model, verbose=False)
            converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
            # TensorFlow Lite's own operations only: any LiteRT runs the file, with no TensorFlow inside.
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            return converter.convert()
    except Exception as error:
        operations = [str(e.operator.name).removeprefix("tf.") for e in getattr(error, "errors", [])]
        operations = operations or re.findall(r"'tf\.(\w+)' op is neither", str(error))
        raise ExportError(_refusal("tflite", model, error, operations, str(error))) from None


def _erfc(context, node, name, args) -> None:
    """tf2onnx's missing Erfc (in Keras' exact GELU) as 1 - Erf, two operations ONNX has."""
    from tf2onnx import utils

    erf = context.make_node("Erf", [node.input[0]])
    one = context.make_const(utils.make_name("one"), np.array(1, dtype=np.float32))
    node.type = "Sub"
    context.replace_inputs(node, [one.output[0], erf.output[0]])


def _to_onnx(model) -> bytes:
    """tf2onnx on the model's inference function; an operation it could not map is refused."""
    tensorflow_runtime.prepare()
    import onnx
    import tensorflow as tf
    import tf2onnx

    try:
        proto, _ = tf2onnx.convert.from_function(
            tf.function(_serve(model)),
            input_signature=_signature(),
            custom_op_handlers={"Erfc": (_erfc, [])},
        )
    except Exception as error:
        raise ExportError(_refusal("onnx", model, error, [], str(error))) from None
    # tf2onnx leaves an operation it cannot map in the graph as TensorFlow's, which no ONNX runtime has.
    unmapped = [node for node in proto.graph.node if not onnx.defs.has(node.op_type, node.domain)]
    if unmapped:
        operations = [node.op_type for node in unmapped]
        raise ExportError(_refusal("onnx", model, None, operations, " ".join(n.name for n in unmapped)))
    return proto.SerializeToString()


def _layer_in(model, text: str) -> str | None:
    """The model's layer that a converter's operation names lie under ("built_1/conv1_..._1/Erfc")."""
    found = [
        layer.name
        for layer in model.layers
        if re.search(rf"(?<![\w.-]){re.escape(layer.name)}(_\d+)?/", text)
    ]
    return max(found, key=len) if found else None


def _refusal(format: str, model, error: Exception | None, operations: list[str], text: str) -> str:
    title = FORMATS[format]
    if operations:
        layer = _layer_in(model, text)
        where = f"the layer {layer}" if layer else "this model"
        named = ", ".join(dict.fromkeys(operations))
        return (
            f"{title} cannot hold {where}: it computes with TensorFlow's {named}, which "
            f"{CONVERTERS[format]} cannot write in {title}"
        )
    return f"{CONVERTERS[format]} failed on this model ({type(error).__name__}: {one_line(text)[:200]})"


def _run_tflite(content: bytes, digits: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    try:
        runner = Interpreter(model_content=content).get_signature_runner()
        return np.concatenate([runner(**{INPUT_NAME: batch})[OUTPUT_NAME] for batch in _batches(digits)])
    except Exception as error:
        raise ExportError(_not_run("tflite", error)) from None


def _run_onnx(content: bytes, digits: np.ndarray) -> np.ndarray:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: its warnings are for whoever tunes a runtime
    try:
        session = onnxruntime.InferenceSession(content, options, providers=["CPUExecutionProvider"])
        return np.concatenate(
            [session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0] for batch in _batches(digits)]
        )
    except Exception as error:
        raise ExportError(_not_run("onnx", error)) from None


def _not_run(format: str, error: Exception) -> str:
    return (
        f"{RUNTIMES[format]} cannot run the converted file ({type(error).__name__}: {one_line(error)[:200]})"
    )


def _compare(expected: np.ndarray, found: np.ndarray, format: str) -> float:
    """The largest gap between the file's probabilities and Keras'; ExportError where they disagree."""
    title = FORMATS[format]
    if found.shape != expected.shape:
        raise ExportError(
            f"the {title} file gives {found.shape[1:]} numbers per digit, Keras {expected.shape[1:]}"
        )
    if not np.isfinite(found).all():
        digit = int(np.flatnonzero(~np.isfinite(found).all(axis=1))[0])
        raise ExportError(f"the {title} file gives probabilities that are not numbers (test digit {digit})")
    keras_reads, file_reads = expected.argmax(axis=1), found.argmax(axis=1)
    two_best = np.sort(expected, axis=1)[:, -2:]
    tied = two_best[:, 1] - two_best[:, 0] <= TIE
    misread = np.flatnonzero((keras_reads != file_reads) & ~tied)
    if misread.size:
        digit = int(misread[0])
        raise ExportError(
            f"the {title} file reads {misread.size:,} of {len(expected):,} test digits otherwise than "
            f"Keras (test digit {digit}: Keras reads class {keras_reads[digit]}, the file {file_reads[digit]})"
        )
    gaps = np.abs(found - expected).max(axis=1)
    worst = int(gaps.argmax())
    if gaps[worst] > TOLERANCE:
        raise ExportError(
            f"the {title} file's probabilities differ from Keras' by up to {gaps[worst]:.2g} "
            f"(test digit {worst}), more than the {TOLERANCE:g} allowed"
        )
    return float(gaps[worst])


_CONVERT = {"tflite": _to_tflite, "onnx": _to_onnx}
_RUN = {"tflite": _run_tflite, "onnx": _run_onnx}
