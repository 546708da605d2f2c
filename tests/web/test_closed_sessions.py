"""Tests for mnist_app.web.closed_sessions: the sessions visitors left, shut down once past reconnecting.

Against Streamlit's own session manager and store; a server and a browser in
tests/e2e/test_closed_sessions.py.
"""

import logging
import time
import types

from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.session_manager import SessionInfo
from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

from mnist_app.web import closed_sessions

TTL_S = 0.2


class LeftSession:
    """What the store keeps of a session whose visitor left: its id, and a way to shut it down."""

    def __init__(self, session_id: str, fails: bool = False):
        self.id = session_id
        self.fails = fails
        self.shut_down = 0

    def shutdown(self) -> None:
        self.shut_down += 1
        if self.fails:
            raise RuntimeError("a session that cannot shut down")


def manager_keeping(*sessions: LeftSession) -> WebsocketSessionManager:
    manager = WebsocketSessionManager(
        session_storage=MemorySessionStorage(ttl_seconds=TTL_S),
        uploaded_file_manager=None,
        script_cache=None,
        message_enqueued_callback=None,
    )
    for session in sessions:
        manager._session_storage.save(SessionInfo(client=None, session=session))
    return manager


def test_a_session_past_its_time_to_reconnect_is_shut_down_and_leaves_the_store():
    old, new = LeftSession("old"), LeftSession("new")
    manager = manager_keeping(old)
    assert closed_sessions.close_expired(manager) == 0, "it may still come back"
    time.sleep(TTL_S * 1.5)
    manager._session_storage.save(SessionInfo(client=None, session=new))
    assert closed_sessions.close_expired(manager) == 1
    assert old.shut_down == 1 and new.shut_down == 0
    assert manager.get_session_info("new").session is new, "a visitor who just left can come back"
    assert closed_sessions.close_expired(manager) == 0, "each is shut down once"


def test_one_that_fails_to_shut_down_keeps_none_of_the_others_from_it(caplog):
    sessions = [LeftSession("a"), LeftSession("b", fails=True), LeftSession("c")]
    manager = manager_keeping(*sessions)
    time.sleep(TTL_S * 1.5)
    assert closed_sessions.close_expired(manager) == 3
    assert [session.shut_down for session in sessions] == [1, 1, 1]
    assert "shutting down session b" in caplog.text


def test_a_store_kept_elsewhere_is_left_alone_and_the_log_says_so(caplog):
    with caplog.at_level(logging.WARNING):
        assert closed_sessions.close_expired(types.SimpleNamespace()) == 0
    assert "stay in the server's memory" in caplog.text


def test_the_thread_starts_once_however_often_asked(monkeypatch):
    started = []
    monkeypatch.setattr(closed_sessions, "_CLOSING", type(closed_sessions._CLOSING)())
    monkeypatch.setattr(
        closed_sessions.threading,
        "Thread",
        lambda **kwargs: started.append(kwargs) or types.SimpleNamespace(start=lambda: None),
    )
    for _ in range(3):
        closed_sessions.close_expired_every()
    assert [kwargs["name"] for kwargs in started] == ["close-expired-sessions"]
