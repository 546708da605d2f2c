"""Inside: what every layer makes of one digit, what a unit looks for, and why the model answered."""

import numpy as np
import streamlit as st

from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.datasets.pictures import (
    DIVERGING,
    attribution_scale,
    colour_scale,
    diverging,
    enlarge,
    montage,
    overlay,
    square_tile,
    symmetric_limit,
    to_grey,
)
from mnist_app.datasets.preparation import canvas_to_grey, prepare_digit
from mnist_app.learning.model_layers import layer_titles, named_by_keras
from mnist_app.web import resources
from mnist_app.web.canvas import sketch
from mnist_app.web.html_bars import probability_bars_html
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset, choose_model

SOURCES = ["Draw", "Test image"]
PREDICTED = "the prediction"
TOP_UNITS = 8
PICTURE_PX = 400
UNIT_PX = 84
DIGIT_ZOOM = 8


def from_drawing(brush: int) -> tuple[np.ndarray | None, str]:
    """The canvas's digit prepared as MNIST's, or None and what to do."""
    st.caption("Draw one digit, large, in the middle: every picture below follows your strokes.")
    drawing = sketch(brush, prefix="inside_")
    if drawing is None:
        return None, "Draw a digit on the canvas."
    prepared = prepare_digit(canvas_to_grey(drawing))
    if prepared.image is None:
        return None, f"{prepared.reason[0].upper()}{prepared.reason[1:]}."
    return prepared.image, "your drawing, prepared as MNIST's digits were"


def from_test_split(saved, choice, data) -> tuple[np.ndarray | None, str]:
    """A test image by index, or the next one the model reads wrong; what it is, as Markdown."""
    if data is None:
        return None, "Choose a dataset in the sidebar."
    if len(data.y_test) == 0:
        return None, "This dataset has no test images."
    if st.button("A digit the model gets wrong", icon=":material/help:", key="inside_wrong"):
        show_next_mistake(saved, choice, data)
    index = int(st.number_input("Test image", 0, len(data.y_test) - 1, 0, key="inside_index"))
    image = data.x_test[index]
    label = literal(data.class_names[data.y_test[index]])
    st.image(enlarge(image, DIGIT_ZOOM), caption=f"Test image #{index}, labelled {label}")
    return image.astype(np.float32) / 255.0, f"test image #{index} (labelled {label})"


def show_next_mistake(saved, choice, data) -> None:
    """Move the index to the next test digit the model reads wrong, surest mistakes first."""
    evaluation = attempt(lambda: resources.evaluation(saved, *choice), f"Cannot evaluate {saved.name}")
    if evaluation is None:
        return
    wrong = evaluation.most_confidently_wrong(data.y_test, count=len(data.y_test))
    if len(wrong) == 0:
        st.success("The model reads every test image right.")
        return
    step = st.session_state.get("inside_wrong_step", 0)
    st.session_state.inside_index = int(wrong[step % len(wrong)])
    st.session_state.inside_wrong_step = step + 1


def show_answer(inspector, image: np.ndarray, probabilities: np.ndarray, class_names: list[str]) -> None:
    """The prediction, then why: an attribution map for the prediction or any class."""
    best = int(probabilities.argmax())
    st.metric(
        "Prediction", literal(class_names[best]), help="The class the model gives the highest probability"
    )
    st.caption(f"Confidence {probabilities[best]:.1%}")
    st.subheader("Why this answer")
    methods = [method for method in METHODS if method != "grad-cam" or inspector.has_conv]
    method = st.selectbox("Method", methods, format_func=METHOD_TITLES.get, key="inside_method")
    asked = st.selectbox(
        "For the class",
        [PREDICTED, *class_names],
        key="inside_target",
        help="Ask why not another class: which pixels speak for it, and which against",
    )
    target = best if asked == PREDICTED else class_names.index(asked)
    attribution = attempt(lambda: inspector.attribution(image, target, method), "Cannot explain the answer")
    if attribution is None:
        return
    cmap, low, high = attribution_scale(attribution)
    picture = overlay(image, attribution, low, high, cmap=cmap)
    st.image(
        enlarge(picture, DIGIT_ZOOM), caption=f"{METHOD_TITLES[method]} for {literal(class_names[target])}"
    )
    st.image(colour_scale(cmap, width=DIGIT_ZOOM * 28), caption=f"colour scale: {low:.3g} … {high:.3g}")
    st.caption(METHOD_HELP[method])


def layer_picture(view) -> np.ndarray:
    """One layer's activations as a picture: feature maps as a grid, a table (a layer on the
    image's rows before any Flatten) as it is, units as a square tile."""
    if len(view.shape) == 3:
        grid = montage(view.values)
        return enlarge(grid, max(1, round(PICTURE_PX / grid.shape[1])))
    tile = to_grey(view.values if len(view.shape) == 2 else square_tile(view.values))
    return enlarge(tile, max(1, round(PICTURE_PX / tile.shape[1])))


def what_it_gives(view) -> str:
    """The layer's numbers for this digit in a sentence: the largest, and how many are above zero."""
    values = view.values.ravel()
    above = float((values > 0).mean())
    return (
        f"For this digit: the largest of its {values.size:,} numbers is {float(values.max()):.3g}; "
        f"{above:.0%} are above zero."
    )


def heading(name: str, titles: dict, own_names: set) -> str:
    """A layer's title in bold, and the name it was given in the model unless Keras made it up."""
    named = f" (named {literal(name)} in the model)" if name in own_names else ""
    return f"**{literal(titles.get(name, name))}**{named}"


def show_layers(views, titles: dict, own_names: set, class_names: list[str]) -> None:
    st.header("Every layer")
    st.markdown(
        "What each layer makes of the digit, from input to output; brighter is a larger number. "
        "Feature maps are stretched one by one; units are laid out in a square, row by row."
    )
    *hidden, output = views
    for view in hidden:
        about, picture = st.columns([1, 3])
        about.markdown(
            f"{heading(view.name, titles, own_names)}  \noutput {' × '.join(map(str, view.shape))}"
        )
        about.caption(what_it_gives(view))
        picture.image(layer_picture(view))
    about, picture = st.columns([1, 3])
    about.markdown(f"{heading(output.name, titles, own_names)}  \nthe output: one probability per class")
    names = (
        class_names if len(class_names) == len(output.values) else [str(i) for i in range(len(output.values))]
    )
    picture.html(probability_bars_html(output.values, names))


def show_units(inspector, views, titles: dict) -> None:
    """The first layer's weights as images, beside what this digit made of each unit."""
    weights = inspector.unit_weights()
    if weights is None:
        return
    first = next(view for view in views if view.name == weights.layer)
    title = titles.get(weights.layer, weights.layer)
    st.header("What a unit looks for")
    if weights.kind == "dense":
        strength = first.values
        st.caption(
            f"Each unit of **{literal(title)}** weighs the 784 pixels: red pixels raise its activation, "
            "blue ones lower it. The units this digit excites most:"
        )
    else:
        strength = first.values.reshape(-1, first.shape[-1]).mean(axis=0)
        st.caption(
            f"Each filter of **{literal(title)}** slides over the digit: where the pixels look like its "
            "red weights (and unlike its blue ones) its feature map lights up. The filters this digit "
            "excites most, each above its feature map:"
        )
    top = np.argsort(-strength)[:TOP_UNITS]
    limit = symmetric_limit(weights.images)
    zoom = max(1, UNIT_PX // weights.images.shape[-1])
    st.image(
        [enlarge(diverging(weights.images[unit], limit), zoom) for unit in top],
        caption=[f"unit {unit}: {strength[unit]:.2f}" for unit in top],
        width=UNIT_PX,
    )
    if weights.kind == "conv":
        st.image(
            [enlarge(to_grey(first.values[..., unit]), max(1, UNIT_PX // first.shape[0])) for unit in top],
            caption=[f"its feature map {unit}" for unit in top],
            width=UNIT_PX,
        )
    st.image(
        colour_scale(DIVERGING, width=2 * UNIT_PX),
        caption=f"weights: {-limit:.2f} (blue) … {limit:.2f} (red)",
    )
    pick, picture = st.columns([1, 2])
    unit = int(pick.number_input("Any unit", 0, len(weights.images) - 1, int(top[0]), key="inside_unit"))
    picture.image(
        enlarge(diverging(weights.images[unit], limit), zoom * 2),
        caption=f"unit {unit}'s weights; this digit gives it {strength[unit]:.3f}",
        width=2 * UNIT_PX,
    )


st.title("Look inside the model")
with st.spinner("Starting TensorFlow…"):
    from mnist_app.learning.inspection import METHOD_HELP, METHOD_TITLES, METHODS
saved = choose_model(resources.model_store().list())
with st.sidebar:
    source = st.segmented_control("Digit from", SOURCES, default="Draw", key="inside_source", required=True)
    brush = st.slider("Brush width", 8, 40, 22, key="inside_brush") if source == "Draw" else 22
if saved is None:
    st.warning("There is no saved model to look inside: train one on the Train page first.")
    st.stop()
inspector = attempt(
    lambda: resources.inspector(saved), "Cannot use this model", "Choose another in the sidebar."
)
if inspector is None:
    st.stop()
class_names = list(saved.metadata.get("classes") or DIGIT_NAMES)

digit_column, answer_column = st.columns(2, gap="large")
with digit_column:
    if source == "Draw":
        image, about = from_drawing(brush)
    else:
        choice, data = choose_dataset()
        image, about = from_test_split(saved, choice, data)
if image is None:
    answer_column.info(about, icon=":material/edit:")
    st.stop()
views = attempt(lambda: inspector.layers(image), "Cannot read the digit")
if views is None:
    st.stop()
with answer_column:
    st.caption(f"**{literal(saved.name)}** reads {about}.")
    show_answer(inspector, image, views[-1].values, class_names)
titles = layer_titles(inspector.model)
own_names = {layer.name for layer in inspector.model.layers if not named_by_keras(layer)}
show_layers(views, titles, own_names, class_names)
show_units(inspector, views, titles)
