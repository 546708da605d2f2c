"""The MNIST app: `streamlit run app.py`. A table of contents; each page renders itself."""

import streamlit as st

from mnist_app.classroom import challenges
from mnist_app.timing import timed
from mnist_app.web import display_name, teacher_sign_in
from mnist_app.web.closed_sessions import close_expired_every
from mnist_app.web.keras_session import keep_keras_session
from mnist_app.web.page_errors import show_unexpected
from mnist_app.web.preload import settle_malloc, tensorflow_in_background
from mnist_app.web.stale_widgets import forget_stale_widgets
from mnist_app.web.widget_states import bound_widget_values


def run() -> None:
    settle_malloc()
    close_expired_every()
    keep_keras_session()
    bound_widget_values()
    forget_stale_widgets()
    st.set_page_config(page_title="MNIST with Keras", page_icon=":material/draw:", layout="wide")
    pages = {
        "Data": [
            st.Page(
                "mnist_app/web/pages/explore.py", title="Explore", icon=":material/grid_view:", default=True
            ),
        ],
        "Learn": [
            st.Page("mnist_app/web/pages/lab.py", title="Lab", icon=":material/science:", url_path="lab"),
            st.Page(
                "mnist_app/web/pages/build.py",
                title="Build",
                icon=":material/construction:",
                url_path="build",
            ),
            st.Page(
                "mnist_app/web/pages/train.py",
                title="Train",
                icon=":material/model_training:",
                url_path="train",
            ),
            st.Page(
                "mnist_app/web/pages/compare.py",
                title="Compare",
                icon=":material/compare:",
                url_path="compare",
            ),
        ],
        "Use": [
            st.Page("mnist_app/web/pages/draw.py", title="Draw", icon=":material/draw:", url_path="draw"),
            st.Page(
                "mnist_app/web/pages/inside.py",
                title="Inside",
                icon=":material/neurology:",
                url_path="inside",
            ),
            st.Page(
                "mnist_app/web/pages/map.py", title="Map", icon=":material/scatter_plot:", url_path="map"
            ),
            st.Page(
                "mnist_app/web/pages/trust.py", title="Trust", icon=":material/verified:", url_path="trust"
            ),
            st.Page(
                "mnist_app/web/pages/my_digits.py",
                title="My digits",
                icon=":material/person_edit:",
                url_path="my-digits",
            ),
        ],
    }
    teacher = st.Page(
        "mnist_app/web/pages/teacher.py", title="Teacher", icon=":material/school:", url_path="teacher"
    )
    class_pages = class_section(teacher)
    if class_pages:
        pages["Class"] = class_pages
    page = st.navigation(pages)
    if st.session_state.pop(teacher_sign_in.ARRIVING_KEY, False) and teacher in class_pages:
        st.switch_page(teacher)
    if not teacher_sign_in.signed_in():  # Students give a name; the teacher needs none.
        display_name.name_box()
    try:
        with timed(f"page {page.url_path or 'explore'}"):
            page.run()
    except Exception as error:  # The last net: a bug shows a message, never a traceback.
        show_unexpected(error, page.title)
    # Last in the sidebar (absent on a page that stopped early, with st.stop, for want of a model).
    teacher_sign_in.sidebar_box()
    tensorflow_in_background()


def class_section(teacher: st.Page) -> list[st.Page]:
    """The teacher's page for a session that gave the key; the leaderboard while the teacher shows it."""
    class_pages = [teacher] if teacher_sign_in.signed_in() else []
    challenge = challenges.current()
    if challenge is not None and challenge.leaderboard_public:
        class_pages.append(
            st.Page(
                "mnist_app/web/pages/leaderboard.py",
                title="Leaderboard",
                icon=":material/leaderboard:",
                url_path="leaderboard",
            )
        )
    return class_pages


# Streamlit runs this script as "__main__"; a trainer process started from the server
# (`jobs/trainer_processes.py`, multiprocessing's "spawn") imports it as "__mp_main__", and
# must not run the app.
if __name__ == "__main__":
    run()
