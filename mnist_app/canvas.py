"""The sketch pad the Draw and Inside pages share: white ink on black, like MNIST, and Clear."""

from __future__ import annotations

import numpy as np
import streamlit as st

CANVAS_SIZE = 280


def sketch(brush: int, prefix: str = "") -> np.ndarray | None:
    """Draw the canvas and its Clear button; the RGBA drawing, or None before the first stroke.

    Clear makes a new canvas (a new key): the component keeps its strokes otherwise. The
    component is imported here, at each call, so page tests can stand in for it.
    """
    from streamlit_drawable_canvas import st_canvas

    version_key = f"{prefix}canvas_version"
    st.session_state.setdefault(version_key, 0)
    canvas = st_canvas(
        stroke_width=brush,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"{prefix}canvas_{st.session_state[version_key]}",
    )
    if st.button("Clear", icon=":material/delete:", key=f"{prefix}clear_canvas"):
        st.session_state[version_key] += 1
        st.rerun()
    return canvas.image_data
