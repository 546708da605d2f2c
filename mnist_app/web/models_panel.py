"""The Train page's shelf of saved models: the table, and use, rename, delete and download
(`downloads`: .keras, .tflite, .onnx)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from mnist_app import settings
from mnist_app.datasets.dataset import Dataset
from mnist_app.learning.model_store import ModelStore
from mnist_app.learning.recipes import network_title
from mnist_app.web import downloads
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import MODEL_KEY, use_model
from mnist_app.web.visitors import visitor_token

MAX_NAME_CHARS = 64


def show(store: ModelStore, saved: list, choice: tuple[str, str | None], data: Dataset | None) -> None:
    """The table, and what may be done with the model chosen under it (`data`: the dataset in use,
    whose test split a converted download is checked on)."""
    if not saved:
        st.info("No saved models yet.")
        return
    owner, shared = visitor_token(), settings.shared()
    st.dataframe(
        table(saved, owner, shared),
        hide_index=True,
        width="stretch",
        column_config={
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "name": st.column_config.TextColumn(width="medium"),
        },
    )
    names = [m.name for m in saved]
    chosen_name = st.selectbox("Manage", names, key="manage_model")
    chosen = saved[names.index(chosen_name)]
    refused = chosen.change_refused(owner, shared)
    use, rename, delete, _ = st.columns(4)
    use.button(
        "Use this model",
        key="use_model",
        disabled=bool(chosen.error),
        on_click=use_model,
        args=(chosen.name,),
    )
    if refused:
        rename.button("Rename", disabled=True, help=refused, key="rename_off")
        delete.button("Delete", disabled=True, help=refused, key="delete_off")
        st.caption(f"Rename and delete are off for **{literal(chosen.name)}**: {refused}.")
    else:
        show_rename_and_delete(store, chosen, rename, delete, owner)
    downloads.offer(chosen, choice, data)


def table(saved: list, owner: str, shared: bool) -> pd.DataFrame:
    """A row per model, saying where it came from and what it is; a column only when some row
    has something in it, and the date short enough to fit."""
    rows = [
        {
            "name": m.name,
            "from": m.origin(owner, shared),
            "network": network_title(m.metadata) or None,
            "dataset": m.metadata.get("dataset"),
            "test accuracy": m.metadata.get("test_accuracy"),
            "epochs": f"{m.metadata['epochs_completed']} of {m.metadata['epochs']}"
            if {"epochs", "epochs_completed"} <= m.metadata.keys()
            else None,
            "training images": m.metadata.get("train_size"),
            "wrong labels": m.metadata.get("noisy_labels") or None,
            "training time (s)": m.metadata.get("training_seconds"),
            "created": short_date(m.metadata.get("created")),
            "problem": m.error or ("stopped early" if m.metadata.get("stopped_early") else None),
        }
        for m in saved
    ]
    frame = pd.DataFrame(rows)
    return frame.loc[:, frame.notna().any() & (frame != "").any()]


def short_date(created: object) -> str | None:
    """ "2 Dec 2026, 06:05" from a description's ISO time; None when it has none it can read."""
    try:
        return datetime.fromisoformat(str(created)).strftime("%-d %b %Y, %H:%M") if created else None
    except ValueError:
        return None


def show_rename_and_delete(store: ModelStore, chosen, rename, delete, owner: str) -> None:
    """The two changes a visitor may make to a model (drawn only when they may)."""
    with rename.popover("Rename"):
        new_name = st.text_input(
            "New name", value=chosen.name, key=f"rename_to_{chosen.name}", max_chars=MAX_NAME_CHARS
        )
        if st.button("Rename", key="rename_model"):
            renamed = attempt(
                lambda: store.rename(chosen.name, new_name, owner), f"Cannot rename {chosen.name}"
            )
            if renamed is not None:
                if st.session_state.get(MODEL_KEY) == chosen.name:
                    use_model(renamed.name)
                st.rerun()
    with delete.popover("Delete"):
        st.write(f"Delete **{literal(chosen.name)}** for good?")
        deleting = st.button("Delete", type="primary", key="delete_model")
        if deleting and attempt(lambda: store.delete(chosen.name, owner), f"Cannot delete {chosen.name}"):
            st.rerun()
