"""Tests for mnist_app.web.widget_states: JSON from a browser, bounded in depth before Streamlit decodes it.

The guard wraps a method of Streamlit's that is not a public API: these tests fail when a
release renames it, drops it, or keeps a browser's values without it.
"""

import json
import logging

import pytest
from streamlit.components.v2.bidi_component.serialization import BidiComponentSerde
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.state.common import WidgetMetadata, unpack_widget_state_value
from streamlit.runtime.state.session_state import SessionState
from streamlit.testing.v1 import AppTest

from mnist_app.web import patches, widget_states
from mnist_app.web.widget_states import MAX_DEPTH, REFUSED, bound_depth, too_deep

DEPTH = 3_000
NESTED_LIST = "[" * DEPTH + "]" * DEPTH
NESTED_DICT = '{"drawing": ' + '{"d": ' * DEPTH + "null" + "}" * (DEPTH + 1)


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        (NESTED_LIST, True),
        (NESTED_DICT, True),
        ("[" * DEPTH, True),
        ("[]" * DEPTH, False),
        (json.dumps({"drawing": NESTED_LIST}), False),
        ('{"a": "\\"[", "b": ' + NESTED_LIST + "}", True),
        ('{"a": "unterminated [' + NESTED_LIST, False),
        (json.dumps({"drawing": "data:image/png;base64,iVBORw0KGgo"}), False),
    ],
    ids=[
        "at-the-bound",
        "one-past",
        "list-3000",
        "dict-3000",
        "unclosed",
        "wide-not-deep",
        "brackets-in-a-string",
        "escaped-quote",
        "unterminated-string",
        "a-drawing",
    ],
)
def test_depth_is_counted_as_json_nests_brackets_in_strings_aside(text, deep):
    assert too_deep(text) is deep


def test_json_decodes_what_is_not_too_deep_and_fails_where_it_is():
    """The bound is below where Python's own decoder gives up, and counts as it does."""
    json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(RecursionError):
        json.loads(NESTED_LIST)


def states(**values) -> WidgetStates:
    message = WidgetStates()
    for widget_id, (field, value) in values.items():
        state = message.widgets.add()
        state.id = widget_id
        setattr(state, field, value)
    return message


def test_a_value_too_deep_is_replaced_by_a_refusal_and_an_event_by_none():
    drawing = json.dumps({"drawing": "data:image/png;base64,AAAA"})
    message = states(
        pad=("json_value", NESTED_LIST),
        events=("json_trigger_value", NESTED_DICT),
        fine=("json_value", drawing),
        text=("string_value", NESTED_LIST),
    )

    bound_depth(message)

    pad, events, fine, text = message.widgets
    assert unpack_widget_state_value(pad) == {REFUSED: widget_states.REFUSAL}
    assert unpack_widget_state_value(events) is None
    assert fine.json_value == drawing
    assert text.string_value == NESTED_LIST, "text is text: only JSON values are bounded"


@pytest.fixture
def bounded(monkeypatch):
    """The guard installed on Streamlit's SessionState for one test."""
    monkeypatch.setattr(SessionState, "set_widgets_from_proto", SessionState.set_widgets_from_proto)
    widget_states.bound_widget_values()
    widget_states.bound_widget_values()  # Twice, as every page run of app.py does: once in effect.
    assert not getattr(SessionState.set_widgets_from_proto.__wrapped__, patches.MARK, False)


def session_with_a_pad() -> SessionState:
    """Streamlit's own session state, holding a component like the sketch pad."""
    session = SessionState()
    serde = BidiComponentSerde(default={"drawing": None})
    session._set_widget_metadata(
        WidgetMetadata("pad", serde.deserialize, serde.serialize, value_type="json_value")
    )
    return session


@pytest.mark.parametrize("forged", [NESTED_LIST, NESTED_DICT], ids=["list", "dict"])
def test_streamlit_keeps_a_refusal_in_place_of_a_forged_value_and_the_next_drawing_replaces_it(
    bounded, forged
):
    session = session_with_a_pad()

    session.on_script_will_rerun(states(pad=("json_value", forged)))
    assert session["pad"] == {REFUSED: widget_states.REFUSAL, "drawing": None}

    session.on_script_will_rerun(
        states(pad=("json_value", json.dumps({"drawing": "data:image/png;base64,AA"})))
    )
    assert session["pad"] == {"drawing": "data:image/png;base64,AA"}


def test_without_the_bound_streamlit_fails_on_every_run_after_a_forged_value(monkeypatch):
    """What the bound prevents, shown on Streamlit as it is (the test fails if Streamlit
    learns to bound depth itself: the guard may then go)."""
    method = SessionState.set_widgets_from_proto
    monkeypatch.setattr(SessionState, "set_widgets_from_proto", getattr(method, "__wrapped__", method))
    session = session_with_a_pad()
    with pytest.raises(RecursionError):
        session.on_script_will_rerun(states(pad=("json_value", NESTED_LIST)))
    with pytest.raises(RecursionError):
        session.on_script_will_rerun(states(pad=("json_value", json.dumps({"drawing": None}))))


def test_every_script_run_passes_what_the_browser_sent_through_the_guard(bounded, monkeypatch):
    """The guard sits where a real script run keeps a browser's widget values: fails if a
    Streamlit release keeps them some other way (the guard would then check nothing)."""
    checked = []
    monkeypatch.setattr(
        widget_states, "bound_depth", lambda message: checked.append([state.id for state in message.widgets])
    )
    at = AppTest.from_string("import streamlit as st\nst.text_input('Name', key='name')").run()

    at.text_input(key="name").input("seven").run()

    assert not at.exception
    assert at.session_state["name"] == "seven"
    assert any("name" in widget for widgets in checked for widget in widgets), checked


def test_the_guard_says_in_the_log_when_streamlit_has_nothing_to_guard(monkeypatch, caplog):
    monkeypatch.delattr(SessionState, widget_states.PATCHED)
    patches._say_it_cannot_apply.cache_clear()
    with caplog.at_level(logging.WARNING, logger=patches.__name__):
        assert widget_states.bound_widget_values() is False
    patches._say_it_cannot_apply.cache_clear()
    assert f"no SessionState.{widget_states.PATCHED} to replace" in caplog.text
