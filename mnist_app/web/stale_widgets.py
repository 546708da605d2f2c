"""Forget what Streamlit keeps of a widget once a run has left it behind.

At the end of each run Streamlit drops the value of every widget the run did not draw, but it
keeps the widget's metadata (its serializers and callbacks) for the session's life. A page
that keys a widget per item grew every session by one widget an item: the sketch pad takes a
new key at each Clear, so a class drawing for six minutes left thousands on the server, kept
two minutes or more after the students had gone (Streamlit holds a closed session for a
reconnect) (BENCHMARKS §18). Here, once Streamlit has dropped the stale values, the metadata
of the same widgets goes too, by Streamlit's own rule: not drawn in this run, and, in a
fragment's run, one of that fragment's. A component's events widget, registered beside the
component but never counted as drawn, goes with its component; a widget whose key still holds
a value (set from code while it was away) keeps its metadata, so that value is not lost. A
widget drawn again registers its metadata afresh. What stays per key is Streamlit's map from
the key to the widget: two short strings.

`SessionState._remove_stale_widgets` is Streamlit's own, not a public API: where a release
renames or drops it, the metadata stays as Streamlit keeps it, the server's log says so
(`patches`), and `tests/web/test_stale_widgets.py` fails.
"""

from __future__ import annotations

from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX, SessionState

from mnist_app.web.patches import replace_once

PATCHED = "_remove_stale_widgets"
# A component's events widget: `{INTERNAL}{component's id}__{event}` (Streamlit's components v2).
INTERNAL = f"{STREAMLIT_INTERNAL_KEY_PREFIX}_"
EVENT_DELIMITER = "__"


def forget_stale_widgets() -> bool:
    """Drop stale widgets' metadata with their values from now on (idempotent); True if in place."""
    return replace_once(
        SessionState,
        PATCHED,
        _forgetting,
        "each session keeps the metadata of every widget it ever drew.",
    )


def _forgetting(original):
    """Streamlit's own, then the metadata of the widgets it judged stale."""

    def _remove_stale_widgets(self: SessionState, active_widget_ids: frozenset[str]) -> None:
        original(self, active_widget_ids)
        context = get_script_run_ctx()
        if context is None:
            return
        fragments = context.fragment_ids_this_run
        metadata = self._new_widget_state.widget_metadata
        keys = self._key_id_mapper.id_key_mapping
        # What still has a value, by widget id or by key, once Streamlit has dropped the stale.
        valued = (
            self._new_widget_state.states.keys() | self._old_state.keys() | self._new_session_state.keys()
        )
        stale = [
            widget_id
            for widget_id, widget in metadata.items()
            if not drawn(widget_id, active_widget_ids)
            and not (fragments and widget.fragment_id not in fragments)
            and widget_id not in valued
            and keys.get(widget_id) not in valued
        ]
        for widget_id in stale:
            del metadata[widget_id]

    return _remove_stale_widgets


def drawn(widget_id: str, active_widget_ids: frozenset[str]) -> bool:
    """Whether this run drew the widget, or the component whose events widget it is."""
    if widget_id in active_widget_ids:
        return True
    if not widget_id.startswith(INTERNAL) or EVENT_DELIMITER not in widget_id:
        return False
    return widget_id[len(INTERNAL) :].rpartition(EVENT_DELIMITER)[0] in active_widget_ids
