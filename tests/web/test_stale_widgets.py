"""Tests for mnist_app.web.stale_widgets: the metadata of widgets a run left behind, forgotten.

The change wraps a method of Streamlit's that is not a public API: these tests fail when a
release renames it, drops it, or starts forgetting stale widgets itself.
"""

import logging
import types

import pytest
from streamlit.runtime.state.common import WidgetMetadata
from streamlit.runtime.state.session_state import SessionState
from streamlit.testing.v1 import AppTest

from mnist_app.web import patches, stale_widgets

# A page that keys a widget per item, as the sketch pad does per Clear, beside a button whose
# callback must keep working.
PER_ITEM_KEYS = """
import streamlit as st
from mnist_app.web.stale_widgets import forget_stale_widgets
if FORGET:
    forget_stale_widgets()
def clicked():
    st.session_state.clicks = st.session_state.get("clicks", 0) + 1
st.button("Count", key="count", on_click=clicked)
st.session_state.item = st.session_state.get("item", 0) + 1
st.text_input("Item", key=f"item_{st.session_state.item}")
"""


@pytest.fixture
def restored(monkeypatch):
    """Streamlit's own method back in place after the test."""
    monkeypatch.setattr(SessionState, stale_widgets.PATCHED, getattr(SessionState, stale_widgets.PATCHED))


def metadata_after_runs(forget: bool, runs: int) -> AppTest:
    at = AppTest.from_string(PER_ITEM_KEYS.replace("FORGET", str(forget)))
    for _ in range(runs):
        at.run()
    return at


def widget_metadata(at: AppTest) -> dict:
    return at.session_state._state._state._new_widget_state.widget_metadata


def test_without_the_change_streamlit_keeps_every_widget_a_session_drew(monkeypatch, restored):
    """What the change prevents, on Streamlit as it is (this fails once Streamlit forgets them
    itself: the change may then go)."""
    method = getattr(SessionState, stale_widgets.PATCHED)
    monkeypatch.setattr(SessionState, stale_widgets.PATCHED, getattr(method, "__wrapped__", method))
    at = metadata_after_runs(False, 30)
    assert len(widget_metadata(at)) >= 30


def test_a_session_keeps_only_the_widgets_its_last_run_drew_and_their_callbacks_work(restored):
    at = metadata_after_runs(True, 30)
    assert not at.exception
    kept = widget_metadata(at)
    assert len(kept) == 2, sorted(kept)
    at.button(key="count").click().run()
    at.button(key="count").click().run()
    assert at.session_state["clicks"] == 2
    at.text_input(key=f"item_{at.session_state['item']}").input("seven").run()
    assert not at.exception


def metadata(widget_id: str, fragment_id: str | None = None) -> WidgetMetadata:
    return WidgetMetadata(
        widget_id, lambda value: value, lambda value: value, "string_value", fragment_id=fragment_id
    )


EVENTS = f"{stale_widgets.INTERNAL}drawn__events"
GONE_EVENTS = f"{stale_widgets.INTERNAL}in_pad__events"


@pytest.mark.parametrize(
    ("fragments", "kept"),
    [
        (None, {"drawn", EVENTS, "set_from_code"}),
        (["pad"], {"drawn", EVENTS, "set_from_code", "outside"}),
        (["other"], {"drawn", EVENTS, "set_from_code", "in_pad", GONE_EVENTS, "outside"}),
    ],
    ids=["a-full-run", "the-pads-fragment", "another-fragment"],
)
def test_a_run_forgets_only_what_streamlit_judged_stale_and_nothing_with_a_value(
    monkeypatch, fragments, kept
):
    """A component's events widget lives and goes with its component; a widget away from the
    page whose key was given a value from code keeps its metadata, so that value is not lost."""
    session = SessionState()
    widgets = [("drawn", "pad"), (EVENTS, "pad"), ("in_pad", "pad"), (GONE_EVENTS, "pad"), ("outside", None)]
    for widget_id, fragment in [*widgets, ("set_from_code", None)]:
        session._new_widget_state.set_widget_metadata(metadata(widget_id, fragment))
    session._key_id_mapper["the_key"] = "set_from_code"
    session._new_session_state["the_key"] = 7
    context = types.SimpleNamespace(fragment_ids_this_run=fragments)
    monkeypatch.setattr(stale_widgets, "get_script_run_ctx", lambda: context)
    removed = []
    forgetting = stale_widgets._forgetting(lambda self, active: removed.append(active))
    forgetting(session, frozenset({"drawn"}))
    assert removed == [frozenset({"drawn"})], "Streamlit's own removal first"
    assert set(session._new_widget_state.widget_metadata) == kept


def test_the_change_says_in_the_log_when_streamlit_has_nothing_to_change(monkeypatch, caplog):
    monkeypatch.delattr(SessionState, stale_widgets.PATCHED)
    patches._say_it_cannot_apply.cache_clear()
    with caplog.at_level(logging.WARNING, logger=patches.__name__):
        assert stale_widgets.forget_stale_widgets() is False
    patches._say_it_cannot_apply.cache_clear()
    assert f"no SessionState.{stale_widgets.PATCHED} to replace" in caplog.text
