"""The sidebar's display-name box (mnist_app.web.display_name) and the names kept for the class
(mnist_app.web.visitors), with Streamlit's AppTest: given once, shown literally, changed, refused
in words, and only on a shared server."""

import pytest
from streamlit.testing.v1 import AppTest

from mnist_app.classroom import names
from mnist_app.web import visitors
from tests.support.classroom import classroom_folder
from tests.support.pages import as_read


def sidebar_with_name_box():
    from mnist_app.web.display_name import name_box

    name_box()


@pytest.fixture(autouse=True)
def classroom(tmp_path, monkeypatch, models_dir):
    return classroom_folder(tmp_path, monkeypatch)


@pytest.fixture
def shared(monkeypatch):
    monkeypatch.setenv("MNIST_APP_SHARED", "1")


def box() -> AppTest:
    return AppTest.from_function(sidebar_with_name_box).run()


def give(at: AppTest, text: str) -> AppTest:
    at.sidebar.text_input(key="display_name_input").input(text)
    return at.sidebar.button[0].click().run()


def test_no_box_on_a_server_that_is_not_shared(monkeypatch):
    monkeypatch.delenv("MNIST_APP_SHARED", raising=False)
    at = box()
    assert not at.sidebar.text_input and not at.sidebar.markdown


def test_a_name_is_given_once_kept_for_the_class_and_shown_literally(shared):
    at = box()
    assert at.sidebar.text_input(key="display_name_input").label == "Your name for the class"
    give(at, "  ![x](https:elsewhere.example) *Ada*  ")
    assert not at.exception and not at.sidebar.error
    name = "![x](https:elsewhere.example) *Ada*"
    assert at.session_state["display_name"] == name
    assert names.name_of(at.session_state["visitor_token"]) == name
    (shown,) = at.sidebar.markdown
    assert as_read(shown.value) == f"Your name for the class: **{name}**"
    assert "](" not in shown.value.replace("\\]\\(", ""), "shown literally"
    assert not at.sidebar.text_input, "given once: the box shows it"


def test_a_name_can_be_changed_or_kept(shared):
    at = give(box(), "Ada")
    at.sidebar.button(key="display_name_change").click().run()
    assert at.sidebar.text_input(key="display_name_input").value == "Ada"
    give(at, "Grace")
    assert at.session_state["display_name"] == "Grace"
    assert names.name_of(at.session_state["visitor_token"]) == "Grace"
    at.sidebar.button(key="display_name_change").click().run()
    at.sidebar.button[1].click().run()
    assert at.session_state["display_name"] == "Grace" and not at.sidebar.text_input


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("   ", "a name is empty"),
        ("evil\u202egnp.exe", "invisible control or formatting character"),
    ],
)
def test_a_name_that_would_change_how_a_page_reads_is_refused_in_words(shared, text, why):
    at = box()
    at.session_state["display_name_input"] = text
    at.sidebar.button[0].click().run()
    assert not at.exception
    (error,) = at.sidebar.error
    assert why in as_read(error.value)
    assert "display_name" not in at.session_state or not at.session_state["display_name"]
    assert names.names() == {}


def set_a_long_name():
    import streamlit as st

    from mnist_app.errors import UserError
    from mnist_app.web.visitors import set_display_name

    try:
        set_display_name("x" * 41)
    except UserError as error:
        st.error(str(error))


def test_a_name_past_forty_characters_is_refused_whatever_the_box_allowed(shared):
    """The box takes 40 characters; `set_display_name` refuses more, whoever calls it."""
    at = AppTest.from_function(set_a_long_name).run()
    assert [error.value for error in at.error] == ["a name has 41 characters; at most 40 are allowed"]
    assert names.names() == {} and "display_name" not in at.session_state


def test_the_connected_visitors_are_the_sessions_that_ran_a_page(shared, monkeypatch):
    monkeypatch.setattr(visitors, "_SESSIONS_BY_TOKEN", {})
    first, second = box(), box()
    tokens = {first.session_state["visitor_token"], second.session_state["visitor_token"]}
    assert visitors.connected_visitors() == tokens
    monkeypatch.setattr(visitors, "session_connected", lambda session_id: False)
    assert visitors.connected_visitors() == set()


def test_a_name_too_long_is_refused_in_words_and_each_refusal_said_once(shared):
    at = give(box(), "x" * 41)
    assert [as_read(error.value) for error in at.sidebar.error] == [
        "Cannot use this name: a name has 41 characters; at most 40 are allowed."
    ]
    give(at, "  ")
    assert [as_read(error.value) for error in at.sidebar.error] == [
        "Cannot use this name: a name is empty: type at least one letter."
    ]
    at.run()
    assert not at.sidebar.error
