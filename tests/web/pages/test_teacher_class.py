"""The teacher's page with Streamlit's AppTest: the class live (who is here, every job with a
Stop, each student's share) and the limits the teacher changes while the class works."""

import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.support import REPO
from tests.support.pages import as_read, page

TEACHER_PAGE = REPO / "mnist_app" / "web" / "pages" / "teacher.py"


@pytest.fixture
def classroom(tmp_path, monkeypatch, models_dir):
    folder = tmp_path / "classroom"
    monkeypatch.setenv("MNIST_APP_CLASSROOM_DIR", str(folder))
    monkeypatch.setenv("MNIST_APP_TEACHER_KEY", "sesame")
    return folder


def teacher() -> AppTest:
    """The Teacher page as a signed-in session sees it."""
    at = AppTest.from_file(str(TEACHER_PAGE), default_timeout=120)
    at.session_state["teacher_signed_in"] = True
    at.context["url"] = "http://class.example:8501/teacher"
    return at.run()


def test_the_teacher_sets_one_job_per_student_and_a_second_is_refused(classroom):
    from mnist_app import settings

    at = teacher()
    assert not at.exception
    limit = at.number_input(key=f"teacher_limit_{settings.JOBS_PER_VISITOR}")
    assert limit.value == 4, "the server's own setting until the teacher changes it"
    limit.set_value(1)
    at.button(key="teacher_apply_limits").click().run()
    assert not at.exception and not at.error
    assert [success.value for success in at.success] == ["The new limits apply from now on."]
    assert settings.jobs_per_visitor() == 1

    student = page("train").run()
    student.multiselect(key="train_archs").set_value(["mlp", "cnn"]).run()
    student.button(key="start_training").click().run()
    assert not student.exception
    (refusal,) = [error.value for error in student.error]
    assert "one visitor have 1 training job queued or training at once" in refusal
    assert "choose at most 1" in refusal
    assert "training_jobs" not in student.session_state, "neither job was queued"


def test_the_teacher_stops_a_students_job_and_sees_whose_it_is(classroom):
    from mnist_app.classroom import names

    student = page("train")
    student.session_state["visitor_token"] = "ada-token"
    names.remember("ada-token", "Ada *L.*")
    student.run()
    student.number_input(key="train_epochs").set_value(200).run()
    student.button(key="start_training").click().run()
    (job,) = student.session_state["training_jobs"]
    try:
        at = teacher()
        assert not at.exception
        stops = [button for button in at.button if button.key == f"teacher_stop_{id(job)}"]
        assert len(stops) == 1
        assert "**Ada *L.***" in [as_read(markdown.value) for markdown in at.markdown], "shown literally"
        table = at.dataframe[0].value
        ada = table[table["student"] == "Ada *L.*"].iloc[0]
        assert ada["jobs waiting"] + ada["jobs training"] == 1
        stops[0].click().run()
        assert not at.exception
    finally:
        job.stop()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and job.snapshot().active:
        time.sleep(0.2)
    assert job.snapshot().state in ("stopped", "done")
    at.run()
    assert f"teacher_stop_{id(job)}" not in [button.key for button in at.button]
    student.run()
    assert not student.exception


def test_each_students_digits_are_counted_and_cleared_after_asking(classroom, data_dir, monkeypatch):
    import numpy as np

    from mnist_app.classroom import names
    from mnist_app.datasets.digit_store import DigitStore

    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    names.remember("ada-token", "Ada")
    digit = np.zeros((28, 28), np.uint8)
    digit[8:20, 12:16] = 255
    DigitStore(owner="ada-token").add_many([digit] * 3, [1, 1, 1])
    DigitStore(owner="bob-token").add(digit, 1)
    at = teacher()
    table = at.dataframe[0].value
    assert table.set_index("student")["digits saved"].to_dict() == {"Ada": 3, "a visitor without a name": 1}
    assert at.selectbox(key="teacher_clear_student").options == [
        "Ada (3 digits)",
        "a visitor without a name (1 digit)",
    ]
    assert DigitStore().count_of("ada-token") == 3, "choosing clears nothing"
    at.button(key="teacher_clear_confirm").click().run()
    assert not at.exception and not at.error
    assert DigitStore().count_of("ada-token") == 0
    assert DigitStore().count_of("bob-token") == 1, "another's digits stay"
    assert "Cleared the digits of Ada." in [success.value for success in at.success]


@pytest.mark.parametrize(
    ("connected", "said"),
    [
        (set(), "Nobody else has the app open now."),
        ({"a"}, "1 browser tab has the app open now: 1 student who gave a name."),
        (
            {"a", "a2", "b", "x"},
            "4 browser tabs have the app open now: 2 students who gave a name and 1 tab without a name.",
        ),
        ({"x", "y"}, "2 browser tabs have the app open now: 2 tabs without a name."),
    ],
)
def test_who_is_here_is_said_in_a_sentence(connected, said):
    from mnist_app.web.teacher_class import here_now

    assert here_now(connected, {"a": "Ada", "a2": "Ada", "b": "Bob"}) == said


def test_each_students_share_adds_up_their_tabs_jobs_models_and_digits():
    from mnist_app.web.teacher_class import Share, shares

    known = {"a1": "Ada", "a2": "Ada", "b": "Bob"}
    table = shares(
        known,
        connected={"a1", "a2", "x"},
        jobs=[("a1", False), ("a2", True), ("b", True), ("", False)],
        model_owners=["a1", "b", "b", "y", ""],
        digits={"a2": 7, "z": 3},
    )
    assert table == {
        "Ada": Share(tabs=2, waiting=1, training=1, models=1, digits=7),
        "Bob": Share(waiting=1, models=2),
        "a visitor without a name": Share(tabs=1, models=1, digits=3),
    }, "the command line's job and model are nobody's share"
