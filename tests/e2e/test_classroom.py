"""A class in Chromium: a teacher signs in and sets a challenge; two students open its link, give
their names, train a tiny network for one epoch on the sample, and appear on the teacher's
leaderboard. Screenshots of the teacher's page, 1400 and 390 px wide, go to
`MNIST_APP_CLASSROOM_SHOTS` when it is set (a person looks at them), else to the test's folder.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import streamlit_app
from tests.support.classroom_browser import KEY, join_and_train, settled, sign_in, start_challenge

STUDENTS = ("Ada", "Grace")


@pytest.fixture(scope="module")
def class_url(tmp_path_factory):
    """A shared server with a teacher's key, opening the sample, training two jobs at once."""
    classroom = tmp_path_factory.mktemp("classroom")
    with streamlit_app(
        tmp_path_factory,
        MNIST_APP_TEACHER_KEY=KEY,
        MNIST_APP_SHARED="1",
        MNIST_APP_CLASSROOM_DIR=str(classroom),
        MNIST_APP_DATASET="mnist-sample",
        MNIST_APP_TRAINING_SLOTS="2",
    ) as url:
        yield url


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("MNIST_APP_CLASSROOM_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_two_students_train_for_the_challenge_and_appear_on_the_teachers_leaderboard(
    browser, class_url, shots
):
    teacher = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    teacher.set_default_timeout(60_000)
    sign_in(teacher, class_url)
    link = start_challenge(teacher)
    assert re.fullmatch(rf"{re.escape(class_url)}/build\?challenge=[\w-]+", link), link
    settled(teacher)
    teacher.screenshot(path=shots / "teacher-challenge-1400.png", full_page=True)

    students = []
    for name in STUDENTS:
        student = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        student.set_default_timeout(60_000)
        join_and_train(student, link, name)
        students.append(student)
    teacher.get_by_role("tab", name="The class").click()
    expect(teacher.get_by_text(re.compile(r"^\d jobs? waiting or training"))).to_be_visible()
    expect(teacher.get_by_role("button", name="Stop").first).to_be_visible()
    teacher.screenshot(path=shots / "teacher-class-1400.png", full_page=True)
    for student in students:
        saved = student.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved as")
        expect(saved).to_be_visible(timeout=180_000)

    teacher.get_by_role("tab", name="The class").click()
    expect(
        teacher.get_by_text("2 browser tabs have the app open now: 2 students who gave a name.")
    ).to_be_visible()
    for name in STUDENTS:  # the shares' table draws on a canvas; its cells are there for screen readers
        told_apart = re.compile(rf"^{name} \(…[0-9a-f]{{4}}\)$")  # the name and the end of the token
        expect(teacher.get_by_role("gridcell", name=told_apart, include_hidden=True)).to_be_attached()
    teacher.get_by_role("tab", name="Leaderboard").click()
    expect(teacher.get_by_text(re.compile(r"^2 models, best first"))).to_be_visible(timeout=120_000)
    settled(teacher)
    teacher.screenshot(path=shots / "teacher-leaderboard-1400.png", full_page=True)

    teacher.get_by_text("Projector view").click()
    board = teacher.locator("table.leaderboard")
    for name in STUDENTS:
        expect(board.get_by_text(name, exact=True)).to_be_visible()
    expect(board.get_by_text(re.compile(r"^\d+\.\d%$"))).to_have_count(2, timeout=120_000)
    settled(teacher)
    teacher.screenshot(path=shots / "teacher-projector-1400.png", full_page=True)
    teacher.get_by_text("Projector view").click()
    expect(teacher.get_by_role("tab", name="The class")).to_be_visible()

    teacher.set_viewport_size({"width": 390, "height": 2400})
    for tab in ("The class", "Challenge"):
        teacher.get_by_role("tab", name=tab).click()
        settled(teacher)
        teacher.screenshot(path=shots / f"teacher-{tab.split()[-1].lower()}-390.png", full_page=True)
    assert KEY not in teacher.content()
