"""The sidebar's box for a student's display name, on a shared server (MNIST_APP_SHARED).

A visitor picks a name once per browser session; from then on the box shows it, with a way to
change it. The name goes with what the visitor makes (models, jobs, digits, the leaderboard),
so the teacher knows whose is whose. It is the visitor's own text: checked as one short line
(`classroom.names.check_name`) and shown only through `literal`.
"""

from __future__ import annotations

import streamlit as st

from mnist_app import settings
from mnist_app.classroom.names import MAX_NAME
from mnist_app.errors import UserError
from mnist_app.web.plain_text import literal
from mnist_app.web.visitors import display_name, set_display_name, visitor_token

INPUT_KEY = "display_name_input"
# The box takes more than a name may hold, so that a name too long is refused in words, not cut.
MAX_TYPED = 5 * MAX_NAME
EDITING_KEY = "display_name_editing"
REFUSAL_KEY = "display_name_refused"
LABEL = "Your name for the class"


def name_box() -> None:
    """The box, in the sidebar, on a shared server only: a name to give, or the name given.

    Called by the app on every page run, it also makes the session known as a visitor of the
    class (`visitors.connected_visitors`) from its first page on.
    """
    visitor_token()
    if not settings.shared():
        return
    with st.sidebar:
        name = display_name()
        if name and not st.session_state.get(EDITING_KEY):
            st.markdown(f"{LABEL}: **{literal(name)}**")
            st.button("Change it", key="display_name_change", on_click=_edit, type="tertiary")
            return
        if not name:
            st.caption(
                "Give a name so that your teacher can tell your models from the others' (on the "
                "class's leaderboard too). It is kept while this tab stays open."
            )
        with st.form("display_name_form", border=False, enter_to_submit=True):
            st.text_input(LABEL, max_chars=MAX_TYPED, key=INPUT_KEY, placeholder="Ada L.")
            buttons = st.columns(2)
            buttons[0].form_submit_button("Use this name", on_click=_submit)
            if name:
                buttons[1].form_submit_button("Keep mine", on_click=_keep, type="tertiary")
        if refused := st.session_state.pop(REFUSAL_KEY, None):
            st.error(f"Cannot use this name: {literal(refused)}.", icon=":material/error:")


def _edit() -> None:
    st.session_state[EDITING_KEY] = True
    st.session_state[INPUT_KEY] = display_name()


def _keep() -> None:
    st.session_state.pop(EDITING_KEY, None)
    st.session_state.pop(REFUSAL_KEY, None)


def _submit() -> None:
    st.session_state.pop(REFUSAL_KEY, None)
    try:
        set_display_name(st.session_state.get(INPUT_KEY, ""))
    except UserError as error:
        st.session_state[REFUSAL_KEY] = str(error)
        return
    _keep()
