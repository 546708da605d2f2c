"""Draw: sketch a digit (or upload a photo of one) and watch two models read it side by side.

The model in use reads it beside a second one the learner picks, by default the other kind of
network (an MLP beside a CNN), so the lesson of dense against convolutional shows on the
learner's own handwriting. A stroke reruns only the reading, and costs one prediction a model.
"""

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.datasets.pictures import enlarge
from mnist_app.datasets.preparation import PreparedDigit, canvas_to_grey, decode_image, prepare_digit
from mnist_app.learning.model_store import SavedModel
from mnist_app.learning.not_a_digit import KEEP_DIGITS
from mnist_app.learning.trust_settings import calibrated
from mnist_app.timing import timed
from mnist_app.web import resources
from mnist_app.web.canvas import sketch
from mnist_app.web.html_bars import probability_bars_html
from mnist_app.web.model_kinds import CNN, MLP, NO_SECOND, default_second, network_kind
from mnist_app.web.page_errors import attempt, show_unexpected
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_model

SEEN_ZOOM = 8
COMPARE_KEY = "compare_with"
LABEL_KEY = "keep_label"  # the "It is a" picker under a reading
LABELLED_KEY = "keep_label_drawing"  # the drawing whose label the picker holds
# The model in use that the "Compare with" choice was made beside: another starts from the default.
COMPARED_BESIDE_KEY = "compare_with_beside"
KIND_WORDS = {CNN: "a convolutional network (CNN)", MLP: "a dense network (MLP)"}


@dataclass(frozen=True)
class Reader:
    """A model that reads the drawing: its file, the loaded model and its kind (None: unknown)."""

    saved: SavedModel
    model: object
    kind: str | None


@dataclass(frozen=True)
class Reading:
    """What one model makes of the digit: a probability per class, as the model gives them
    (`raw`) and as shown (calibrated by its temperature, when asked and known)."""

    reader: Reader
    probabilities: np.ndarray
    class_names: tuple[str, ...]
    raw: np.ndarray | None = None

    @property
    def best(self) -> int:
        return int(self.probabilities.argmax())

    @property
    def answer(self) -> str:
        return self.class_names[self.best]

    @property
    def doubted(self) -> bool:
        """Below the model's not-a-digit threshold (on its own, uncalibrated confidence)."""
        raw = self.probabilities if self.raw is None else self.raw
        return self.reader.saved.trust.doubts(raw)

    @property
    def calibrated(self) -> bool:
        return self.raw is not None


def choose_second(in_use: Reader, others: list[SavedModel], kinds: dict[str, str | None]) -> Reader | None:
    """The "Compare with" picker, and the model it names, loaded (from the cache after the first time)."""
    if not others:
        st.caption(
            "Train a second model on the Train page (a CNN beside an MLP, say) to see two models "
            "read your digit side by side."
        )
        return None
    names = [m.name for m in others] + [NO_SECOND]
    if st.session_state.get(COMPARED_BESIDE_KEY) != in_use.saved.name or (
        st.session_state.get(COMPARE_KEY) not in names
    ):
        st.session_state[COMPARE_KEY] = default_second(in_use.kind, others, kinds)
        st.session_state[COMPARED_BESIDE_KEY] = in_use.saved.name
    labels = {m.name: m.label for m in others} | {NO_SECOND: "no second model"}
    chosen = st.selectbox(
        "Compare with",
        names,
        key=COMPARE_KEY,
        format_func=labels.get,
        help="A second model reads the same drawing; at first, the other kind of network than the model in use.",
        persist_state="session",
    )
    if chosen == NO_SECOND:
        return None
    saved = others[names.index(chosen)]
    model = attempt(
        lambda: resources.model(saved), f"Cannot use {saved.name}", "Choose another to compare with."
    )
    return None if model is None else Reader(saved, model, kinds[saved.name] or network_kind(saved, model))


def read(reader: Reader, image: np.ndarray, class_names: tuple[str, ...], calibrate: bool = False) -> Reading:
    """One prediction: the model's probability for each class of the prepared digit, calibrated
    by the model's temperature when asked and the model has one."""
    from mnist_app.learning.evaluation import predict_probabilities

    probabilities = predict_probabilities(reader.model, image[None])[0]
    if len(probabilities) != len(class_names):
        class_names = tuple(str(label) for label in range(len(probabilities)))
    temperature = reader.saved.trust.temperature
    if calibrate and temperature is not None:
        return Reading(reader, calibrated(probabilities, temperature), class_names, raw=probabilities)
    return Reading(reader, probabilities, class_names)


def a_class(name: str) -> str:
    """A class as a sentence names it: "a 7", "an 8", "an Ankle boot"."""
    return f"{'an' if name[:1].lower() in 'aeio8' else 'a'} {literal(name)}"


def verdict(first: Reading, second: Reading) -> str:
    """One sentence on whether the two agree: "The MLP reads a 4, the CNN a 9."."""
    kinds = first.reader.kind, second.reader.kind
    if None not in kinds and kinds[0] != kinds[1]:
        one, other = f"The {kinds[0]}", f"the {kinds[1]}"
    else:
        one, other = (f"**{literal(reading.reader.saved.name)}**" for reading in (first, second))
    if first.doubted or second.doubted:
        return doubted_verdict(first, second, one.replace("The ", "the ", 1), other)
    if first.answer == second.answer:
        return f":material/done_all: {one} and {other} both read {a_class(first.answer)}."
    return f":material/call_split: {one} reads {a_class(first.answer)}, {other} {a_class(second.answer)}."


def doubted_verdict(first: Reading, second: Reading, one: str, other: str) -> str:
    """The sentence when a model says the drawing is no digit (`one`, `other`: the models, mid-sentence)."""
    if first.doubted and second.doubted:
        return f":material/block: Neither {one} nor {other} thinks this is a digit."
    doubter, reader, reading = (one, other, second) if first.doubted else (other, one, first)
    doubter = doubter.replace("the ", "The ", 1) if doubter.startswith("the ") else doubter
    return (
        f":material/call_split: {doubter} says this is not a digit; {reader} reads {a_class(reading.answer)}."
    )


def show_reading(reading: Reading, label: str, role: str) -> None:
    """A model's name and kind, its answer and confidence, and every class's probability."""
    kind = reading.reader.kind
    about = ", ".join(part for part in (role, KIND_WORDS.get(kind, "")) if part)
    st.markdown(f"**{literal(reading.reader.saved.name)}**  \n{about}")
    if reading.doubted:
        st.metric(
            label, "Not a digit", help="Its surest answer is less sure than it is on nearly every digit"
        )
        st.markdown(doubt_words(reading))
    else:
        st.metric(label, literal(reading.answer), help="The class the model gives the highest probability")
    st.caption(confidence_words(reading))
    st.html(probability_bars_html(reading.probabilities, reading.class_names))


def doubt_words(reading: Reading) -> str:
    """Why a model says the drawing is no digit: its confidence against its threshold, in words."""
    raw = reading.probabilities if reading.raw is None else reading.raw
    threshold = reading.reader.saved.trust.threshold
    return (
        f"**This does not look like a digit to me.** My surest guess, {a_class(reading.answer)}, "
        f"has only {float(raw.max()):.0%} confidence; {KEEP_DIGITS:.0%} of the test digits I "
        f"never learnt from reach {threshold:.0%} or more."
    )


def confidence_words(reading: Reading) -> str:
    """The answer's confidence, calibrated or not, said so."""
    confidence = reading.probabilities[reading.best]
    if reading.raw is None:
        return f"Confidence {confidence:.1%}"
    return f"Confidence {confidence:.1%} calibrated ({reading.raw[reading.best]:.1%} as the model gives it)"


def choose_calibrated(readers: list[Reader]) -> bool:
    """The choice of calibrated probabilities, offered when a model has a temperature; whether chosen."""
    temperatures = [reader.saved.trust.temperature for reader in readers]
    if all(temperature is None for temperature in temperatures):
        return False
    chosen = st.toggle(
        "Calibrated probabilities",
        key="draw_calibrated",
        help="Each model's probabilities made as sure as it is right, by the temperature fitted after training",
    )
    if chosen:
        st.markdown(calibration_words(readers, temperatures))
    return chosen


def calibration_words(readers: list[Reader], temperatures: list[float | None]) -> str:
    """What calibrated probabilities are, and what each model's temperature does, in words."""
    said = []
    for reader, temperature in zip(readers, temperatures, strict=True):
        name = f"the {reader.kind}" if reader.kind and len(readers) > 1 else "the model"
        if len(readers) > 1 and readers[0].kind == readers[1].kind:
            name = f"**{literal(reader.saved.name)}**"
        if temperature is None:
            said.append(f"{name} has none stored, so its probabilities stay as it gives them")
        else:
            change = "softens" if temperature > 1 else "sharpens" if temperature < 1 else "leaves"
            said.append(f"{name}'s temperature {temperature:.2f} {change} them")
    return (
        "**Calibrated:** each probability is what the model would say with its numbers before the "
        "softmax divided by one number, its temperature, fitted after training on test digits it "
        "never learnt from, so that an answer given at 80% is right about 8 times in 10. The answers "
        f"stay the same, only how sure they are changes: {'; '.join(said)}."
    )


def show_readings(
    readers: list[Reader], prepared: PreparedDigit, class_names: tuple[str, ...], under_canvas
) -> None:
    """Each model's reading side by side (stacked on a phone), the sentence that compares them
    and the label to save the digit under; `under_canvas`, the 28x28 image they all saw."""
    if prepared.image is None:
        st.info(f"{prepared.reason[0].upper()}{prepared.reason[1:]}.", icon=":material/edit:")
        return
    calibrate = choose_calibrated(readers)
    readings = [
        attempt(
            lambda reader=reader: read(reader, prepared.image, class_names, calibrate),
            f"Cannot read the digit with {reader.saved.name}",
        )
        for reader in readers
    ]
    labels = ("Prediction", "Second opinion")[: len(readings)]
    shown = [(reading, label) for reading, label in zip(readings, labels, strict=True) if reading]
    if not shown:
        return
    if len(shown) == 2:
        st.markdown(verdict(shown[0][0], shown[1][0]))
    st.markdown(
        "Each bar is the probability, in percent, that a model gives a class; its answer is the longest."
    )
    for column, (reading, label) in zip(st.columns(len(shown), gap="medium"), shown, strict=True):
        with column:
            show_reading(reading, label, "the model in use" if reading.reader is readers[0] else "")
    seen = enlarge((prepared.image * 255).astype(np.uint8), SEEN_ZOOM)
    note = ", colours inverted" if prepared.inverted else ""
    who = "both models" if len(shown) == 2 else "the model"
    in_use = readings[0]
    predicted = in_use.best if in_use is not None and in_use.class_names == tuple(DIGIT_NAMES) else 0
    under_canvas.image(seen, caption=f"What {who} saw: 28×28, centred by mass{note}")
    keep_digit(prepared.image, predicted)


def keep_digit(image: np.ndarray, predicted: int) -> None:
    """Save the prepared digit to my digits, with the prediction as its label unless corrected."""
    # A new drawing starts the picker from its own prediction again. One key for every drawing:
    # Streamlit keeps a widget's metadata for the session's life, so a key a drawing grew the
    # session (and the server) by one picker a stroke.
    drawing = hashlib.sha256(image.tobytes()).hexdigest()[:12]
    if st.session_state.get(LABELLED_KEY) != drawing or LABEL_KEY not in st.session_state:
        st.session_state[LABELLED_KEY] = drawing
        st.session_state[LABEL_KEY] = predicted
    left, right = st.columns([1, 1], vertical_alignment="bottom")
    label = left.selectbox(
        "It is a", range(len(DIGIT_NAMES)), key=LABEL_KEY, help="Correct the label if the model read it wrong"
    )
    if right.button("Save to my digits", icon=":material/bookmark_add:", key="keep_digit"):
        kept = attempt(lambda: resources.digit_store().add(image, label), "Cannot save the digit")
        if kept is not None:
            digit_id, split = kept
            st.success(
                f"Saved as your digit #{digit_id} ({split} split), labelled {label}. "
                "Choose **my-digits** as the dataset to see how models read your handwriting.",
                icon=":material/bookmark_added:",
            )


st.title("Draw a digit")
listed = resources.model_store().list()
saved = choose_model(listed)
with st.sidebar:
    st.subheader("Brush")
    brush = st.slider("Brush width", 8, 40, 22, key="brush_width")

if saved is None:
    st.warning("There is no saved model to read your digit: train one on the Train page first.")
    st.stop()
with st.spinner("Loading the model…"):
    model = attempt(lambda: resources.model(saved), "Cannot use this model", "Choose another in the sidebar.")
if model is None:
    st.stop()
st.markdown(
    "Two models read your digit side by side: the model in use and one you compare it with, at "
    "first the other kind of network (a dense MLP beside a convolutional CNN)."
)


@st.fragment
def read_a_digit(in_use: Reader, others: list[SavedModel], kinds: dict, class_names, brush: int) -> None:
    """The canvas and its readings: a stroke reruns this alone, not the page (nor its model listing)."""
    try:
        with timed("draw") as part:
            if canvas_and_readings(in_use, others, kinds, class_names, brush):
                part.name = "draw reading"
    except Exception as error:  # A fragment's own rerun is outside app.py's net.
        show_unexpected(error, "Reading the digit")


def canvas_and_readings(in_use: Reader, others, kinds, class_names, brush: int) -> bool:
    """The canvas beside what the models read in it; whether there was a drawing or upload to read."""
    canvas_column, result_column = st.columns([1, 1], gap="large")
    with canvas_column:
        st.caption("Draw one digit, large, in the middle; the models read it when you lift the pen.")
        drawing = sketch(brush)
        upload = st.file_uploader(
            "…or upload a photo or scan of a digit",
            type=["png", "jpg", "jpeg", "bmp", "gif", "webp"],
            key="digit_upload",
            help="Dark ink on light paper works as well as light on dark.",
        )
        under_canvas = st.container()
    with result_column:
        second = choose_second(in_use, others, kinds)
        prepared = None
        if upload is not None:
            st.caption("Reading the uploaded image: remove it to read the canvas again.")
            prepared = attempt(
                lambda: prepare_digit(decode_image(upload.getvalue())),
                f"Cannot read {upload.name}",
                "Upload a PNG, JPEG, BMP, GIF or WebP picture of one digit.",
            )
        elif drawing is not None:
            prepared = attempt(lambda: prepare_digit(canvas_to_grey(drawing)), "Cannot read the drawing")
        if prepared is None and upload is None:
            st.info("Draw a digit on the canvas.", icon=":material/edit:")
        elif prepared is not None:
            readers = [in_use] if second is None else [in_use, second]
            attempt(
                lambda: show_readings(readers, prepared, class_names, under_canvas), "Cannot read the digit"
            )
    return prepared is not None


class_names = tuple(saved.metadata.get("classes") or DIGIT_NAMES)
# Only models of the same classes read beside it: a Fashion-MNIST model has no 7 to agree on.
others = [m for m in listed if not m.error and m.name != saved.name and m.reads(class_names)]
kinds = {m.name: network_kind(m) for m in others}
read_a_digit(Reader(saved, model, network_kind(saved, model)), others, kinds, class_names, brush)
