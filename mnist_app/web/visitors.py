"""Who a browser session is: for the models it may change and the ones the app may prune, the
digits it sees on a shared server, and its turns and limits in the trainer's queue.

Each session gets a random token, stored in the models it trains (`owner` in their
description) and the digits it saves. The token is not Streamlit's session id, which can
resume a session and so must never be written where others can read it. Streamlit knows
no visitor across tabs: each tab, and each reload, is a new session with a new token.

On a shared server a visitor also gives a display name (`display_name`), kept in the session
and, by token, in the classroom folder (`classroom.names`), so the teacher's page, the
leaderboard and the models' descriptions say who made what.

Whether a session is still connected only Streamlit's runtime knows (`Runtime`, not a public
API): where a release no longer tells, `session_connected` says so in the server's log and
`tests/web/test_visitors.py` fails.
"""

from __future__ import annotations

import functools
import logging
import secrets

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

OWNER_KEY = "visitor_token"
DISPLAY_NAME_KEY = "display_name"
_log = logging.getLogger(__name__)


# Every token this server handed out, and the session it belongs to. A plain dict, not a
# cached resource: the training thread that prunes models asks it, outside any script run.
_SESSIONS_BY_TOKEN: dict[str, str] = {}


def visitor_token() -> str:
    """This browser session's token (made on its first page run)."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = secrets.token_hex(8)
    context = get_script_run_ctx()
    if context is not None:
        _SESSIONS_BY_TOKEN[st.session_state[OWNER_KEY]] = context.session_id
    return st.session_state[OWNER_KEY]


def display_name() -> str:
    """The name this session gave for the class; "" before it gives one."""
    name = st.session_state.get(DISPLAY_NAME_KEY, "")
    return name if isinstance(name, str) else ""


def set_display_name(text: object) -> str:
    """Check `text` as a display name (UserError saying what is wrong), keep it in this session
    and for the class (by this session's token); the name as kept."""
    from mnist_app.classroom import names

    name = names.remember(visitor_token(), names.check_name(text))
    st.session_state[DISPLAY_NAME_KEY] = name
    return name


def connected_visitors() -> set[str]:
    """The tokens of the sessions connected now (a token is one session). Where this server
    cannot tell (no runtime, as under a test's AppTest, or a Streamlit that no longer says),
    every session that ran a page counts."""
    return {
        token
        for token, session_id in list(_SESSIONS_BY_TOKEN.items())
        if session_connected(session_id) is not False
    }


def visitor_present(token: str) -> bool:
    """Whether the session that owns `token` is still connected to this server."""
    session_id = _SESSIONS_BY_TOKEN.get(token)
    return bool(session_id) and session_connected(session_id) is True


def session_connected(session_id: str) -> bool | None:
    """Whether the browser session `session_id` is still connected to this server; None where
    no server runs (a test's AppTest) or this Streamlit cannot tell (a warning in the log)."""
    if not Runtime.exists():
        return None
    is_active_session = getattr(Runtime.instance(), "is_active_session", None)
    if not callable(is_active_session):
        _say_runtime_cannot_tell()
        return None
    return bool(is_active_session(session_id))


@functools.cache
def _say_runtime_cannot_tell() -> None:
    _log.warning(
        "This Streamlit's Runtime has no is_active_session: the app cannot tell when a visitor has "
        "gone, so a page's training job no longer stops when its page is closed, and a visitor's "
        "models are pruned as if they had left."
    )
