"""Tests for mnist_app.web.visitors: whether a browser session is still connected, as Streamlit's
runtime tells it (not a public API: these fail when a release no longer tells it so)."""

import logging

import pytest
from streamlit.runtime import Runtime, RuntimeConfig
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

from mnist_app.web import visitors


@pytest.fixture
def runtime():
    """Streamlit's runtime as a server holds it, with no browser session; gone after the test."""
    assert not Runtime.exists()
    config = RuntimeConfig(
        script_path="app.py",
        media_file_storage=MemoryMediaFileStorage("/media"),
        uploaded_file_manager=MemoryUploadedFileManager("/upload"),
    )
    try:
        yield Runtime(config)
    finally:
        Runtime._instance = None


def test_with_no_server_here_no_session_is_said_connected_or_gone():
    """Under AppTest there is no runtime: a page's job is never taken as abandoned."""
    assert visitors.session_connected("any") is None
    assert visitors.visitor_present("nobody's token") is False


def test_the_runtime_tells_a_session_it_does_not_hold_is_not_connected(runtime, monkeypatch):
    monkeypatch.setitem(visitors._SESSIONS_BY_TOKEN, "gone", "session-gone")

    assert visitors.session_connected("session-gone") is False
    assert visitors.visitor_present("gone") is False


def test_a_runtime_that_cannot_tell_is_said_in_the_log(runtime, monkeypatch, caplog):
    monkeypatch.delattr(Runtime, "is_active_session")
    visitors._say_runtime_cannot_tell.cache_clear()
    with caplog.at_level(logging.WARNING, logger=visitors.__name__):
        assert visitors.session_connected("session") is None
        assert visitors.session_connected("session") is None
    visitors._say_runtime_cannot_tell.cache_clear()
    (record,) = caplog.records
    assert "no is_active_session" in record.getMessage()
