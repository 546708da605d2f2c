"""The pickers the pages share in their sidebars: the dataset, and the model in use.

Both keep their value for the whole session (`persist_state="session"`), so a choice made
on one page holds on the others, even after a visit to a page that does not draw them.
"""

from __future__ import annotations

import streamlit as st

from mnist_app import resources
from mnist_app.data import NAMED_DATASETS, Dataset, DatasetError, default_dataset_name
from mnist_app.store import SavedModel

DATASET_KEY = "dataset"
DATASET_PATH_KEY = "dataset_path"
MODEL_KEY = "model_name"
NEXT_MODEL_KEY = "model_name_next"


def choose_dataset() -> tuple[str, Dataset | None]:
    """The dataset picker; returns its spec and the loaded dataset, or shows why it failed."""
    default = default_dataset_name()
    options = list(NAMED_DATASETS)
    if default not in options:
        options.insert(0, default)
    with st.sidebar:
        st.selectbox(
            "Dataset",
            options,
            key=DATASET_KEY,
            help="`auto` uses full MNIST when it can",
            persist_state="session",
        )
        st.text_input(
            "…or a path",
            key=DATASET_PATH_KEY,
            persist_state="session",
            placeholder="/data/mnist or mnist.npz",
            help="A folder of the four MNIST IDX files (.gz or raw), or an .npz in Keras' layout",
        )
    spec = st.session_state[DATASET_PATH_KEY].strip() or st.session_state[DATASET_KEY]
    try:
        return spec, resources.dataset(spec)
    except DatasetError as error:
        st.error(f"Cannot open the dataset: {error}. Choose another in the sidebar.")
        return spec, None


def use_model(name: str) -> None:
    """Make `name` the model in use from the next run on (safe after the picker is drawn)."""
    st.session_state[NEXT_MODEL_KEY] = name


def choose_model(saved_models: list[SavedModel]) -> SavedModel | None:
    """The picker of the model in use; None (with a hint) when no usable model is saved."""
    usable = [saved for saved in saved_models if not saved.error]
    if not usable:
        st.sidebar.info("No usable model is saved yet: train one on the Train page.")
        return None
    names = [saved.name for saved in usable]
    if st.session_state.get(NEXT_MODEL_KEY) in names:
        st.session_state[MODEL_KEY] = st.session_state.pop(NEXT_MODEL_KEY)
    if st.session_state.get(MODEL_KEY) not in names:
        st.session_state[MODEL_KEY] = names[0]
    labels = {saved.name: saved.label for saved in usable}
    st.sidebar.selectbox(
        "Model in use", names, key=MODEL_KEY, format_func=labels.get, persist_state="session"
    )
    return next(saved for saved in usable if saved.name == st.session_state[MODEL_KEY])
