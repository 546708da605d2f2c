"""The MNIST app: `streamlit run app.py`. A table of contents; each page renders itself."""

import streamlit as st

from mnist_app.timing import timed
from mnist_app.web.keras_session import keep_keras_session
from mnist_app.web.page_errors import show_unexpected
from mnist_app.web.preload import tensorflow_in_background
from mnist_app.web.widget_states import bound_widget_values


def run() -> None:
    keep_keras_session()
    bound_widget_values()
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
    page = st.navigation(pages)
    try:
        with timed(f"page {page.url_path or 'explore'}"):
            page.run()
    except Exception as error:  # The last net: a bug shows a message, never a traceback.
        show_unexpected(error, page.title)
    tensorflow_in_background()


run()
