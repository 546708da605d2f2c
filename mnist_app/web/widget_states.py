"""Bound the nesting of the JSON widget values a browser sends, before Streamlit decodes them.

A component's value (the sketch pad's) reaches the server as JSON text, which Streamlit
decodes with Python's recursive `json` before any of the app's code runs. A forged message
nested a few thousand levels deep raised RecursionError there, and the value, kept, failed
every later run of the session until a reload. Streamlit bounds a message's size where the
values arrive (`SessionState.set_widgets_from_proto`); this bounds their depth in the same
place. A value nested too deep is replaced before it is kept: a component's state by
`{REFUSED: ...}`, which the sketch pad reports as "Cannot read the drawing", and an event by
none.

`SessionState.set_widgets_from_proto` is Streamlit's own, not a public API: where a release
renames or drops it, the guard cannot apply and says so in the server's log (`patches`), and
`tests/web/test_widget_states.py` fails.
"""

from __future__ import annotations

import json
import logging
import re

import numpy as np
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.state.session_state import SessionState

from mnist_app.web.patches import replace_once

# Far deeper than any value this app's widgets send (the sketch pad's is one level), far
# shallower than the interpreter's recursion limit.
MAX_DEPTH = 100
REFUSED = "refused"
REFUSAL = f"it is nested more than {MAX_DEPTH} levels deep"
_OPENING, _CLOSING = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)
# A JSON string, to its closing quote (or to the end, if it has none).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
PATCHED = "set_widgets_from_proto"
_log = logging.getLogger(__name__)


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text opens more than `limit` arrays or objects inside one another."""
    if text.count("[") + text.count("{") <= limit:
        return False
    outside_strings = np.frombuffer(_STRING.sub("", text).encode(), dtype=np.uint8)
    steps = np.isin(outside_strings, _OPENING).astype(np.int32) - np.isin(outside_strings, _CLOSING)
    return bool(np.cumsum(steps).max(initial=0) > limit)


def bound_depth(widget_states: WidgetStates) -> None:
    """Replace, in a browser's `WidgetStates` message, each JSON value nested too deep."""
    for state in widget_states.widgets:
        field = state.WhichOneof("value")
        if field not in ("json_value", "json_trigger_value") or not too_deep(getattr(state, field)):
            continue
        _log.warning("A browser session sent widget %s a value nested too deep; refused.", state.id)
        if field == "json_value":
            state.json_value = json.dumps({REFUSED: REFUSAL})
        else:
            state.ClearField("json_trigger_value")


def bound_widget_values() -> bool:
    """Check every browser's widget values for depth before Streamlit keeps them (idempotent).

    True if in place; False where this Streamlit keeps them otherwise (a warning in the log,
    once per process).
    """
    return replace_once(
        SessionState,
        PATCHED,
        _bounding_depth,
        "a widget value nested too deep is no longer refused before Streamlit decodes it.",
    )


def _bounding_depth(original):
    """Streamlit's own, given only values of a bounded depth."""

    def set_widgets_from_proto(self: SessionState, widget_states: WidgetStates) -> None:
        bound_depth(widget_states)
        original(self, widget_states)

    return set_widgets_from_proto
