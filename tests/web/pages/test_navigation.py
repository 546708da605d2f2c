"""The app's navigation (`app.py`) with Streamlit's AppTest: every page reached, choices kept across pages."""

from streamlit.testing.v1 import AppTest

from tests.support import REPO


def test_app_navigation_opens_explore_and_reaches_every_page():
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Explore the digits"
    for name, title in [("train", "Train a classifier"), ("draw", "Draw a digit")]:
        at.switch_page(f"mnist_app/web/pages/{name}.py").run()
        assert not at.exception
        assert at.title[0].value == title


def test_choices_hold_across_pages():
    """The dataset picked on Explore and the split shown stay picked after a visit to Draw."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    at.selectbox(key="dataset").select("mnist-sample").run()
    at.switch_page("mnist_app/web/pages/draw.py").run()
    at.switch_page("mnist_app/web/pages/explore.py").run()
    assert not at.exception
    assert at.selectbox(key="dataset").value == "mnist-sample"
    assert not at.info, "the sample was chosen, so no fallback notice"
