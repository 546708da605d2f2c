"""The teacher's housekeeping: remove any model, clear a student's digits, end the challenge.

Each asks once more before it acts (a popover with the one button that does it), since none
can be undone. The teacher may remove any model a visitor could not (another's, on a shared
server); the shipped default stays, as everywhere in the app.
"""

from __future__ import annotations

import streamlit as st

from mnist_app.classroom import challenges, names
from mnist_app.learning.model_store import DEFAULT_MODEL_NAME, ModelStore
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.teacher_class import UNNAMED, digits_by_owner, student

# What the last action did, said once on the next run (its popover has closed by then).
DONE_KEY = "teacher_done"


def show(store: ModelStore) -> None:
    done = st.session_state.pop(DONE_KEY, "")
    if done:
        st.success(done, icon=":material/check:")
    remove_model(store)
    clear_digits()
    end_challenge()


def remove_model(store: ModelStore) -> None:
    st.subheader("Remove a model")
    known = names.names()
    models = [saved for saved in store.list() if saved.name != DEFAULT_MODEL_NAME]
    if not models:
        st.caption("No model to remove: the shipped default always stays.")
        return
    by_name = {saved.name: saved for saved in models}

    def label(name: str) -> str:
        saved = by_name[name]
        who = (
            student(str(saved.metadata.get("owner") or ""), known)
            if saved.metadata.get("saved_by") == "app"
            else ""
        )
        return f"{saved.label}, by {who}" if who else saved.label

    chosen = st.selectbox("Model", list(by_name), format_func=label, key="teacher_remove_model")
    with st.popover("Remove…", icon=":material/delete:"):
        st.write(f"Remove **{literal(chosen)}** for good? Its leaderboard row goes with it.")
        if st.button("Remove the model", type="primary", key="teacher_remove_confirm") and attempt(
            lambda: store.delete(chosen), f"Cannot remove {chosen}"
        ):
            st.session_state[DONE_KEY] = f"Removed {literal(chosen)}."
            st.rerun()


def clear_digits() -> None:
    st.subheader("Clear a student's digits")
    known = names.names()
    counts = digits_by_owner()
    by_student: dict[str, list[str]] = {}
    for token, count in counts.items():
        if count:
            by_student.setdefault(student(token, known), []).append(token)
    if not by_student:
        st.caption("No student has saved digits.")
        return
    totals = {who: sum(counts[token] for token in tokens) for who, tokens in by_student.items()}
    chosen = st.selectbox(
        "Student",
        sorted(by_student, key=lambda who: (who == UNNAMED, who.casefold())),
        format_func=lambda who: f"{who} ({totals[who]:,} digit{'s' * (totals[who] != 1)})",
        key="teacher_clear_student",
        help="Visitors who gave no name are cleared together.",
    )
    with st.popover("Clear…", icon=":material/ink_eraser:"):
        st.write(f"Delete the digits **{literal(chosen)}** saved ({totals[chosen]:,}), for good?")
        if st.button("Clear the digits", type="primary", key="teacher_clear_confirm") and attempt(
            lambda: _delete_digits(by_student[chosen]), "Cannot clear the digits"
        ):
            st.session_state[DONE_KEY] = f"Cleared the digits of {literal(chosen)}."
            st.rerun()


def _delete_digits(tokens: list[str]) -> bool:
    from mnist_app.datasets.digit_store import DigitStore

    store = DigitStore()
    for token in tokens:
        store.delete_owner(token)
    return True


def end_challenge() -> None:
    st.subheader("End the challenge")
    running = challenges.current()
    if running is None:
        st.caption("No challenge runs now.")
        return
    with st.popover("End the challenge…", icon=":material/flag:"):
        st.write(
            f"End **{literal(running.title)}**? Students' Build then works as usual, without its rules; "
            "the models trained for it and their ranking stay."
        )
        if st.button("End it", type="primary", key="teacher_end_confirm") and attempt(
            challenges.end, "Cannot end the challenge"
        ):
            st.session_state[DONE_KEY] = f"Ended {literal(running.title)}."
            st.rerun()
