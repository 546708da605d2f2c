"""Draw: sketch a digit (or upload a photo of one) and watch the model in use read it."""

import hashlib

import numpy as np
import streamlit as st

from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.datasets.pictures import enlarge
from mnist_app.datasets.preparation import PreparedDigit, canvas_to_grey, decode_image, prepare_digit
from mnist_app.timing import timed
from mnist_app.web import resources
from mnist_app.web.canvas import sketch
from mnist_app.web.html_bars import probability_bars_html
from mnist_app.web.page_errors import attempt, show_unexpected
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_model

SEEN_ZOOM = 8


def show_prediction(model, prepared: PreparedDigit, class_names) -> None:
    """The metric, every class's probability, and the 28x28 image the model actually saw."""
    if prepared.image is None:
        st.info(f"{prepared.reason[0].upper()}{prepared.reason[1:]}.", icon=":material/edit:")
        return
    from mnist_app.learning.evaluation import predict_probabilities

    probabilities = predict_probabilities(model, prepared.image[None])[0]
    if len(probabilities) != len(class_names):
        class_names = [str(label) for label in range(len(probabilities))]
    best = int(probabilities.argmax())
    st.metric(
        "Prediction", literal(class_names[best]), help="The class the model gives the highest probability"
    )
    st.caption(f"Confidence {probabilities[best]:.1%}")
    st.html(probability_bars_html(probabilities, class_names))
    seen = enlarge((prepared.image * 255).astype(np.uint8), SEEN_ZOOM)
    note = ", colours inverted" if prepared.inverted else ""
    st.image(seen, caption=f"What the model saw: 28×28, centred by mass{note}")
    keep_digit(prepared.image, best if list(class_names) == list(DIGIT_NAMES) else 0)


def keep_digit(image: np.ndarray, predicted: int) -> None:
    """Save the prepared digit to my digits, with the prediction as its label unless corrected."""
    # A new drawing gets a new picker, so it starts from its own prediction again.
    drawing = hashlib.sha256(image.tobytes()).hexdigest()[:12]
    left, right = st.columns([1, 1], vertical_alignment="bottom")
    label = left.selectbox(
        "It is a", range(len(DIGIT_NAMES)), index=predicted, key=f"keep_label_{drawing}",
        help="Correct the label if the model read it wrong",
    )  # fmt: skip
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
saved = choose_model(resources.model_store().list())
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


@st.fragment
def read_a_digit(model, class_names, brush: int) -> None:
    """The canvas and its reading: a stroke reruns this alone, not the page (nor its model listing)."""
    try:
        with timed("draw") as part:
            if canvas_and_reading(model, class_names, brush):
                part.name = "draw reading"
    except Exception as error:  # A fragment's own rerun is outside app.py's net.
        show_unexpected(error, "Reading the digit")


def canvas_and_reading(model, class_names, brush: int) -> bool:
    """The canvas beside what the model reads in it; whether there was a drawing or upload to read."""
    canvas_column, result_column = st.columns([1, 1], gap="large")
    with canvas_column:
        st.caption("Draw one digit, large, in the middle; the model reads it when you lift the pen.")
        drawing = sketch(brush)
        upload = st.file_uploader(
            "…or upload a photo or scan of a digit",
            type=["png", "jpg", "jpeg", "bmp", "gif", "webp"],
            key="digit_upload",
            help="Dark ink on light paper works as well as light on dark.",
        )
    with result_column:
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
            attempt(lambda: show_prediction(model, prepared, class_names), "Cannot read the digit")
    return prepared is not None


read_a_digit(model, tuple(saved.metadata.get("classes") or DIGIT_NAMES), brush)
