"""The pickers the pages share in their sidebars: the dataset, and the model in use.

Both keep their value for the whole session (`persist_state="session"`), so a choice made
on one page holds on the others, even after a visit to a page that does not draw them.
"""

from __future__ import annotations

import streamlit as st

from mnist_app import settings
from mnist_app.datasets.catalogue import NAMED_DATASETS
from mnist_app.datasets.dataset import Dataset
from mnist_app.learning.model_store import SavedModel
from mnist_app.web import resources
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

DATASET_KEY = "dataset"
DATASET_PATH_KEY = "dataset_path"
MODEL_KEY = "model_name"
NEXT_MODEL_KEY = "model_name_next"
MAX_PATH_CHARS = 1000


def choose_dataset() -> tuple[tuple[str, str | None], Dataset | None]:
    """The dataset picker: its choice as `(spec, root)`, and the dataset, or why it failed.

    A path typed here is a web visitor's: it is read inside the data folder only (`root`).
    The named datasets and the operator's MNIST_APP_DATASET are read as they are.
    """
    default = settings.dataset()
    options = list(NAMED_DATASETS)
    if default not in options:
        options.insert(0, default)
    with st.sidebar:
        st.selectbox(
            "Dataset",
            options,
            index=options.index(default),
            key=DATASET_KEY,
            help="`auto` uses full MNIST when it can",
            persist_state="session",
        )
        found = resources.datasets_found(str(settings.data_dir()))
        st.text_input(
            "…or one in the data folder",
            key=DATASET_PATH_KEY,
            persist_state="session",
            max_chars=MAX_PATH_CHARS,
            placeholder=found[0] if found else "mnist.npz",
            help="A folder of the four MNIST IDX files (.gz or raw), or an .npz in Keras' layout, "
            "inside the server's data folder"
            + (f". There now: {', '.join(map(literal, found))}" if found else ", which holds none now"),
        )
    typed = st.session_state[DATASET_PATH_KEY].strip()
    choice = (typed, str(settings.data_dir())) if typed else (st.session_state[DATASET_KEY], None)
    data = attempt(
        lambda: resources.dataset(*choice), "Cannot open the dataset", "Choose another in the sidebar."
    )
    return choice, data


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
