"""The sketch pad the Draw and Inside pages share: white ink on black, like MNIST, and Clear.

The pad is streamlit-drawable-canvas's own frontend (fabric.js), with one change: its 0.13
bundle holds every drawing back for a 200 ms debounce (`Bc = 200`) before sending it, which
was most of the wait between lifting the pen and the prediction (286 ms alone, 83 ms
without it; BENCHMARKS §6). A small component of this app's (`sketch_pad.js`) fetches the
bundle from where Streamlit already serves it (under `server.baseUrlPath`), takes the
debounce out and runs it. A release that builds its bundle differently runs as shipped,
with a warning in the browser's console, and `tests/web/test_canvas.py` fails. The package's
toolbar floats over the canvas's top edge and took a quick stroke begun there: this app's
stylesheet (`sketch_pad.css`) puts it below, with Undo and Redo only.

The drawing comes back as its PNG data URL alone, a string (the package's bundle sends its
fabric.js scene beside it, nested as deep as the scene), decoded with the checks an upload
gets (`preparation.canvas_png_to_rgba`): a session's websocket can carry anything, and a
value nested too deep for Streamlit to decode is refused before it is kept
(`widget_states`).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from mnist_app.datasets.preparation import ImageError, canvas_png_to_rgba
from mnist_app.web.widget_states import REFUSAL, REFUSED

CANVAS_SIZE = 280
PACKAGE = "streamlit_drawable_canvas"
# The package's component as its manifest names it: Streamlit serves its files under this name.
COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"
DEBOUNCE = "}, Bc = 200, Ar = "
NO_DEBOUNCE = "}, Bc = 0, Ar = "


def bundle_file(package: str = PACKAGE) -> Path:
    """The package's JavaScript bundle, found without importing its Python side."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed: pip install -r requirements.txt")
    (bundle,) = (Path(next(iter(spec.submodule_search_locations))) / "frontend" / "build").glob("index-*.js")
    return bundle


@functools.cache
def pad() -> Callable[..., Any]:
    """This app's component that runs the package's frontend, registered once per process."""
    bundle = bundle_file()
    here = Path(__file__).parent
    return st.components.v2.component(
        "mnist_app.sketch_pad",
        js=(here / "sketch_pad.js").read_text(encoding="utf-8"),
        css=next(bundle.parent.glob("index-*.css")).read_text(encoding="utf-8")
        + (here / "sketch_pad.css").read_text(encoding="utf-8"),
        html='<div class="canvas-root"></div>',
        isolate_styles=True,
    )


@functools.cache
def frontend() -> dict:
    """Where the browser finds the bundle, and the one change to make to it."""
    base = st.get_option("server.baseUrlPath").strip("/")
    prefix = f"/{base}" if base else ""
    url = f"{prefix}/_stcore/bidi-components/{COMPONENT}/{bundle_file().name}"
    return {"bundle": url, "debounce": DEBOUNCE, "noDebounce": NO_DEBOUNCE}


def pad_settings(brush: int) -> dict:
    """What the frontend takes: free drawing in white on black, sent on every lifted pen."""
    return {
        "frontend": frontend(),
        "fillColor": "#eee",
        "strokeWidth": brush,
        "strokeColor": "#FFFFFF",
        "backgroundColor": "#000000",
        "backgroundImageURL": None,
        "realtimeUpdateStreamlit": True,
        "canvasWidth": CANVAS_SIZE,
        "canvasHeight": CANVAS_SIZE,
        "drawingMode": "freedraw",
        "initialDrawing": {"objects": [], "background": "#000000"},
        "displayRadius": 3,
        "returnImageData": True,
        "disabled": False,
        "backgroundImageFit": "stretch",
        "maxDisplayHeight": None,
        "fontSize": 20,
        "label": "",
    }


def _new_canvas(version_key: str) -> None:
    st.session_state[version_key] += 1


def sketch(brush: int, prefix: str = "") -> np.ndarray | None:
    """Draw the canvas and its Clear button; the RGBA drawing, or None before the first stroke.

    Clear makes a new canvas (a new key), since the component keeps its strokes otherwise;
    inside a fragment, that reruns the fragment alone.
    """
    version_key = f"{prefix}canvas_version"
    st.session_state.setdefault(version_key, 0)
    settings = pad_settings(brush)
    result = pad()(
        data=settings,
        key=f"{prefix}canvas_{st.session_state[version_key]}",
        default={"drawing": None},
        on_drawing_change=lambda: None,
        width="content",
        height="content",
    )
    st.button(
        "Clear",
        icon=":material/delete:",
        key=f"{prefix}clear_canvas",
        on_click=_new_canvas,
        args=(version_key,),
    )
    drawing = result.get("drawing")
    try:
        if result.get(REFUSED) is not None:  # What the browser sent was too deep to keep.
            raise ImageError(REFUSAL)
        return None if drawing is None else canvas_png_to_rgba(drawing, CANVAS_SIZE)
    except ImageError as error:
        st.error(
            f"Cannot read the drawing: {error}. Clear the canvas and draw again.", icon=":material/error:"
        )
        return None
