"""The teacher's key with Streamlit's AppTest: no key, no page; a wrong key refused once; the
right one opens the Teacher page; five wrong ones wait a minute; a changed key signs the teacher
out; the key never shown."""

import pytest
from streamlit.testing.v1 import AppTest

from mnist_app.classroom.teacher_key import session_mark
from tests.support import REPO

KEY = "correct horse battery staple"
TEACHER_PAGE = "mnist_app/web/pages/teacher.py"


@pytest.fixture
def classroom(tmp_path, monkeypatch):
    """An empty classroom folder, and no teacher key unless a test sets one."""
    from mnist_app.classroom import teacher_key

    teacher_key.forget_addresses()
    folder = tmp_path / "classroom"
    monkeypatch.setenv("MNIST_APP_CLASSROOM_DIR", str(folder))
    monkeypatch.delenv("MNIST_APP_TEACHER_KEY", raising=False)
    monkeypatch.delenv("MNIST_APP_TEACHER_KEY_FILE", raising=False)
    return folder


def app() -> AppTest:
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()


def sign_in(at: AppTest, key: str) -> AppTest:
    at.text_input(key="teacher_key_typed").input(key)
    return at.button(key="teacher_sign_in").click().run()


def every_text(at: AppTest) -> str:
    """Everything the session's elements say or hold, widget values included."""
    texts = []
    for node in at:
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.append(str(proto))
        value = getattr(node, "value", None)
        if value is not None:
            texts.append(str(value))
    return "\n".join(texts)


def test_without_a_key_there_is_no_teacher_page_and_no_sign_in_box(classroom):
    at = app()
    assert not at.exception
    assert "Teacher" not in [expander.label for expander in at.sidebar.expander]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(TEACHER_PAGE)


def test_a_wrong_key_is_refused_with_one_message(classroom, monkeypatch):
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY", KEY)
    at = app()
    assert "Teacher" in [expander.label for expander in at.sidebar.expander]
    sign_in(at, "open sesame")
    assert not at.exception
    assert [error.value for error in at.error] == [
        "That is not this server's teacher key: 4 more tries before a wait of a minute."
    ]
    assert at.text_input(key="teacher_key_typed").value == "", "the box is emptied"
    with pytest.raises(ValueError):
        at.switch_page(TEACHER_PAGE)


def test_the_right_key_opens_the_teacher_page(classroom, monkeypatch):
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY", KEY)
    at = sign_in(app(), KEY)
    assert not at.exception and not at.error
    assert at.title[0].value == "Teacher", "the teacher lands on their page"
    assert at.session_state["teacher_signed_in"] == session_mark() and KEY not in session_mark()
    assert KEY not in every_text(at)
    at.switch_page("mnist_app/web/pages/explore.py").run()
    at.switch_page(TEACHER_PAGE).run()
    assert at.title[0].value == "Teacher"
    at.button(key="teacher_sign_out").click().run()
    with pytest.raises(ValueError):
        at.switch_page(TEACHER_PAGE)


def test_a_key_from_a_file_opens_the_page_too(classroom, monkeypatch, tmp_path):
    (tmp_path / "key").write_text(f"{KEY}\nanything after the first line\n")
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY_FILE", str(tmp_path / "key"))
    at = sign_in(app(), KEY)
    assert at.title[0].value == "Teacher"


def test_five_wrong_keys_wait_a_minute_even_for_the_right_one(classroom, monkeypatch):
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY", KEY)
    at = app()
    for attempt in range(5):
        sign_in(at, f"guess {attempt}")
    assert "a wait of a minute before the next try" in at.error[0].value
    sign_in(at, KEY)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Too many wrong keys: wait")
    assert "teacher_signed_in" not in at.session_state
    with pytest.raises(ValueError):
        at.switch_page(TEACHER_PAGE)


def test_the_key_is_never_shown_in_any_element(classroom, monkeypatch):
    """Not after a wrong try, not after the right one, not on the page the teacher lands on."""
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY", KEY)
    at = app()
    sign_in(at, KEY[:-1])
    assert KEY[:-1] not in every_text(at)
    sign_in(at, KEY)
    assert KEY not in every_text(at)
    assert KEY not in str(at.session_state.to_dict()), "nor kept in the session"


def test_the_teacher_page_run_on_its_own_shows_nothing_without_the_key(classroom, monkeypatch):
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY", KEY)
    at = AppTest.from_file(str(REPO / TEACHER_PAGE), default_timeout=120).run()
    assert not at.exception
    assert [info.value for info in at.info] == [
        "This page is the teacher's: give the teacher's key in the sidebar first."
    ]
    assert not at.tabs


def test_a_changed_key_signs_the_teacher_out_and_says_so(classroom, monkeypatch):
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY", KEY)
    at = sign_in(app(), KEY)
    assert at.title[0].value == "Teacher"
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY", "a brand new key")
    at.run()
    assert not at.exception
    assert at.title[0].value != "Teacher", "the page left the navigation"
    assert "teacher_signed_in" not in at.session_state
    assert any("teacher key has changed" in warning.value for warning in at.sidebar.warning)
    at.run()
    assert not at.sidebar.warning, "said once"
    sign_in(at, "a brand new key")
    assert at.title[0].value == "Teacher"
