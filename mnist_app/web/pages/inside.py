"""Inside: what every layer makes of one digit, what a unit looks for, and why the model answered."""

import numpy as np
import streamlit as st

from mnist_app.datasets.dataset import DIGIT_NAMES, to_model_input
from mnist_app.datasets.pictures import diverging, enlarge, framed, montage, stacked, to_grey, unit_bars
from mnist_app.datasets.preparation import canvas_to_grey, prepare_digit
from mnist_app.learning.model_layers import layer_titles, named_by_keras
from mnist_app.web import resources
from mnist_app.web.canvas import sketch
from mnist_app.web.convolution_view import show_convolution
from mnist_app.web.heat_map_scores import choose_cam_layer, heat_map_scores, method_title
from mnist_app.web.heat_maps import show_why
from mnist_app.web.html_bars import probability_bars_html
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset, choose_model

SOURCES = ["Draw", "Test image"]
PREDICTED = "the prediction"
TOP_UNITS = 8
UNIT_WORD = {"dense": "unit", "conv": "filter"}
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
    return to_model_input(image), f"test image #{index} (labelled {label})"


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


def show_answer(saved, inspector, image: np.ndarray, views, class_names: list[str], data) -> None:
    """The prediction, then why: an attribution map for the prediction or any class, with how far
    each method can be trusted (measured on the dataset's test digits) when known."""
    probabilities = views[-1].values
    best = int(probabilities.argmax())
    st.metric(
        "Prediction", literal(class_names[best]), help="The class the model gives the highest probability"
    )
    st.caption(f"Confidence {probabilities[best]:.1%}")
    st.subheader("Why this answer")
    methods = [method for method in METHODS if method != "grad-cam" or inspector.has_conv]
    scores = heat_map_scores(saved, inspector, methods, data)
    method = st.selectbox(
        "Method", methods, format_func=lambda method: method_title(method, scores), key="inside_method"
    )
    layer = choose_cam_layer(inspector, scores, views) if method == "grad-cam" else None
    asked = st.selectbox(
        "For the class",
        [PREDICTED, *class_names],
        key="inside_target",
        help="Ask why not another class: which pixels speak for it, and which against",
    )
    target = best if asked == PREDICTED else class_names.index(asked)
    show_why(inspector, image, probabilities, target, method, class_names, layer)


def layer_picture(view) -> np.ndarray:
    """One layer's activations as a picture: feature maps as a grid, a table (a layer on the
    image's rows before any Flatten) as it is, units as a bar chart with the strongest marked."""
    if len(view.shape) == 3:
        grid = montage(view.values)
        return enlarge(grid, max(1, round(PICTURE_PX / grid.shape[1])))
    if len(view.shape) == 2:
        return enlarge(to_grey(view.values), max(1, round(PICTURE_PX / view.shape[1])))
    return unit_bars(view.values, strongest(view.values))


def strongest(values: np.ndarray) -> np.ndarray:
    """The units with the largest activations, largest first (none that is zero or below)."""
    top = np.argsort(-values, kind="stable")[:TOP_UNITS]
    return top[values[top] > 0]


def about_units(view) -> str:
    """What a dense layer's bar chart shows, and its strongest units by number."""
    top = strongest(view.values)
    named = ", ".join(f"{unit} ({view.values[unit]:.2f})" for unit in top)
    return (
        f"Its {len(view.values):,} units as bars, in the layer's order: a bar's height is the unit's "
        "activation for this digit (its number after the layer's weights and activation). Units "
        "side by side are not pixels side by side, so this is a chart, not a picture. "
        + (f"The strongest, in red: {named}." if named else "No unit is above zero.")
    )


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
        "What each layer makes of the digit, from input to output. A convolutional layer's feature "
        "maps keep the digit's layout: each is a small grey picture, brighter for a larger number, "
        "stretched on its own. A Dense layer's units have no layout: they are drawn as bars."
    )
    *hidden, output = views
    for view in hidden:
        about, picture = st.columns([1, 3])
        about.markdown(
            f"{heading(view.name, titles, own_names)}  \noutput {' × '.join(map(str, view.shape))}"
        )
        about.caption(what_it_gives(view))
        if len(view.shape) == 1:
            picture.markdown(about_units(view))
        picture.image(layer_picture(view))
    about, picture = st.columns([1, 3])
    about.markdown(f"{heading(output.name, titles, own_names)}  \nthe output: one probability per class")
    names = (
        class_names if len(class_names) == len(output.values) else [str(i) for i in range(len(output.values))]
    )
    picture.html(probability_bars_html(output.values, names))


def unit_tile(weights, first, unit: int, zoom: int) -> np.ndarray:
    """A unit's weights on their own scale, framed; a filter's with its feature map beneath."""
    tile = framed(enlarge(diverging(weights.images[unit]), zoom), margin=3)
    if weights.kind == "dense":
        return tile
    grey = enlarge(to_grey(first.values[..., unit]), max(1, tile.shape[1] // first.shape[0]))
    return stacked([tile, framed(np.repeat(grey[..., None], 3, axis=-1), margin=3)], gap=0)


def show_units(inspector, views, titles: dict) -> None:
    """The first layer's weights as pictures, each on its own scale, beside what this digit made
    of each unit."""
    weights = inspector.unit_weights()
    if weights is None:
        return
    first = next(view for view in views if view.name == weights.layer)
    title = literal(titles.get(weights.layer, weights.layer))
    st.header("What a unit looks for")
    own_scale = (
        "Red weights raise the activation where there is ink, blue ones lower it, white ones "
        "do not matter. **Each picture is scaled on its own**: full colour is that picture's own "
        "largest weight, so compare their patterns, not their strengths."
    )
    if weights.kind == "dense":
        strength = first.values
        st.markdown(
            f"Each unit of **{title}** weighs all 784 pixels: here are its 784 weights, each on "
            f"the pixel it weighs, so this picture is laid out as the digit is. {own_scale} "
            "The units this digit excites most, with their activation:"
        )
    else:
        strength = first.values.reshape(-1, first.shape[-1]).mean(axis=0)
        st.markdown(
            f"Each filter of **{title}** slides over the digit: where the pixels look like its "
            f"red weights (and unlike its blue ones) its feature map lights up. {own_scale} "
            "The filters this digit excites most (by their feature map's mean), each above its map:"
        )
    top = np.argsort(-strength, kind="stable")[:TOP_UNITS]
    zoom = max(1, UNIT_PX // weights.images.shape[-1])
    measure = "activation" if weights.kind == "dense" else "feature map's mean"
    short = "activation" if weights.kind == "dense" else "mean"
    st.image(
        [unit_tile(weights, first, unit, zoom) for unit in top],
        caption=[f"{UNIT_WORD[weights.kind]} {unit}: {short} {strength[unit]:.2f}" for unit in top],
        width=UNIT_PX,
    )
    pick, picture = st.columns([1, 2])
    unit = int(pick.number_input("Any unit", 0, len(weights.images) - 1, int(top[0]), key="inside_unit"))
    pick.markdown(f"For this digit, {UNIT_WORD[weights.kind]} {unit}'s {measure} is {strength[unit]:.3f}.")
    picture.image(
        framed(enlarge(diverging(weights.images[unit]), zoom * 2)),
        caption=f"{UNIT_WORD[weights.kind]} {unit}'s weights, on their own scale",
        width=2 * UNIT_PX,
    )


st.title("Look inside the model")
with st.spinner("Starting TensorFlow…"):
    from mnist_app.learning.inspection import METHODS
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
    # The dataset in use: the test images' source, and where each heat map's trust is measured.
    choice, data = choose_dataset()
    if source == "Draw":
        image, about = from_drawing(brush)
    else:
        image, about = from_test_split(saved, choice, data)
if image is None:
    answer_column.info(about, icon=":material/edit:")
    st.stop()
views = attempt(lambda: inspector.layers(image), "Cannot read the digit")
if views is None:
    st.stop()
with answer_column:
    st.caption(f"**{literal(saved.name)}** reads {about}.")
    show_answer(saved, inspector, image, views, class_names, data)
titles = layer_titles(inspector.model)
own_names = {layer.name for layer in inspector.model.layers if not named_by_keras(layer)}
show_layers(views, titles, own_names, class_names)
show_units(inspector, views, titles)
show_convolution(saved, inspector.model, image, titles)
