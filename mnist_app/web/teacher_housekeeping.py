"""The teacher's housekeeping: remove any model, clear a student's digits, end the challenge.

Each asks once more before it acts (a popover with the one button that does it), since none
can be undone. The teacher may remove any model a visitor could not (another's, on a shared
server); the shipped default stays, as everywhere in the app.
"""

from __future__ import annotations

import streamlit as st

from mnist_app.classroom import challenges, leaderboard, names
from mnist_app.classroom.class_view import digits_by_owner
from mnist_app.learning.model_store import DEFAULT_MODEL_NAME, ModelStore
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

# What the last action did, said once on the next run (its popover has closed by then).
DONE_KEY = "teacher_done"
# The choice, in the list of whose digits to clear, of every visitor who gave no name at once.
ALL_UNNAMED = "*unnamed*"


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
            names.told_apart(str(saved.metadata.get("owner") or ""), known)
            if saved.metadata.get("saved_by") == "app"
            else ""
        )
        return f"{saved.label}, by {who}" if who else saved.label

    chosen = st.selectbox("Model", list(by_name), format_func=label, key="teacher_remove_model")
    with st.popover("Remove…", icon=":material/delete:"):
        row = (
            " Its row on the challenge's leaderboard goes with it."
            if by_name[chosen].metadata.get("challenge")
            else ""
        )
        st.write(f"Remove **{literal(chosen)}** for good?{row}")
        if st.button("Remove the model", type="primary", key="teacher_remove_confirm") and attempt(
            lambda: _remove(store, by_name[chosen]), f"Cannot remove {chosen}"
        ):
            st.session_state[DONE_KEY] = f"Removed {literal(chosen)}."
            st.rerun()


def _remove(store: ModelStore, saved) -> str:
    """Remove the model, and its row from its challenge's leaderboard (a student's own deletion,
    or pruning, leaves the row)."""
    leaderboard.forget(saved)
    return store.delete(saved.name)


def clear_digits() -> None:
    st.subheader("Clear a student's digits")
    known = names.names()
    counts = {token: count for token, count in digits_by_owner().items() if count}
    if not counts:
        st.caption("No student has saved digits.")
        return
    st.write(
        "Each visitor is listed by the name they gave and the end of their token, so that two of the "
        "same name are never cleared together."
    )
    unnamed = [token for token in counts if not known.get(token)]
    choices = sorted(counts, key=lambda token: names.by_name(token, known))
    if len(unnamed) > 1:
        choices.append(ALL_UNNAMED)
    totals = {**counts, ALL_UNNAMED: sum(counts[token] for token in unnamed)}

    def whose(choice: str) -> str:
        if choice == ALL_UNNAMED:
            return f"all {len(unnamed)} visitors without a name"
        return names.told_apart(choice, known)

    chosen = st.selectbox(
        "Student",
        choices,
        format_func=lambda choice: f"{whose(choice)} ({totals[choice]:,} digit{'s' * (totals[choice] != 1)})",
        key="teacher_clear_student",
    )
    tokens = unnamed if chosen == ALL_UNNAMED else [chosen]
    who = whose(chosen)
    with st.popover("Clear…", icon=":material/ink_eraser:"):
        st.write(f"Delete the digits of **{literal(who)}** ({totals[chosen]:,}), for good?")
        if st.button("Clear the digits", type="primary", key="teacher_clear_confirm") and attempt(
            lambda: _delete_digits(tokens), "Cannot clear the digits"
        ):
            st.session_state[DONE_KEY] = f"Cleared the digits of {literal(who)}."
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
