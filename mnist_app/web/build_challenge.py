"""Build in a challenge: the teacher's link (`/build?challenge=ID`) opens Build with the rules
shown above the editor, the data choices and the dataset locked, the epochs capped, only the
allowed layer kinds offered and the parameter budget shown against the design's count.

The page only shows the rules; `page_jobs.start` enforces them. The challenge a student opened
is kept in the session (`CHALLENGE_KEY`) and in the address, so the rest of Build's link keeps
working beside it; an id that names no running challenge gets one message, and Build works as
usual.
"""

from __future__ import annotations

import streamlit as st

from mnist_app import settings
from mnist_app.classroom import challenges, rules
from mnist_app.classroom.challenges import Challenge
from mnist_app.learning.design_plan import Plan
from mnist_app.learning.design_variants import Variant
from mnist_app.learning.designs import PRESETS
from mnist_app.web import build_training
from mnist_app.web.plain_text import literal
from mnist_app.web.visitors import display_name

CHALLENGE_KEY = "challenge_id"
QUERY_KEY = "challenge"
# The challenge whose data choices were last put in the widgets: locked once, not on every run,
# so that a value forged into a disabled widget is refused by the server, not quietly put right.
LOCKED_FOR_KEY = "challenge_locked_for"
MESSAGE_KEY = "challenge_message"
# Far longer than any id `challenges` makes.
MAX_ID_CHARS = 64


def opened() -> Challenge | None:
    """The running challenge this session takes part in, from the address or the session."""
    given = st.query_params.get(QUERY_KEY)
    if given is not None and given != st.session_state.get(CHALLENGE_KEY):
        found = challenges.find(given) if len(given) <= MAX_ID_CHARS else None
        if found is not None and found.running:
            st.session_state[CHALLENGE_KEY] = found.id
        else:
            _leave(
                "This link names no challenge running now (it may have ended): Build works as usual, "
                "without its rules."
            )
            return None
    kept = st.session_state.get(CHALLENGE_KEY)
    if kept is None:
        return None
    found = challenges.find(kept)
    if found is None or not found.running:
        title = f" “{literal(found.title)}”" if found is not None else ""
        _leave(f"The challenge{title} has ended: Build works as usual again, without its rules.")
        return None
    if st.query_params.get(QUERY_KEY) != found.id:
        st.query_params[QUERY_KEY] = found.id
    return found


def _leave(message: str = "") -> None:
    st.session_state.pop(CHALLENGE_KEY, None)
    st.session_state.pop(LOCKED_FOR_KEY, None)
    if QUERY_KEY in st.query_params:
        del st.query_params[QUERY_KEY]
    if message:
        st.session_state[MESSAGE_KEY] = message


def say_left() -> None:
    """Once: why Build no longer follows a challenge (a link that names none, one that ended)."""
    if message := st.session_state.pop(MESSAGE_KEY, None):
        st.warning(message, icon=":material/flag:")


def lock_choices(challenge: Challenge, available: int, again: bool = False) -> None:
    """Put the challenge's data choices and its epoch cap in the widgets: on joining, and `again`
    after a link replaced the choices."""
    if st.session_state.get(LOCKED_FOR_KEY) == challenge.id and not again:
        return
    chosen = build_training.choices(available, challenge.rules)
    build_training.set_choices(rules.locked(challenge.rules, chosen))
    st.session_state[LOCKED_FOR_KEY] = challenge.id


def dataset_choice(challenge: Challenge) -> tuple[str, str | None]:
    """Where the challenge's dataset is read from, as the sidebar would open it."""
    return rules.read_as(challenge.rules.dataset)


WHY_LOCKED = "the challenge trains on it, so Build uses it while you take part."


def show(challenge: Challenge, design: Plan) -> None:
    """The challenge's title, its rules, the parameter budget against this design's count."""
    with st.container(border=True, key="challenge_rules"):
        st.subheader(f"Challenge: {literal(challenge.title)}", anchor=False)
        st.markdown("Your teacher set these rules; the server trains only networks that keep them:")
        st.markdown("\n".join(f"- {literal(sentence)}" for sentence in rules.describe(challenge.rules)))
        budget, used = challenge.rules.max_parameters, design.parameters
        st.markdown(
            f"This network holds **{used:,} parameters** of the **{budget:,}** allowed"
            + (
                f": {used - budget:,} too many. {_smaller(challenge)}"
                if used > budget
                else f" ({used / budget:.0%})."
            )
        )
        st.progress(min(1.0, used / budget))
        if settings.shared() and not display_name():
            st.info(
                "Give your name in the sidebar, so that your teacher finds your models on the "
                "class's leaderboard.",
                icon=":material/badge:",
            )
        st.button(
            "Leave the challenge",
            key="challenge_leave",
            on_click=_leave,
            type="tertiary",
            icon=":material/logout:",
            help="Build as usual, without the challenge's rules; the models you trained in it stay in it.",
        )


def _smaller(challenge: Challenge) -> str:
    """How to get within the budget: the biggest preset that keeps the rules, if one does."""
    fitting = [
        (rules.parameters(preset), title)
        for title, preset in PRESETS.items()
        if all(layer.kind in challenge.rules.layer_kinds for layer in preset)
        and rules.parameters(preset) <= challenge.rules.max_parameters
    ]
    if not fitting:
        return "Take layers and units away until it fits."
    held, title = max(fitting)
    return f"Take layers or units away, or start from the preset “{title}” ({held:,} parameters) under “Its layers”."


def broken(challenge: Challenge, variants: list[Variant], spec: str) -> list[str]:
    """What every variant breaks of the challenge's rules, in the learner's words, each once."""
    found: list[str] = []
    for variant in variants:
        for problem in rules.violations(challenge.rules, variant.layers, variant.choices, spec):
            text = f"With {variant.label}: {problem}" if len(variants) > 1 else problem
            if text not in found:
                found.append(text)
    return found
