"""Leaderboard: the running challenge's ranking, for the class, while the teacher shows it.

Each model's accuracy on the hidden test set, never the set itself; it redraws as new models
are scored.
"""

import streamlit as st

from mnist_app.classroom import challenges
from mnist_app.web import resources, teacher_leaderboard

st.title("Leaderboard")
challenge = challenges.current()
if challenge is not None and challenge.leaderboard_public:
    teacher_leaderboard.show_big(resources.model_store(), challenge)
else:
    st.info("The teacher is not showing a leaderboard now.")
