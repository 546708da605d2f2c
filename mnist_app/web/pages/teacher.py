"""Teacher: the class live, the challenge and its link, the leaderboard, housekeeping.

Only a session that gave the teacher's key reaches this page (`app.py` adds it to the
navigation then); it checks again itself, so a page run some other way shows nothing. No
`st.stop` here: the sidebar's Teacher box is drawn after the page.
"""

import streamlit as st

from mnist_app.web import resources, teacher_challenge, teacher_leaderboard, teacher_sign_in


def show_page() -> None:
    store = resources.model_store()
    projector = st.toggle(
        "Projector view",
        key="teacher_projector",
        help="Only the leaderboard, in big type and without controls, for the class to watch.",
    )
    if projector:
        teacher_leaderboard.show_big(store, font_size="2.4rem")
        return
    with st.spinner("Starting TensorFlow…"):  # The class's jobs are TensorFlow's.
        from mnist_app.web import teacher_class, teacher_housekeeping
    st.write(
        "Watch the class, set a challenge and rank its models. The parts that change on their own "
        "(who is here, the jobs, the leaderboard) redraw every few seconds."
    )
    live, challenge, ranking, housekeeping = st.tabs(
        ["The class", "Challenge", "Leaderboard", "Housekeeping"]
    )
    with live:
        teacher_class.show(store)
    with challenge:
        teacher_challenge.show()
    with ranking:
        teacher_leaderboard.show(store)
    with housekeeping:
        teacher_housekeeping.show(store)


st.title("Teacher")
if teacher_sign_in.signed_in():
    show_page()
else:
    st.info("This page is the teacher's: give the teacher's key in the sidebar first.")
