"""The pickers the pages share in their sidebars: the dataset, and the model in use.

Both keep their value for the whole session (`persist_state="session"`), so a choice made
on one page holds on the others, even after a visit to a page that does not draw them. A
dataset that a running challenge keeps for the teacher is never offered, and typed it is
refused as one that is not there (`resources.version`).
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mnist_app import settings
from mnist_app.classroom import hidden_split
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


def choose_dataset(
    locked: tuple[str, str | None] | None = None, why_locked: str = ""
) -> tuple[tuple[str, str | None], Dataset | None]:
    """The dataset picker: its choice as `(spec, root)`, and the dataset, or why it failed.

    A path typed here is a web visitor's: it is read inside the data folder only (`root`).
    The named datasets and the operator's MNIST_APP_DATASET are read as they are. A `locked`
    choice (a challenge's dataset, `why_locked` saying so) becomes the session's, shown in
    pickers that cannot be changed; the page says so when it replaces another.
    """
    default = settings.dataset()
    options = list(NAMED_DATASETS)
    if default not in options:
        options.insert(0, default)
    options = resources.offered_names(options) or options
    default = default if default in options else options[0]
    if st.session_state.get(DATASET_KEY, default) not in options:
        st.session_state[DATASET_KEY] = default
    if locked is not None:
        _lock(locked, options, why_locked)
    with st.sidebar:
        st.selectbox(
            "Dataset",
            options,
            index=options.index(default),
            key=DATASET_KEY,
            help=why_locked or "`auto` uses full MNIST when it can",
            persist_state="session",
            disabled=locked is not None,
        )
        found = resources.offered_datasets(str(settings.data_dir()))
        st.text_input(
            "…or one in the data folder",
            key=DATASET_PATH_KEY,
            persist_state="session",
            max_chars=MAX_PATH_CHARS,
            placeholder=found[0] if found else "mnist.npz",
            help="A folder of the four MNIST IDX files (.gz or raw), or an .npz in Keras' layout, "
            "inside the server's data folder"
            + (f". There now: {', '.join(map(literal, found))}" if found else ", which holds none now"),
            disabled=locked is not None,
        )
    typed = st.session_state[DATASET_PATH_KEY].strip()
    choice = (typed, str(settings.data_dir())) if typed else (st.session_state[DATASET_KEY], None)
    data = attempt(
        lambda: resources.dataset(*choice), "Cannot open the dataset", "Choose another in the sidebar."
    )
    if data is not None and resources.version(*choice)[1] is not None:
        st.sidebar.caption(hidden_split.PUBLIC_NOTICE)
    return choice, data


def _lock(locked: tuple[str, str | None], options: list[str], why: str) -> None:
    """Make `locked` the session's dataset before the pickers are drawn; say what it replaced."""
    spec, root = locked
    named = root is None and spec in options
    before = (st.session_state.get(DATASET_PATH_KEY) or "").strip() or st.session_state.get(DATASET_KEY)
    st.session_state[DATASET_KEY] = spec if named else st.session_state.get(DATASET_KEY, options[0])
    if st.session_state[DATASET_KEY] not in options:
        st.session_state[DATASET_KEY] = options[0]
    st.session_state[DATASET_PATH_KEY] = "" if named else spec
    if before is not None and before != spec:
        st.info(
            f"The dataset in use is now **{literal(spec)}** (it was {literal(before)}): {why}",
            icon=":material/swap_horiz:",
        )


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
