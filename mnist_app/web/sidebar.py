"""The pickers the pages share in their sidebars: the dataset, and the model in use.

Both keep their value for the whole session (`persist_state="session"`), so a choice made
on one page holds on the others, even after a visit to a page that does not draw them.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

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
# A change of the model in use that the learner did not ask for, not yet said (`use_model`).
SWITCH_KEY = "model_switch_unsaid"
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


def use_model(name: str, reason: str = "") -> None:
    """Make `name` the model in use from the next run on (safe after the picker is drawn).

    A `reason` ("trained just now") marks a change the learner did not ask for. The page that
    made it says so in its own words; the next other page that draws the picker says once
    what the model in use is now, and what it was.
    """
    st.session_state[NEXT_MODEL_KEY] = name
    if not reason:
        st.session_state.pop(SWITCH_KEY, None)
        return
    unsaid = st.session_state.get(SWITCH_KEY)
    st.session_state[SWITCH_KEY] = {
        "now": name,
        "before": unsaid["before"] if unsaid else st.session_state.get(MODEL_KEY),
        "reason": reason,
        "page": _page(),
    }


def _page() -> str:
    context = get_script_run_ctx()
    return context.page_script_hash if context is not None else ""


def choose_model(saved_models: list[SavedModel]) -> SavedModel | None:
    """The picker of the model in use; None (with a hint) when no usable model is saved."""
    usable = [saved for saved in saved_models if not saved.error]
    if not usable:
        st.sidebar.info("No usable model is saved yet: train one on the Train page.")
        return None
    names = [saved.name for saved in usable]
    previous = st.session_state.get(MODEL_KEY)
    if st.session_state.get(NEXT_MODEL_KEY) in names:
        st.session_state[MODEL_KEY] = st.session_state.pop(NEXT_MODEL_KEY)
    if st.session_state.get(MODEL_KEY) not in names:
        st.session_state[MODEL_KEY] = names[0]
        if previous is not None:
            st.info(
                f"**{literal(previous)}** is gone from the saved models or can no longer be read: the "
                f"model in use is now **{literal(names[0])}**.",
                icon=":material/swap_horiz:",
            )
    labels = {saved.name: saved.label for saved in usable}
    st.sidebar.selectbox(
        "Model in use", names, key=MODEL_KEY, format_func=labels.get, persist_state="session"
    )
    say_switched()
    return next(saved for saved in usable if saved.name == st.session_state[MODEL_KEY])


def say_switched() -> None:
    """Once, on a page other than the one that made it: the change of model that the learner did
    not ask for. Forgotten once the learner picks a model themselves."""
    switch = st.session_state.get(SWITCH_KEY)
    if switch is None or NEXT_MODEL_KEY in st.session_state:
        return
    if switch["now"] != st.session_state[MODEL_KEY] or switch["now"] == switch["before"]:
        del st.session_state[SWITCH_KEY]
    elif switch["page"] != _page():
        del st.session_state[SWITCH_KEY]
        was = f"; it was {literal(switch['before'])}" if switch["before"] else ""
        st.info(
            f"The model in use is now **{literal(switch['now'])}** ({switch['reason']}){was}.",
            icon=":material/swap_horiz:",
        )
