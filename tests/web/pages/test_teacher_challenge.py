"""The teacher's challenge with Streamlit's AppTest: the rules from the form, the link to Build
from the teacher's own address, its QR code, and the housekeeping that ends it."""

import io

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_app.classroom.teacher_key import session_mark
from mnist_app.web.teacher_challenge import challenge_link, on_this_computer_only, qr_png
from tests.support.classroom import TEACHER_PAGE, teacher_classroom


@pytest.fixture
def classroom(tmp_path, monkeypatch, models_dir):
    return teacher_classroom(tmp_path, monkeypatch)


def teacher(url: str | None = "http://class.example:8501/teacher") -> AppTest:
    at = AppTest.from_file(str(TEACHER_PAGE), default_timeout=120)
    at.session_state["teacher_signed_in"] = session_mark()
    if url:
        at.context["url"] = url
    return at.run()


@pytest.mark.parametrize(
    ("page_url", "link"),
    [
        ("http://10.0.0.5:8501/teacher", "http://10.0.0.5:8501/build?challenge=abc_12-3"),
        ("https://school.example/mnist/teacher/", "https://school.example/mnist/build?challenge=abc_12-3"),
        ("http://localhost:8501", "http://localhost:8501/build?challenge=abc_12-3"),
        (None, "/build?challenge=abc_12-3"),
    ],
)
def test_the_link_is_build_on_the_server_the_teacher_reached(page_url, link):
    assert challenge_link(page_url, "abc_12-3") == link


@pytest.mark.parametrize(
    ("link", "local"),
    [
        ("http://localhost:8501/build?challenge=a", True),
        ("http://127.0.0.1:8501/build?challenge=a", True),
        ("http://[::1]:8501/build?challenge=a", True),
        ("http://10.0.0.5:8501/build?challenge=a", False),
        ("https://school.example/build?challenge=a", False),
    ],
)
def test_a_link_to_the_servers_own_loopback_is_called_out(link, local):
    assert on_this_computer_only(link) is local


def test_the_qr_code_is_a_square_png():
    image = Image.open(io.BytesIO(qr_png("http://10.0.0.5:8501/build?challenge=abc123")))
    assert image.format == "PNG" and image.width == image.height >= 250


def test_the_form_starts_a_challenge_with_its_rules_and_shows_its_link(classroom):
    from mnist_app.classroom import challenges
    from mnist_app.learning.designs import CONV, DENSE, FLATTEN

    at = teacher()
    at.text_input(key="challenge_title").input("Friday's digits")
    at.selectbox(key="challenge_dataset").select("mnist-sample")
    at.selectbox(key="challenge_train_size").select(1_000)
    at.select_slider(key="challenge_label_noise").set_value(0.1)
    at.number_input(key="challenge_parameters").set_value(20_000)
    at.number_input(key="challenge_epochs").set_value(3)
    at.multiselect(key="challenge_kinds").set_value([DENSE, FLATTEN, CONV])
    at.number_input(key="challenge_seed").set_value(7)
    at.button(key="challenge_start").click().run()
    assert not at.exception and not at.error, [error.value for error in at.error]
    challenge = challenges.current()
    assert challenge.title == "Friday's digits"
    rules = challenge.rules
    assert (rules.dataset, rules.train_size, rules.label_noise) == ("mnist-sample", 1_000, 0.1)
    assert (rules.max_parameters, rules.max_epochs, rules.hidden, rules.hidden_seed) == (20_000, 3, "half", 7)
    assert set(rules.layer_kinds) == {DENSE, FLATTEN, CONV}
    link = f"http://class.example:8501/build?challenge={challenge.id}"
    assert link in [code.value for code in at.code]
    assert len(at.image) == 1, "the QR code"
    assert "Start a new challenge (it ends this one)" in [expander.label for expander in at.expander]


def test_a_hidden_dataset_must_be_in_the_data_folder(classroom, data_dir):
    at = teacher()
    at.radio(key="challenge_hidden").set_value("folder")
    at.button(key="challenge_start").click().run()
    assert not at.exception
    assert "no dataset to keep hidden" in at.error[0].value


def test_without_the_teachers_address_the_link_is_said_as_a_path(classroom):
    from mnist_app.classroom import challenges
    from mnist_app.classroom.rules import Rules

    challenge = challenges.start("No address", Rules("mnist-sample"))
    at = teacher(url=None)
    assert not at.exception
    assert f"/build?challenge={challenge.id}" in [code.value for code in at.code]
    assert not at.image, "no QR code of a path alone"


def test_ending_the_challenge_asks_first(classroom):
    from mnist_app.classroom import challenges
    from mnist_app.classroom.rules import Rules

    challenges.start("To end", Rules("mnist-sample"))
    at = teacher()
    assert challenges.current() is not None, "drawing the question ends nothing"
    at.button(key="teacher_end_confirm").click().run()
    assert not at.exception
    assert challenges.current() is None
    assert "Ended To end." in [success.value for success in at.success]


def test_a_hidden_dataset_that_shares_digits_with_the_challenges_is_refused(classroom, data_dir, sample):
    from mnist_app.classroom import challenges
    from tests.support.datasets import write_npz
    from tests.support.pages import as_read

    write_npz(data_dir / "exam.npz", x_test=sample.x_test[:200], y_test=sample.y_test[:200])
    at = teacher()
    at.selectbox(key="challenge_dataset").select("mnist-sample")
    at.radio(key="challenge_hidden").set_value("folder")
    at.selectbox(key="challenge_hidden_dataset").select("exam.npz")
    at.button(key="challenge_start").click().run()
    assert not at.exception and challenges.current() is None
    (error,) = at.error
    assert "200 of the hidden set's test digits are in mnist-sample too" in as_read(error.value)
    write_npz(data_dir / "exam.npz")
    at.button(key="challenge_start").click().run()
    assert not at.exception and not at.error
    assert challenges.current().rules.hidden == "exam.npz"
