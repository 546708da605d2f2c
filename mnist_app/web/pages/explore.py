"""Explore: the digits themselves, their classes, their average shapes and their pixels."""

import numpy as np
import streamlit as st

from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.datasets.digit_store import DATASET_NAME
from mnist_app.datasets.pictures import enlarge
from mnist_app.errors import UserError
from mnist_app.web import resources
from mnist_app.web.html_bars import class_balance_html, histogram_html
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset

GRID_SIZE = 30
ZOOM = 3
BIG_ZOOM = 10


EDIT_ERROR = "my_digit_edit_error"


def change_my_digit(change, digit_id: int, *args) -> None:
    """A button's callback: the change is made to the digit that was on screen, by its id."""
    try:
        change(digit_id, *args)
    except UserError as error:
        st.session_state[EDIT_ERROR] = literal(f"Cannot change your digit #{digit_id}: {error}.")


def edit_my_digit(split: str, index: int) -> None:
    """Correct a wrong label of one of the learner's own digits, or delete the digit."""
    if EDIT_ERROR in st.session_state:
        st.error(st.session_state.pop(EDIT_ERROR), icon=":material/error:")
    digits = attempt(resources.my_digits, "Cannot read your digits")
    ids = digits.ids_of(split) if digits is not None else []
    if index >= len(ids):
        return
    digit_id = int(ids[index])
    label = int(digits.labels[digits.ids == digit_id][0])
    store = resources.digit_store()
    st.caption(f"Your digit #{digit_id}, kept in the {split} split.")
    new_label = st.selectbox("Its label", range(len(DIGIT_NAMES)), index=label, key=f"relabel_{digit_id}")
    save, delete = st.columns(2)
    save.button(
        "Save the label", key=f"relabel_digit_{digit_id}", disabled=new_label == label,
        on_click=change_my_digit, args=(store.relabel, digit_id, new_label),
    )  # fmt: skip
    delete.button(
        "Delete this digit", key=f"delete_digit_{digit_id}", icon=":material/delete:",
        on_click=change_my_digit, args=(store.delete, digit_id),
    )  # fmt: skip


st.title("Explore the digits")
dataset_choice, data = choose_dataset()
editable = dataset_choice == (DATASET_NAME, None)  # the collection itself, not a file of that name
if data is None:
    st.stop()

if data.notice:
    st.info(literal(data.notice), icon=":material/info:")
if data.operator_help:
    with st.expander("How to get full MNIST on this server"):
        st.markdown(literal(data.operator_help))

columns = st.columns(4)
columns[0].metric("Training images", f"{len(data.y_train):,}")
columns[1].metric("Test images", f"{len(data.y_test):,}")
columns[2].metric("Classes", len(data.class_names))
columns[3].metric("Image size", "28 × 28")
st.caption(f"Dataset **{literal(data.name)}**, from {literal(data.source)}.")

st.header("Samples")
controls = st.columns([2, 2, 1])
split = controls[0].segmented_control(
    "Split", ["train", "test"], default="train", key="explore_split", required=True
)
images, labels = (data.x_test, data.y_test) if split == "test" else (data.x_train, data.y_train)
shown_class = controls[1].selectbox("Class", ["All", *data.class_names], key="explore_class")
if controls[2].button("New sample", icon=":material/shuffle:", key="explore_shuffle"):
    st.session_state.explore_seed = st.session_state.get("explore_seed", 0) + 1
pool = (
    np.arange(len(labels))
    if shown_class == "All"
    else np.flatnonzero(labels == data.class_names.index(shown_class))
)
rng = np.random.default_rng(st.session_state.get("explore_seed", 0))
picked = rng.choice(pool, size=min(GRID_SIZE, len(pool)), replace=False) if len(pool) else []
if len(picked):
    st.image(
        [enlarge(images[i], ZOOM) for i in picked],
        caption=[f"#{i}: {literal(data.class_names[labels[i]])}" for i in picked],
    )
else:
    st.warning("This split has no images of that class.")

st.header("Any image by index")
left, right = st.columns([1, 2])
index = left.number_input(f"Index in the {split} split", 0, max(0, len(labels) - 1), 0, key="explore_index")
if len(labels):
    left.metric("Label", literal(data.class_names[labels[index]]))
    right.image(enlarge(images[index], BIG_ZOOM), caption=f"{split} image #{index}")
    if editable:
        with left:
            edit_my_digit(split, int(index))

# The figures come after the digits: on the first visit to a big dataset, the digits show first.
figures = resources.dataset_figures(*dataset_choice)
st.header("Class balance")
st.html(
    class_balance_html(data.class_names, {"train": figures["train_counts"], "test": figures["test_counts"]})
)

st.header("The mean image of each class")
st.caption("Every training image of a class averaged, pixel by pixel: the class's typical shape.")
means = [
    (mean, name)
    for mean, name, count in zip(
        figures["mean_images"], data.class_names, figures["train_counts"], strict=True
    )
    if count
]
st.image([enlarge(m.astype(np.uint8), ZOOM) for m, _ in means], caption=[literal(name) for _, name in means])

st.header("Pixel intensities")
histogram = figures["histogram"]
zero_share = histogram[0] / max(1, histogram.sum())
st.caption(
    f"Mean {figures['mean']:.1f}, standard deviation {figures['std']:.1f} on a 0–255 scale; "
    f"{zero_share:.0%} of all pixels are pure black (0) and are left out of the chart."
)
bins = histogram[1:].reshape(15, 17).sum(axis=1)
st.html(histogram_html(list(range(1, 256, 17)), 17, bins, "pixels"))
