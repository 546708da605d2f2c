"""Leaderboard: the running challenge's ranking, for the class, while the teacher shows it.

Each model's accuracy on the hidden test set, never the set itself; it redraws as new models
are scored, and reads the challenge again each time: hidden by the teacher, or ended, it says
so at once.
"""

import streamlit as st

from mnist_app.web import resources, teacher_leaderboard

st.title("Leaderboard")
teacher_leaderboard.show_big(resources.model_store(), public_only=True)
