"""The teacher's page with Streamlit's AppTest: the class live (who is here, every job with a
Stop, each student's share) and the limits the teacher changes while the class works."""

import time

import pytest
from streamlit.testing.v1 import AppTest

from mnist_app.classroom.teacher_key import session_mark
from tests.support.classroom import TEACHER_PAGE, teacher_classroom
from tests.support.pages import as_read, page


@pytest.fixture
def classroom(tmp_path, monkeypatch, models_dir):
    """A classroom folder, a teacher's key, and no session of an earlier test counted as here."""
    from mnist_app.web import visitors

    monkeypatch.setattr(visitors, "_SESSIONS_BY_TOKEN", {})
    return teacher_classroom(tmp_path, monkeypatch)


def teacher() -> AppTest:
    """The Teacher page as a signed-in session sees it."""
    at = AppTest.from_file(str(TEACHER_PAGE), default_timeout=120)
    at.session_state["teacher_signed_in"] = session_mark()
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
        assert "**Ada *L.* (…oken)**" in [as_read(markdown.value) for markdown in at.markdown], (
            "shown literally"
        )
        table = at.dataframe[0].value
        ada = table[table["student"] == "Ada *L.* (…oken)"].iloc[0]
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
    """Two students named alike are two rows and two choices; visitors without a name are cleared
    together only when the teacher chooses that."""
    import numpy as np

    from mnist_app.classroom import names
    from mnist_app.datasets.digit_store import DigitStore

    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    names.remember("ada-1111", "Ada")
    names.remember("ada-2222", "Ada")
    digit = np.zeros((28, 28), np.uint8)
    digit[8:20, 12:16] = 255
    DigitStore(owner="ada-1111").add_many([digit] * 3, [1, 1, 1])
    DigitStore(owner="ada-2222").add(digit, 2)
    DigitStore(owner="bob-3333").add(digit, 1)
    DigitStore(owner="cy-4444").add_many([digit] * 2, [1, 1])
    at = teacher()
    table = at.dataframe[0].value
    assert table.set_index("student")["digits saved"].to_dict() == {
        "Ada (…1111)": 3,
        "Ada (…2222)": 1,
        "a visitor without a name (…3333)": 1,
        "a visitor without a name (…4444)": 2,
    }
    choice = at.selectbox(key="teacher_clear_student")
    assert choice.options == [
        "Ada (…1111) (3 digits)",
        "Ada (…2222) (1 digit)",
        "a visitor without a name (…3333) (1 digit)",
        "a visitor without a name (…4444) (2 digits)",
        "all 2 visitors without a name (3 digits)",
    ]
    assert DigitStore().owners()["ada-1111"] == 3, "choosing clears nothing"
    at.button(key="teacher_clear_confirm").click().run()
    assert not at.exception and not at.error
    assert DigitStore().owners() == {"ada-2222": 1, "bob-3333": 1, "cy-4444": 2}, "the other Ada's stay"
    assert "Cleared the digits of Ada (…1111)." in [as_read(success.value) for success in at.success]
    at.selectbox(key="teacher_clear_student").select_index(3).run()
    at.button(key="teacher_clear_confirm").click().run()
    assert DigitStore().owners() == {"ada-2222": 1}


def test_an_operators_limit_above_the_teachers_most_is_shown_and_kept(classroom, monkeypatch):
    from mnist_app import settings

    monkeypatch.setenv(settings.JOBS_PER_VISITOR, "200")
    monkeypatch.setenv(settings.TRAINING_SLOTS, "100")
    at = teacher()
    assert not at.exception and not at.error
    assert at.number_input(key=f"teacher_limit_{settings.JOBS_PER_VISITOR}").value == 200
    at.number_input(key=f"teacher_limit_{settings.DIGITS_PER_VISITOR}").set_value(20)
    at.button(key="teacher_apply_limits").click().run()
    assert not at.exception and not at.error
    assert (settings.jobs_per_visitor(), settings.training_slots(), settings.digits_per_visitor()) == (
        200,
        100,
        20,
    )


def test_on_a_ray_cluster_the_jobs_training_at_once_are_not_the_teachers_to_change(classroom, monkeypatch):
    from mnist_app import settings
    from mnist_app.jobs import cluster

    monkeypatch.setattr(cluster, "configured", lambda: True)
    at = teacher()
    slots = at.number_input(key=f"teacher_limit_{settings.TRAINING_SLOTS}")
    assert slots.disabled and "Ray cluster" in slots.help
    assert any("Ray cluster" in caption.value for caption in at.caption)
    at.button(key="teacher_apply_limits").click().run()
    assert not at.exception and settings.live_overrides() == {}
