"""Map: every test digit as one layer of the model sees it, the learner's drawing among them,
and how far apart the classes are from layer to layer.

A map drawn before (in memory or the disk cache) shows at once. Otherwise PCA draws while the
page waits, UMAP and t-SNE on request, and the layer-by-layer measures at once, each as a
background job that every visitor asking for the same thing shares (`background_jobs`). A
stroke reruns only the map's fragment: one placement of the drawn digit, then the map redrawn
with it.
"""

import numpy as np
import streamlit as st

from mnist_app.datasets.preparation import canvas_to_grey, prepare_digit
from mnist_app.learning.model_map import (
    METHOD_TITLES,
    METHODS,
    SEPARATION,
    cache_key_id,
    compute_map,
    kept_map,
    kept_separation,
    map_key,
    map_layers,
    place,
    separation,
)
from mnist_app.timing import timed
from mnist_app.web import resources
from mnist_app.web.background_jobs import JobWords, background_result, shared_result
from mnist_app.web.canvas import sketch
from mnist_app.web.map_view import (
    class_name,
    map_frame,
    map_spec,
    selected_digits,
    separation_chart,
    separation_floor,
    separation_frame,
)
from mnist_app.web.page_errors import attempt, show_unexpected
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset, choose_model, use_model
from mnist_app.web.visitors import visitor_token

LAYER_KEY, METHOD_KEY = "map_layer", "map_method"
SHOWN_KEY = "map_shown"  # the model the map showed last in this session, to say when it changes
LINK_READ_KEY = "map_link_read"  # the address's model was taken, or refused, on arrival
# What the address asked for and the page refused: said while the page shows what it chose
# instead, until the visitor leaves the page.
REFUSED_KEY = "map_link_refused"
DIGIT_PX = 44
NAMED_DIGIT_PX = 72  # wide enough for a caption such as T-shirt/top
MAX_LISTED = 48
# Up to this many digits, hovering a dot shows its picture. Each stroke sends the whole map again,
# pictures and all: many thousands made every stroke slow on the server and slower in the browser.
MAX_HOVER_PICTURES = 2_000
METHOD_WORDS = {
    "pca": "PCA keeps the two directions along which the digits' numbers differ most: a faithful "
    "view, but squashed, so classes can overlap on the map that are apart in the layer.",
    "umap": "UMAP keeps each digit's neighbours beside it: clusters show clearly, but the distances "
    "between clusters mean little.",
    "tsne": "t-SNE keeps each digit's neighbours beside it: clusters show clearly, but the distances "
    "between clusters and their sizes mean little.",
}


def say_if_changed(saved) -> None:
    """The map shows another model than it did last: say so, whoever changed the model in use."""
    before = st.session_state.get(SHOWN_KEY)
    st.session_state[SHOWN_KEY] = saved.name
    if before is not None and before != saved.name:
        st.info(
            f"The map changed: it now shows how **{literal(saved.name)}** sees the digits "
            f"(it showed **{literal(before)}**).",
            icon=":material/swap_horiz:",
        )


def model_from_link(saved_models) -> None:
    """On arrival, the model the address names (`/map?model=...`) becomes the model in use, so a
    link shows the same map; a name not saved here is refused with a message. Once a session:
    the learner's own choice in the sidebar wins from then on."""
    if st.session_state.get(LINK_READ_KEY):
        return
    if "model" in st.query_params:
        asked = st.query_params["model"]
        found = next((saved for saved in saved_models if saved.name == asked), None)
        if found is not None and not found.error:
            use_model(asked)
        else:
            why = "cannot be read" if found is not None else "is not saved here"
            refuse(
                "model",
                f"The address names a model that {why} ({literal(asked[:80])}): the map shows the "
                "model in use, if there is one. Choose another in the sidebar.",
            )
    # Read once, when all is done (a rerun may cut a run short): later, the address holds what
    # this page wrote there.
    st.session_state[LINK_READ_KEY] = True


def from_link(saved, layers, methods) -> None:
    """On arrival, the layer and method the address names (`/map?layer=...&method=umap`); a name
    this model lacks is refused with a message."""
    names = [layer.name for layer in layers]
    if LAYER_KEY not in st.session_state and "layer" in st.query_params:
        asked = st.query_params["layer"]
        if asked in names:
            st.session_state[LAYER_KEY] = asked
        else:
            refuse(
                "layer",
                f"The address names a layer this model does not have ({literal(asked[:80])}): "
                "the map shows another. Choose a layer below.",
            )
    if METHOD_KEY not in st.session_state and st.query_params.get("method") in methods:
        st.session_state[METHOD_KEY] = st.query_params["method"]
    if st.session_state.get(LAYER_KEY) not in names:
        st.session_state[LAYER_KEY] = names[-2] if len(names) > 2 else names[0]
    say_refused("layer", (saved.name, st.session_state[LAYER_KEY]))


def refuse(what: str, message: str) -> None:
    """Say, from this run on, that the address's `what` cannot be shown (`say_refused`)."""
    st.session_state.setdefault(REFUSED_KEY, {})[what] = {"message": message}


def say_refused(what: str, shown_instead: object) -> None:
    """The message refusing the address's `what`, for as long as the page shows what it showed in
    its stead at first: a page run again at once (the map drawn, another visitor's model saved)
    keeps it on screen, the visitor's own choice ends it."""
    refused = st.session_state.get(REFUSED_KEY, {}).get(what)
    if refused is None:
        return
    refused.setdefault("instead", shown_instead)
    if refused["instead"] != shown_instead:
        del st.session_state[REFUSED_KEY][what]
        return
    st.error(refused["message"], icon=":material/error:")


def choose_layer_and_method(saved, layers, methods, titles) -> tuple:
    """The layer (in words) and the projection; both go into the address with the model, so a
    link shows the same map."""
    from_link(saved, layers, methods)
    by_name = {layer.name: layer for layer in layers}
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    name = left.selectbox(
        "Layer",
        list(by_name),
        key=LAYER_KEY,
        format_func=lambda name: by_name[name].title,
        help="The pixels, each layer that changes the numbers, and the output's probabilities",
    )
    method = right.segmented_control(
        "Drawn by",
        list(methods),
        default="pca",
        required=True,
        key=METHOD_KEY,
        format_func=titles.get,
        help="PCA draws at once; UMAP and t-SNE show clusters more clearly and take a minute or more",
    )
    for key, value in (("model", saved.name), ("layer", name), ("method", method)):
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    return by_name[name], method


def layer_map_of(saved, choice, mapped: dict):
    """The map, or None while it is not there: at once if drawn before; PCA drawn now, once for
    the visitors asking together; UMAP and t-SNE on request, in the background."""
    found = attempt(lambda: [kept_map(**mapped)], "Cannot draw the map")  # never computes
    if found is None:
        return None
    if found[0] is not None:
        return found[0]
    key = map_key(saved.cache_key, mapped["dataset"].name, resources.version(*choice), mapped["layer"],
                  mapped["method"])  # fmt: skip

    def work(on_progress):
        return compute_map(**mapped, on_progress=on_progress)

    if mapped["method"] == "pca":
        with st.spinner("Drawing the map…"):
            return shared_result(key, work, "Cannot draw the map")
    title = METHOD_TITLES[mapped["method"]]
    words = JobWords(
        doing=f"Drawing the {title} map",
        failure=f"Cannot draw the {title} map",
        offer=f"A {title} map takes a minute or more the first time; after that it is kept, for "
        "everyone who looks at this model.",
        button=f"Draw the {title} map",
        button_key="map_start",
    )
    return background_result(key, work, words, visitor=visitor_token())


def nearest_words(nearest: np.ndarray, labels: np.ndarray, names) -> str:
    """What the drawn digit's nearest test digits are: "8 labelled 7, 2 labelled 1"."""
    counts = np.bincount(labels[nearest], minlength=len(names))
    ordered = sorted((int(-count), label) for label, count in enumerate(counts) if count)
    if len(ordered) == 1:
        return f"all labelled {literal(class_name(names, ordered[0][1]))}"
    return ", ".join(f"{-count} labelled {literal(class_name(names, label))}" for count, label in ordered)


def show_drawing(brush: int, where: dict, layer, data, class_names):
    """The canvas; the drawn digit's place on the map and its nearest test digits, or None."""
    st.markdown("Draw a digit here: it appears on the map as a black diamond, and moves as you draw.")
    drawing = sketch(brush, prefix="map_")
    if drawing is None:
        return None
    prepared = prepare_digit(canvas_to_grey(drawing))
    if prepared.image is None:
        st.info(f"{prepared.reason[0].upper()}{prepared.reason[1:]}.", icon=":material/edit:")
        return None
    placed = attempt(lambda: place(**where, image01=prepared.image), "Cannot put your digit on the map")
    if placed is None:
        return None
    point, nearest = placed
    nearest = np.asarray(nearest, dtype=int)
    st.markdown(
        f"**Your digit is on the map.** Its {len(nearest)} nearest test digits in **{literal(layer.title)}**'s "
        f"own numbers: {nearest_words(nearest, data.y_test, class_names)}."
    )
    long_names = max(len(name) for name in class_names) > 2
    st.image(
        [data.x_test[i] for i in nearest],
        width=NAMED_DIGIT_PX if long_names else DIGIT_PX,
        caption=[literal(class_name(class_names, int(data.y_test[i]))) for i in nearest],
    )
    return float(point[0]), float(point[1])


def about_map(layer_map, layer, method: str, dataset_name: str) -> str:
    hover = "its digit" if layer_map.n <= MAX_HOVER_PICTURES else "its class and the model's answer"
    wrong = int((layer_map.labels != layer_map.predicted).sum())
    return (
        f"Each dot is one of the {layer_map.n:,} test digits of {literal(dataset_name)}, placed so that "
        f"digits that **{literal(layer.title)}** gives similar numbers sit close together; its colour "
        f"is the digit's true class. A black ring marks a digit the model reads wrong ({wrong:,}, "
        f"{wrong / max(1, layer_map.n):.1%}). {METHOD_WORDS[method]} The axes have no units: only "
        f"distances matter. Hover a dot to see {hover}; drag a box to see the digits in it."
    )


def show_selected(event, frame, data, class_names) -> None:
    chosen = selected_digits(getattr(event, "selection", None), frame)
    if len(chosen) == 0:
        return
    shown = chosen[:MAX_LISTED]
    more = f"; the first {len(shown)}" if len(chosen) > len(shown) else ""
    st.markdown(f"**{len(chosen):,} test digits in the box**{more}, each with what the model said:")
    st.image(
        [data.x_test[i] for i in shown],
        width=DIGIT_PX,
        caption=[
            f"#{i}: {literal(frame.at[i, 'the model said'])}"
            + ("" if frame.at[i, "true class"] == frame.at[i, "the model said"] else " ✗")
            for i in shown
        ],
    )


@st.fragment
def map_and_drawing(layer_map, layer, method: str, where: dict, data, choice, class_names, brush: int):
    """The canvas beside the map: a stroke, or a box dragged on the map, reruns this alone."""
    try:
        with timed("map") as part:
            canvas_column, map_column = st.columns([1, 2], gap="large")
            with canvas_column:
                drawn = show_drawing(brush, where, layer, data, class_names)
            if drawn is not None:
                part.name = "map placing"
            with map_column:
                st.markdown(about_map(layer_map, layer, method, data.name))
                frame = map_frame(
                    layer_map.points, layer_map.labels, layer_map.predicted, class_names,
                    resources.map_pictures(*choice) if layer_map.n <= MAX_HOVER_PICTURES else None,
                )  # fmt: skip
                event = st.vega_lite_chart(
                    map_spec(frame, class_names, drawn), key="map_chart", on_select="rerun", width="stretch"
                )
                show_selected(event, frame, data, class_names)
    except Exception as error:  # A fragment's own rerun is outside app.py's net.
        show_unexpected(error, "The map")


def show_separation(saved, choice, where: dict) -> None:
    """kNN accuracy and silhouette for every layer: the classes pulling apart from input to output."""
    st.header("How far apart the classes are, layer by layer")
    st.markdown(
        "Two figures for each layer, measured in the layer's own numbers rather than on the map. "
        "**Nearest-neighbour accuracy**: half the test digits each take the class most of their 10 "
        "nearest digits among the other half have; the share they get right. **Silhouette**: how much "
        "nearer a digit is to its own class than to the next one, from −1 (mixed up) through 0 "
        "(touching) to 1 (far apart), averaged over the digits. From the pixels to the output, a "
        "network that has learned pulls the classes apart, so both lines rise."
    )
    found = attempt(lambda: [kept_separation(**where)], "Cannot measure the layers")  # never computes
    if found is None:
        return
    rows = found[0]
    if rows is None:
        key = map_key(saved.cache_key, where["dataset"].name, resources.version(*choice), "", SEPARATION)
        words = JobWords("Measuring every layer", "Cannot measure the layers", button_key="map_measure_again")
        rows = background_result(
            key, lambda on_progress: separation(**where, on_progress=on_progress), words, exclusive=False
        )
    if not rows:
        return
    frame = separation_frame(rows)
    (first, first_knn, _), (last, last_knn, _) = rows[0], rows[-1]
    floor = separation_floor(frame.loc[frame["measure"] == "kNN accuracy", "value"])
    starts = f" (its axis starts at {floor:.0%}, so that the rise shows)" if floor else ""
    st.markdown(
        f"Nearest-neighbour accuracy goes from {first_knn:.1%} on **{literal(first.title)}** to "
        f"{last_knn:.1%} on **{literal(last.title)}**{starts}. Hover a dot for the layer's full name."
    )
    left, right = st.columns(2)
    left.altair_chart(
        separation_chart(frame, "kNN accuracy", "nearest-neighbour accuracy", percent=True), width="stretch"
    )
    right.altair_chart(separation_chart(frame, "silhouette", "silhouette, −1 to 1"), width="stretch")


st.title("Map the digits")
if LAYER_KEY not in st.session_state:  # Arriving (Streamlit forgets the layer's picker on another page).
    st.session_state.pop(REFUSED_KEY, None)
saved_models = resources.model_store().list()
model_from_link(saved_models)
saved = choose_model(saved_models)
say_refused("model", saved and saved.name)
choice, data = choose_dataset()
with st.sidebar:
    st.subheader("Brush")
    brush = st.slider("Brush width", 8, 40, 22, key="map_brush")
if saved is None:
    st.warning("There is no saved model to map: train one on the Train page first.")
    st.stop()
if data is None:
    st.stop()
if len(data.y_test) == 0:
    st.info("This dataset has no test digits to map: choose another in the sidebar.")
    st.stop()
model = attempt(lambda: resources.model(saved), "Cannot use this model", "Choose another in the sidebar.")
if model is None:
    st.stop()
st.markdown(
    "How the model sees **all** the test digits at once: pick a layer, and each digit becomes a dot "
    "placed by the numbers that layer gives it. Where a layer has learned to tell the classes apart, "
    "their colours gather in separate clusters."
)
say_if_changed(saved)
layers = attempt(lambda: map_layers(model), "Cannot read the model's layers")
if not layers:
    st.stop()
layer, method = choose_layer_and_method(saved, layers, METHODS, METHOD_TITLES)
class_names = list(data.class_names)
if not saved.reads(class_names):
    st.warning(
        f"**{literal(saved.name)}** was trained on other classes than {literal(data.name)}'s: its answers, "
        "and so the rings, mean little here.",
        icon=":material/warning:",
    )
model_id = attempt(
    lambda: cache_key_id(saved.cache_key), "Cannot use this model", "Choose another in the sidebar."
)
if model_id is None:
    st.stop()
where = {"model": model, "model_id": model_id, "dataset": data}
mapped = {**where, "layer": layer.name, "method": method}
layer_map = layer_map_of(saved, choice, mapped)
if layer_map is not None:
    map_and_drawing(layer_map, layer, method, mapped, data, choice, class_names, brush)
show_separation(saved, choice, where)
