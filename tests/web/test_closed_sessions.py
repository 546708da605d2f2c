"""Tests for mnist_app.web.closed_sessions: the sessions visitors left, shut down once past reconnecting.

Against Streamlit's own session manager and store, on a clock the tests move; a server and a
browser in tests/e2e/test_closed_sessions.py.
"""

import logging
import subprocess
import sys
import types

from streamlit.runtime.caching.ttl_cache import TTLCache
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.session_manager import SessionInfo
from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

from mnist_app import repeating
from mnist_app.web import closed_sessions
from tests.support import REPO

TTL_S = 120


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


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


def manager_keeping(*sessions: LeftSession, clock: Clock, most: int = 128) -> WebsocketSessionManager:
    storage = MemorySessionStorage(maxsize=most, ttl_seconds=TTL_S)
    storage._cache = TTLCache(maxsize=most, ttl=TTL_S, timer=clock)
    manager = WebsocketSessionManager(
        session_storage=storage, uploaded_file_manager=None, script_cache=None, message_enqueued_callback=None
    )
    for session in sessions:
        leave(manager, session)
    return manager


def leave(manager: WebsocketSessionManager, session: LeftSession) -> None:
    manager._session_storage.save(SessionInfo(client=None, session=session))


def test_a_session_past_its_time_to_reconnect_is_shut_down_and_leaves_the_store():
    clock = Clock()
    old = LeftSession("old")
    manager = manager_keeping(old, clock=clock)
    assert closed_sessions.close_expired(manager) == 0, "its visitor may still come back"
    clock.now = TTL_S + 1
    assert closed_sessions.close_expired(manager) == 1
    assert old.shut_down == 1
    assert closed_sessions.close_expired(manager) == 0, "each is shut down once"


def test_one_the_store_dropped_when_another_visitor_left_is_shut_down_too():
    """Streamlit's store drops the expired as it saves another session, and shuts none down."""
    clock = Clock()
    old, new = LeftSession("old"), LeftSession("new")
    manager = manager_keeping(old, clock=clock)
    closed_sessions.close_expired(manager)
    clock.now = TTL_S + 1
    leave(manager, new)
    assert manager.get_session_info("old") is None
    assert closed_sessions.close_expired(manager) == 1
    assert (old.shut_down, new.shut_down) == (1, 0)
    assert manager.get_session_info("new").session is new, "a visitor who just left can come back"


def test_one_evicted_for_want_of_room_is_shut_down_too():
    clock = Clock()
    sessions = [LeftSession(name) for name in "abc"]
    manager = manager_keeping(sessions[0], clock=clock, most=2)
    closed_sessions.close_expired(manager)
    for session in sessions[1:]:
        leave(manager, session)
    assert closed_sessions.close_expired(manager) == 1
    assert [session.shut_down for session in sessions] == [1, 0, 0]


def test_one_that_fails_to_shut_down_keeps_none_of_the_others_from_it(caplog):
    clock = Clock()
    sessions = [LeftSession("a"), LeftSession("b", fails=True), LeftSession("c")]
    manager = manager_keeping(*sessions, clock=clock)
    clock.now = TTL_S + 1
    assert closed_sessions.close_expired(manager) == 3
    assert [session.shut_down for session in sessions] == [1, 1, 1]
    assert "shutting down session b" in caplog.text


def test_a_store_kept_elsewhere_is_left_alone_and_the_log_says_so(caplog):
    with caplog.at_level(logging.WARNING):
        assert closed_sessions.close_expired(types.SimpleNamespace()) == 0
    assert "stay in the server's memory" in caplog.text


def test_the_thread_starts_once_however_often_asked(monkeypatch):
    started = []
    monkeypatch.setattr(repeating, "_STARTED", set())
    monkeypatch.setattr(
        repeating.threading,
        "Thread",
        lambda **kwargs: started.append(kwargs) or types.SimpleNamespace(start=lambda: None),
    )
    for _ in range(3):
        closed_sessions.close_expired_every()
    assert [kwargs["name"] for kwargs in started] == ["close-expired-sessions"]


# The rounds of the thread that closes sessions, in a process of its own (the thread lasts for
# the process's life): the first round fails; a visitor is here until the fourth round;
# sessions are shut down from the sixth round on. Printed: the rounds, and the rounds after which the
# garbage was collected.
ROUNDS = """
import time
from mnist_app.web import closed_sessions as c
rounds, collected = [], []
def close():
    rounds.append(1)
    if len(rounds) == 1:
        raise RuntimeError("a failed round")
    return int(len(rounds) >= 6)
c._close_on_event_loop = close
c._visitors_here = lambda: len(rounds) < 4
c.gc.collect = lambda: collected.append(len(rounds))
c.close_expired_every(0.02)
time.sleep(0.6)
print(len(rounds), *collected)
"""


def test_the_thread_lives_on_and_collects_when_the_last_visitor_leaves_and_as_sessions_close():
    shown = subprocess.run(
        [sys.executable, "-c", ROUNDS], cwd=REPO, capture_output=True, text=True, check=True
    )
    rounds, *collected = map(int, shown.stdout.split())
    assert rounds >= 8, "it went on after the failed round"
    assert collected[0] == 4, "once, as the last visitor left"
    assert collected[1:] == list(range(6, rounds + 1)), "then each time sessions were shut down"
    assert "a failed round" in shown.stderr, "the failure is in the log"
