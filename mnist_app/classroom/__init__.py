"""The classroom: a teacher's key, students' display names, a challenge with rules and a hidden
test set, its leaderboard, and the limits the teacher changes live. No Streamlit here: the
teacher's and the students' pages only render what these modules decide."""
