"""A saved model's downloads: its `.keras` file, and `.tflite` and `.onnx` made when asked.

A converted file takes a second or more to make and is checked by running it on a test split
(`learning.exports`), so it waits for a click, behind a spinner, and is kept per model file
and dataset: a second click, or another visitor's, hands out the same bytes at once.
"""

from __future__ import annotations

import streamlit as st

from mnist_app.datasets.dataset import Dataset
from mnist_app.files import read_regular
from mnist_app.learning.exports import FORMATS, MAX_CHECKED_DIGITS, TOLERANCE, Exported, ExportError, export
from mnist_app.learning.model_files import MAX_MODEL_BYTES, SUFFIX, ModelError
from mnist_app.learning.model_store import SavedModel
from mnist_app.web import resources
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

# The converted files this session has made, or been handed from the cache: their buttons
# show the download itself, not the button that makes it.
MADE_KEY = "downloads_made"
WHERE_THEY_RUN = {
    "tflite": "phones and small boards, with LiteRT (TensorFlow Lite)",
    "onnx": "ONNX Runtime and the many tools that read ONNX",
}


@st.cache_resource(show_spinner=False, max_entries=8)
def _export_or_refusal(model_key: tuple, format: str, data_key: tuple, _model, _images):
    """The checked file, or the ExportError that refused it: a refusal is not worked out twice."""
    try:
        return export(_model, format, _images)
    except ExportError as error:
        return error


def exported(saved: SavedModel, format: str, choice: tuple[str, str | None], data: Dataset) -> Exported:
    """`saved` as a checked `format` file, made once per model file, format and dataset."""
    data_key = (choice, resources.version(*choice))
    made = _export_or_refusal(saved.cache_key, format, data_key, resources.model(saved), data.x_test)
    if isinstance(made, ExportError):
        raise made
    return made


def offer(
    saved: SavedModel, choice: tuple[str, str | None], data: Dataset | None, key: str = "download"
) -> None:
    """Three download buttons for a saved model; `key` sets their keys apart on a page."""
    checked = (
        f"the {min(len(data.y_test), MAX_CHECKED_DIGITS):,} test images of **{literal(data.name)}**"
        if data is not None
        else "the test split of the dataset chosen in the sidebar"
    )
    st.markdown(
        f"**Download {literal(saved.name)}.** The **.keras** file opens in Keras "
        f"(`keras.models.load_model`); **.tflite** runs on {WHERE_THEY_RUN['tflite']}; **.onnx** "
        f"in {WHERE_THEY_RUN['onnx']}. Those two are made when you ask and checked before you "
        f"get them: run on {checked}, the file must read every one as Keras does, each "
        f"probability within {TOLERANCE:g} of Keras' ({TOLERANCE * 100:g} percentage points)."
    )
    keras_column, *columns = st.columns(3)
    keras_column.download_button(
        "Download .keras",
        data=lambda: read_regular(saved.path, MAX_MODEL_BYTES, ModelError),
        file_name=f"{saved.name}{SUFFIX}",  # the name as text: the file's may not be UTF-8
        mime="application/zip",
        icon=":material/download:",
        key=f"{key}_keras",
        on_click="ignore",
        disabled=bool(saved.error),
    )
    for column, format in zip(columns, FORMATS, strict=True):
        with column:
            _offer_converted(saved, format, choice, data, key)


def _offer_converted(
    saved: SavedModel, format: str, choice: tuple[str, str | None], data: Dataset | None, key: str
) -> None:
    """A button that makes the file; once made, the file's own download button."""
    title = FORMATS[format]
    made_here = st.session_state.setdefault(MADE_KEY, set())
    wanted = attempt(lambda: (saved.cache_key, format, choice), f"Cannot make the .{format} file")
    if wanted is None:
        return
    if wanted not in made_here and not st.button(
        f"Make the .{format} file",
        icon=":material/build:",
        key=f"{key}_make_{format}",
        disabled=data is None or bool(saved.error),
        help=f"Converts the model to {title} and checks the file; a second or more.",
    ):
        return
    with st.spinner(f"Converting to {title} and checking the file on the test images…"):
        made = attempt(lambda: exported(saved, format, choice, data), f"Cannot make the .{format} file")
    if made is None:
        made_here.discard(wanted)
        return
    made_here.add(wanted)
    st.download_button(
        f"Download .{format}",
        data=made.content,
        file_name=f"{saved.name}.{format}",
        mime="application/octet-stream",
        icon=":material/download:",
        key=f"{key}_{format}",
        on_click="ignore",
    )
    st.caption(
        f"Checked: it reads all {made.checked:,} test images as Keras does "
        f"({len(made.content) / 1e6:.1f} MB)."
    )
