"""Forget what Streamlit keeps of a widget once a run has left it behind.

At the end of each run Streamlit drops the value of every widget the run did not draw, but it
keeps the widget's metadata (its serializers and callbacks) for the session's life. A page
that keys a widget per item grew every session by one widget an item: the sketch pad takes a
new key at each Clear, so a class drawing for six minutes left thousands on the server, kept
two minutes more after the students had gone (Streamlit holds a closed session for a
reconnect) (BENCHMARKS §18). Here, once Streamlit has dropped the stale values, the metadata
of the same widgets goes too, by Streamlit's own rule: not drawn in this run, and, in a
fragment's run, one of that fragment's. A widget drawn again registers its metadata afresh.

`SessionState._remove_stale_widgets` is Streamlit's own, not a public API: where a release
renames or drops it, the metadata stays as Streamlit keeps it, the server's log says so
(`patches`), and `tests/web/test_stale_widgets.py` fails.
"""

from __future__ import annotations

from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state.session_state import SessionState

from mnist_app.web.patches import replace_once

PATCHED = "_remove_stale_widgets"


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
        stale = [
            widget_id
            for widget_id, widget in metadata.items()
            if widget_id not in active_widget_ids and not (fragments and widget.fragment_id not in fragments)
        ]
        for widget_id in stale:
            del metadata[widget_id]

    return _remove_stale_widgets
