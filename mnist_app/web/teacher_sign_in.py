"""The teacher's sign-in: a box in the sidebar, there only where the operator set a key.

The key typed is read once, in the button's callback, and the box is emptied there: it
never stays in the session, a widget, a URL or a log. Checking it (constant time, five
wrong tries a session then a minute's wait, and a count by network address that new
sessions do not reset) is `classroom.teacher_key`'s; this only asks and says. A signed-in
session keeps `teacher_key.session_mark()`, which a changed key no longer matches.
"""

from __future__ import annotations

import time

import streamlit as st

from mnist_app.classroom import teacher_key
from mnist_app.errors import UserError

SIGNED_IN_KEY = "teacher_signed_in"
TRIES_KEY = "teacher_tries"
# Set by a right key until the navigation has taken the teacher to their page.
ARRIVING_KEY = "teacher_arriving"
_TYPED_KEY = "teacher_key_typed"
_REFUSAL_KEY = "teacher_refusal"
# Longer than any key worth typing, short enough that nobody pastes a book into the box.
MAX_KEY_CHARS = 512


def signed_in() -> bool:
    """Whether this session gave the teacher's key, the one the server has now."""
    return teacher_key.still_signed_in(st.session_state.get(SIGNED_IN_KEY))


def sidebar_box() -> None:
    """The sidebar's "Teacher" box: the key and Sign in, or Sign out once signed in."""
    if not teacher_key.configured():
        return
    # Signed in with a key the server no longer has: said once, in the box, opened.
    outdated = SIGNED_IN_KEY in st.session_state and not signed_in()
    if outdated:
        del st.session_state[SIGNED_IN_KEY]
    with st.sidebar.expander("Teacher", icon=":material/school:", expanded=outdated):
        if outdated:
            st.warning(
                "The server's teacher key has changed, which signed you out: give the new key.",
                icon=":material/lock_reset:",
            )
        if signed_in():
            st.caption("You are signed in as the teacher: the Teacher page is under Class.")
            st.button("Sign out", key="teacher_sign_out", on_click=_sign_out)
            return
        with st.form("teacher_sign_in_form", border=False, clear_on_submit=True):
            st.text_input("The teacher's key", type="password", key=_TYPED_KEY, max_chars=MAX_KEY_CHARS)
            st.form_submit_button("Sign in", on_click=_sign_in, key="teacher_sign_in")
        refusal = st.session_state.pop(_REFUSAL_KEY, "")
        if refusal:
            st.error(refusal, icon=":material/lock:")


def _sign_in() -> None:
    """The button's callback: take the key out of the box, then check it."""
    given = st.session_state.get(_TYPED_KEY) or ""
    st.session_state[_TYPED_KEY] = ""
    tries = st.session_state.setdefault(TRIES_KEY, teacher_key.Tries())
    try:
        right = teacher_key.sign_in(given, tries, client=st.context.ip_address)
    except UserError as error:
        st.session_state[_REFUSAL_KEY] = f"{error}."
        return
    if right:
        st.session_state[SIGNED_IN_KEY] = teacher_key.session_mark()
        st.session_state[ARRIVING_KEY] = True
        return
    if tries.locked_until > time.monotonic():
        st.session_state[_REFUSAL_KEY] = (
            f"That is not this server's teacher key, and {teacher_key.MAX_TRIES} wrong keys in a row "
            "mean a wait of a minute before the next try."
        )
        return
    left = teacher_key.MAX_TRIES - tries.failures
    st.session_state[_REFUSAL_KEY] = (
        f"That is not this server's teacher key: {left} more {'try' if left == 1 else 'tries'} "
        "before a wait of a minute."
    )


def _sign_out() -> None:
    st.session_state.pop(SIGNED_IN_KEY, None)
